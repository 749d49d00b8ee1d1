package termlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var textLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR) +[a-z]+: .+$`)

func TestTextLines(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "pub"})
	l.Logf("publisher %x on %s", 42, "tcp://127.0.0.1:7001")
	l.Logf("warning: %d busy threads", 3)
	l.With("shard").Logf("subscriber %s stuck: no progress", "10.0.0.1:5000")
	l.Alert("CROAK: risk-a shard 0 record age 12ms over --max-delay 5ms")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	for _, ln := range lines {
		if !textLine.MatchString(ln) {
			t.Errorf("line lacks date, time, level or component: %q", ln)
		}
	}
	for i, want := range []string{"INFO  pub: publisher 2a on tcp://127.0.0.1:7001", "WARN  pub: warning: 3 busy threads",
		"WARN  shard: subscriber 10.0.0.1:5000 stuck", "ERROR pub: CROAK: risk-a"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], want)
		}
	}
}

func TestJSONLines(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "sub", Format: JSON})
	l.Logf("shard %d: connected to %s", 0, "tcp://127.0.0.1:7001")
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(b.String())), &m); err != nil {
		t.Fatalf("not one JSON object: %q: %v", b.String(), err)
	}
	if m["level"] != "INFO" || m["component"] != "sub" || m["msg"] != "shard 0: connected to tcp://127.0.0.1:7001" {
		t.Errorf("got %v", m)
	}
	if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
		t.Errorf("time %v: %v", m["time"], err)
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"text": Text, "json": JSON, "": Text} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
}

// A flood of one kind of line (refused connections) is cut to Burst lines
// and one summary counting the rest; other lines pass.
func TestRateLimit(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "pub", Window: time.Hour, Burst: 5})
	for i := 0; i < 20000; i++ {
		l.Logf("shard 0: refused %s: not ZMTP", "10.0.0.1:"+strings.Repeat("1", i%5+1))
	}
	l.Logf("publisher %d ready", 1)
	l.Flush()
	out := b.String()
	if n := strings.Count(out, "refused 10.0.0.1"); n != 6 { // 5 passed + the summary's "last:"
		t.Errorf("%d refused lines, want 5 and a summary:\n%s", n, out)
	}
	if !strings.Contains(out, "… and 19,995 more like it in the last") {
		t.Errorf("no summary counting 19,995 more:\n%s", out)
	}
	if !strings.Contains(out, "publisher 1 ready") {
		t.Errorf("an unrelated line was held back:\n%s", out)
	}
	// The summary starts a new window: lines pass again.
	l.Logf("shard 0: refused %s: not ZMTP", "10.0.0.2:1")
	if !strings.Contains(b.String(), "refused 10.0.0.2:1") {
		t.Error("the next window's first line was suppressed")
	}
}

// A flood that stops is still summarised, when its window ends.
func TestRateLimitTimer(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "sub", Window: 50 * time.Millisecond, Burst: 2})
	for i := 0; i < 7; i++ {
		l.Logf("shard %d: connect refused", 0)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), "more like it") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(b.String(), "… and 5 more like it in the last") {
		t.Errorf("no timed summary of the 5 held back:\n%s", b.String())
	}
}

func TestFlushReportsHeldBack(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Window: time.Hour, Burst: 1})
	for i := 0; i < 4; i++ {
		l.Logf("x %d", i)
	}
	l.Flush()
	if !strings.Contains(b.String(), "… and 3 more like it") {
		t.Errorf("Flush did not report the held-back lines:\n%s", b.String())
	}
}

func TestFit(t *testing.T) {
	s := "[12s] 1.23M rec/s, 14,000,000 published | shard 0: 2 subs | shard 1: 2 subs | shard 2: 1 subs | SLOW 10.0.0.7:5000 dropped 1,234"
	for _, w := range []int{200, 120, 80, 60, 40, 20, 5} {
		got := Fit(s, w)
		if n := utf8.RuneCountInString(got); n > max(w-1, 8) {
			t.Errorf("Fit(width %d) is %d columns: %q", w, n, got)
		}
		if w >= 80 && !strings.Contains(got, "SLOW") {
			t.Errorf("Fit(width %d) dropped the SLOW field before ordinary ones: %q", w, got)
		}
		if !strings.HasPrefix(got, "[12s]") {
			t.Errorf("Fit(width %d) lost the first field: %q", w, got)
		}
	}
	if got := Fit(s, 200); got != s {
		t.Errorf("a line that fits was changed: %q", got)
	}
}

// On a terminal the status line is redrawn in place, cut to the width,
// and cleared around log lines; off one it becomes a log line.
func TestStatusLoop(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, TTY: true, Redraw: 5 * time.Millisecond, Width: func() int { return 30 }})
	stop := make(chan struct{})
	done := l.StatusLoop(stop, func(time.Duration) string { return strings.Repeat("x", 100) + " | lost 0" })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), "\r\033[Kxxx") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	l.Logf("hello")
	close(stop)
	<-done
	out := b.String()
	if !strings.Contains(out, "\r\033[K") || strings.Contains(out, strings.Repeat("x", 30)) {
		t.Errorf("status not drawn in place or not cut to 30 columns: %q", out)
	}

	var nb syncBuf
	l = New(Config{W: &nb, StatusEvery: 20 * time.Millisecond, Component: "sub"})
	stop = make(chan struct{})
	done = l.StatusLoop(stop, func(time.Duration) string { return "[1s] 5 rec/s" })
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(nb.String(), "status:") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-done
	if !strings.Contains(nb.String(), "INFO  sub: status: [1s] 5 rec/s") || strings.Contains(nb.String(), "\r") {
		t.Errorf("off a terminal the status should be logged: %q", nb.String())
	}
}

// Squawk lines of one kind are limited; a croak always passes.
func TestAlertLimit(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "sub", Window: time.Hour, Burst: 3})
	for i := 0; i < 100; i++ {
		l.Alert(fmt.Sprintf("warning: sub-1 shard %d: gap from publisher 2a partition %d: expected seq %d, got %d (1 missing)", i%2, i, i, i+1))
	}
	l.Alert("warning: sub-1 shard 0: record ABC seq 9 (partition 1) is 7ms old, limit 5ms")
	for i := 0; i < 3; i++ {
		l.Alert("CROAK: sub-1 shard 0: record ABC seq 9 (partition 1) is 7ms old, limit 5ms")
	}
	l.Flush()
	out := b.String()
	if n := strings.Count(out, ": gap from publisher"); n != 4 { // 3 and the summary's last
		t.Errorf("%d gap lines, want 3 and a summary:\n%s", n, out)
	}
	if !strings.Contains(out, "… and 97 more like it") || !strings.Contains(out, "is 7ms old") || strings.Count(out, "CROAK") != 3 {
		t.Errorf("want the gap summary, the late line and every croak:\n%s", out)
	}
}

// Line is output, not a log event: as is in text, a record in JSON.
func TestLine(t *testing.T) {
	var b syncBuf
	New(Config{W: &b}).Line("bbox demo: synthetic feed")
	if b.String() != "bbox demo: synthetic feed\n" {
		t.Errorf("text Line = %q", b.String())
	}
	var j syncBuf
	New(Config{W: &j, Format: JSON, Component: "demo"}).Line("bbox demo: synthetic feed")
	var m map[string]any
	if err := json.Unmarshal([]byte(j.String()), &m); err != nil || m["msg"] != "bbox demo: synthetic feed" || m["component"] != "demo" {
		t.Errorf("JSON Line = %q (%v)", j.String(), err)
	}
}

// Lines logged through one "%s" format are limited by their own shape, so
// one flood does not silence other messages.
func TestVerbOnlyFormatKeysOnShape(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Window: time.Hour, Burst: 2})
	for i := 0; i < 50; i++ {
		l.Logf("%s", fmt.Sprintf("shard 0: subscriber 10.0.0.1:%d disconnected: EOF", i))
	}
	l.Logf("%s", "shard 0: subscriber 10.0.0.9:1 over the high-water mark: dropping")
	if !strings.Contains(b.String(), "over the high-water mark") {
		t.Errorf("a different message through the same %%s format was suppressed:\n%s", b.String())
	}
}
