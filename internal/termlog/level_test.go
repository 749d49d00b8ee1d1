package termlog

import (
	"log/slog"
	"strings"
	"testing"
)

// levelOf reads whole words and counters: a line that counts no loss, or
// says "latency", is not a warning; one that reports trouble is.
func TestLevelOf(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want slog.Level
	}{
		{"  tcp: sent 100k/s, received 100k/s, p99 728µs, lost 0, pub 3.964 µs CPU/record", slog.LevelInfo},
		{"libzmq: 100k/s for 3s: latency from its scheduled send time", slog.LevelInfo},
		{"status: [10s] shard 0 97.1k/s lag 42.93ms | lost 0 gaps 0 late 0", slog.LevelInfo},
		{"record: 0 gaps, 0 dropped", slog.LevelInfo},
		{"status: lost 12 gaps 1", slog.LevelWarn},
		{"status: lost 0.5% of the records", slog.LevelWarn},
		{"status: lost 0 gaps 3", slog.LevelWarn},
		{"10 gaps in shard 1", slog.LevelWarn},
		{"shard 0: connect tcp://127.0.0.1:7001: connection refused (retrying every 100ms)", slog.LevelWarn},
		{"subscriber 10.0.0.1:5000 stuck", slog.LevelWarn},
		{"worker 1 dropped: no progress for 5s", slog.LevelWarn},
		{"sub-1 croaked", slog.LevelWarn},
		{"a record arrived late", slog.LevelWarn},
		{"warning: 3 busy threads", slog.LevelWarn},
		{"publisher 2a on tcp://127.0.0.1:7001", slog.LevelInfo},
	} {
		if got := levelOf(c.msg); got != c.want {
			t.Errorf("levelOf(%q) = %v, want %v", c.msg, got, c.want)
		}
	}
}

// Infof is INFO whatever its words say; Logf would read the same line as
// a warning.
func TestInfofIsInfo(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "sub"})
	l.Infof("%s", "recovering gaps from the publisher's window at tcp://127.0.0.1:8001")
	l.Logf("%s", "recovering gaps from the publisher's window at tcp://127.0.0.1:8002")
	l.Flush()
	out := b.String()
	if !strings.Contains(out, "INFO  sub: recovering gaps from the publisher's window at tcp://127.0.0.1:8001") ||
		!strings.Contains(out, "WARN  sub: recovering gaps from the publisher's window at tcp://127.0.0.1:8002") {
		t.Fatalf("got:\n%s", out)
	}
}
