package main

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVersion: bbox version and --version print the build; --json is the
// object every summary carries.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, p := runBBox(t, 20*time.Second, args...)
		out := p.stdout.String()
		if code != 0 || !strings.HasPrefix(out, "bbox ") || !strings.Contains(out, "module        github.com/bbox-dev/bbox") {
			t.Errorf("bbox %s: exit %d\n%s", args[0], code, out)
		}
	}
	code, p := runBBox(t, 20*time.Second, "version", "--json")
	var in struct {
		Module, Version, Go string
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &in); code != 0 || err != nil || in.Module != "github.com/bbox-dev/bbox" || in.Version == "" || !strings.HasPrefix(in.Go, "go1.") {
		t.Errorf("bbox version --json: exit %d, %v: %q", code, err, p.stdout.String())
	}
}

var logLineRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR) +[a-z]+: `)

// TestLogFormats: every stderr line before the summary has date, time,
// level and component, as text or as slog JSON.
func TestLogFormats(t *testing.T) {
	port := freePorts(t, 1)[0]
	code, p := runBBox(t, 30*time.Second, "pub", "--bind", tcpEndpoints(port), "--records", "10", "--json")
	if code != 0 {
		t.Fatalf("pub exit %d\n%s", code, p.stderr.String())
	}
	logs, _, _ := strings.Cut(p.stderr.String(), "\npub:") // the human summary follows the log
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !logLineRE.MatchString(l) {
			t.Errorf("log line without date, time, level and component: %q", l)
		}
	}
	code, p = runBBox(t, 30*time.Second, "pub", "--bind", tcpEndpoints(port), "--records", "10", "--log-format", "json")
	if code != 0 {
		t.Fatalf("pub --log-format json: exit %d\n%s", code, p.stderr.String())
	}
	n := 0
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not JSON: %q", l)
			continue
		}
		if m["time"] == nil || m["level"] == nil || m["component"] != "pub" || m["msg"] == nil {
			t.Errorf("JSON log line lacks time, level, component or msg: %q", l)
		}
		n++
	}
	if n < 2 || !strings.Contains(p.stderr.String(), `"msg":"publisher `) {
		t.Errorf("%d JSON log lines:\n%s", n, p.stderr.String())
	}
}

// TestRefusedFloodIsSummarised: thousands of non-ZMTP connections (a port
// scanner) give a handful of log lines and one count, not a line each.
func TestRefusedFloodIsSummarised(t *testing.T) {
	port := freePorts(t, 1)[0]
	pub := startBBox(t, "pub", "pub", "--bind", tcpEndpoints(port), "--rate", "1000", "--duration", "60s")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, 20*time.Second, "the publisher to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	const flood = 1000
	for i := 0; i < flood; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			continue
		}
		c.Write([]byte("GET / HTTP/1.0\r\n\r\n GET / HTTP/1.0\r\n\r\n GET / HTTP/1.0\r\n\r\n"))
		c.Close()
	}
	re := regexp.MustCompile(`… and ([0-9,]+) more like it in the last`)
	waitFor(t, 30*time.Second, "the flood's summary line", func() bool { return re.MatchString(pub.stderr.String()) })
	out := pub.stderr.String()
	lines := strings.Count(out, "refused peer")
	if lines > 25 { // 10 per window, plus the summary's "last:" example
		t.Errorf("%d refused-peer lines for %d connections: the flood was not limited", lines, flood)
	}
	var summarised int
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var v int
		fmt.Sscan(strings.ReplaceAll(m[1], ",", ""), &v)
		summarised += v
	}
	if summarised < flood/2 {
		t.Errorf("summaries count %d more refused peers for a flood of %d:\n%s", summarised, flood, out)
	}
}
