package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An ITCH replay that reached no subscriber says so, as a bbox capture's
// replay does (PUB sockets drop what no one is subscribed to).
func TestExchangeReplayNoSubscriberWarns(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "200", "--symbols", "3"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	code, p := runBBox(t, 30*time.Second, "replay", f, "--bind", ep, "--speed", "max")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, p.stderr.String())
	}
	out := p.stdout.String()
	if !strings.HasPrefix(out, "replay: ") {
		t.Errorf("stdout off a terminal does not start with the summary: %q", out[:min(len(out), 40)])
	}
	if !strings.Contains(out, "no subscriber received anything") || !strings.Contains(out, "ITCH messages read from") {
		t.Fatalf("replay to nobody does not say so:\n%s", out)
	}
}

// The JSON summaries of bbox pub and bbox sub carry every key CLI.md
// promises, zero or not (a script reads records_before_join: 0).
func TestSummaryKeysOfCLIContract(t *testing.T) {
	eps := tcpEndpoints(freePorts(t, 2)...)
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--exit-on-eos", "--workers", "1", "--json")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--records", "2000", "--rate", "max", "--wait-subs", "1", "--json")
	for _, p := range []*proc{pub, sub} {
		if code := p.wait(60 * time.Second); code != 0 {
			t.Fatalf("%s exit %d:\n%s", p.name, code, tail(p.stderr.String(), 20))
		}
	}
	base := []string{"records_published", "records_received", "records_lost", "gaps", "croaked", "croak_reason",
		"throughput_rps", "latency_us", "shards", "workers"}
	for _, c := range []struct {
		p    *proc
		keys []string
	}{
		{pub, base},
		{sub, append(base, "records_before_join", "frames_malformed", "verdict")},
	} {
		var m map[string]json.RawMessage
		c.p.summary(&m)
		for _, k := range c.keys {
			if _, ok := m[k]; !ok {
				t.Errorf("bbox %s --json lacks %q", c.p.name, k)
			}
		}
		var lat map[string]float64
		json.Unmarshal(m["latency_us"], &lat)
		for _, k := range []string{"p50", "p90", "p99", "p999", "p9999", "max"} {
			if _, ok := lat[k]; !ok {
				t.Errorf("bbox %s --json lacks latency_us.%s", c.p.name, k)
			}
		}
		var shards []map[string]any
		json.Unmarshal(m["shards"], &shards)
		for _, sh := range shards {
			if _, ok := sh["id"]; !ok {
				t.Errorf("bbox %s --json: a shard lacks id", c.p.name)
			}
			if _, ok := sh["records"]; !ok {
				t.Errorf("bbox %s --json: a shard lacks records", c.p.name)
			}
		}
	}
}

// bbox gen --format itch|pcap replaces an existing file only with --force,
// as bbox gen of a capture and bbox record do.
func TestGenExchangeNeedsForce(t *testing.T) {
	f := filepath.Join(t.TempDir(), "01302019.NASDAQ_ITCH50")
	args := []string{"gen", "--format", "itch", "--out", f, "--records", "20", "--symbols", "1"}
	code, p := runBBox(t, 30*time.Second, args...)
	if code != 0 || !strings.Contains(p.stdout.String(), "1 symbol,") {
		t.Fatalf("gen exit %d: %s%s", code, p.stdout.String(), p.stderr.String())
	}
	if code, p = runBBox(t, 30*time.Second, args...); code != exitError || !strings.Contains(p.stderr.String(), "--force") {
		t.Fatalf("gen over an existing file: exit %d: %s", code, p.stderr.String())
	}
	if code, p = runBBox(t, 30*time.Second, append(args, "--force")...); code != 0 {
		t.Fatalf("gen --force: exit %d: %s", code, p.stderr.String())
	}
}

// bbox import replaces an existing --out only with --force.
func TestImportNeedsForce(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "20", "--symbols", "1"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	out := filepath.Join(dir, "day.bbc")
	if code, p := runBBox(t, 30*time.Second, "import", f, "--out", out); code != 0 {
		t.Fatalf("import exit %d: %s", code, p.stderr.String())
	}
	if code, p := runBBox(t, 30*time.Second, "import", f, "--out", out); code != exitError || !strings.Contains(p.stderr.String(), "--force") {
		t.Fatalf("import over an existing file: exit %d: %s", code, p.stderr.String())
	}
	if code, p := runBBox(t, 30*time.Second, "import", f, "--out", out, "--force"); code != 0 {
		t.Fatalf("import --force: exit %d: %s", code, p.stderr.String())
	}
}

// Help names every flag's value for what it is (ADDR, FORMAT, ZONE), never
// the Go type STRING, and cites no source file.
func TestHelpValueNames(t *testing.T) {
	for _, cmd := range commandNames() {
		_, out, _ := runLocal("help", cmd)
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  --") && strings.HasSuffix(l, " STRING") {
				t.Errorf("bbox help %s: %q names no value", cmd, l)
			}
			if strings.Contains(l, ".go)") {
				t.Errorf("bbox help %s: %q cites a source file", cmd, l)
			}
		}
	}
}

// A replay of an ITCH file takes --log-format and --metrics as a capture's
// replay does (they were parsed and then ignored), and logs as "replay".
func TestExchangeReplayOps(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "200", "--symbols", "3"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	code, p := runBBox(t, 30*time.Second, "replay", f, "--bind", ep, "--speed", "max", "--log-format", "json", "--metrics", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, p.stderr.String())
	}
	sawMetrics := false
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var m struct{ Msg, Component string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("--log-format json: line %q is not JSON: %v", l, err)
		}
		if m.Component != "replay" && !strings.HasPrefix(m.Component, "replay") {
			t.Errorf("line %q: component %q, want replay", l, m.Component)
		}
		sawMetrics = sawMetrics || strings.Contains(m.Msg, "/metrics")
	}
	if !sawMetrics {
		t.Errorf("--metrics not served:\n%s", p.stderr.String())
	}
}

// A capture's replay off a terminal starts stdout with its summary, not
// with a blank line (that line only ends a progress bar on a terminal).
func TestReplaySummaryFirstLine(t *testing.T) {
	f := filepath.Join(t.TempDir(), "day.bbc")
	if code, p := runBBox(t, 30*time.Second, "gen", "--out", f, "--records", "500"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	code, p := runBBox(t, 30*time.Second, "replay", f, "--bind", ep, "--speed", "max")
	if out := p.stdout.String(); code != 0 || !strings.HasPrefix(out, "replay: 500 records") {
		t.Fatalf("replay exit %d, stdout %q", code, out[:min(len(out), 60)])
	}
}

// breakFirst puts one empty line before a report, once.
func TestBreakFirst(t *testing.T) {
	var b strings.Builder
	w := &breakFirst{w: &b}
	fmt.Fprint(w, "bbox bench: ")
	fmt.Fprint(w, "table\n")
	if b.String() != "\nbbox bench: table\n" {
		t.Fatalf("%q", b.String())
	}
}
