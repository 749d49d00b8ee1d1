package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

func TestParseStamp(t *testing.T) {
	for _, s := range []Stamp{FromSend, FromSource} {
		if got, err := ParseStamp(s.String()); err != nil || got != s {
			t.Errorf("ParseStamp(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseStamp("arrival"); err == nil {
		t.Error("ParseStamp accepted arrival")
	}
}

// The log names what it measures from and its warm-up, and holds the
// records observed into the recorder it returns.
func TestOpenSubLatency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub.hlog")
	rec, lg, err := OpenSubLatency(SubLatencyConfig{Path: path, From: FromSource, Warmup: time.Millisecond, Interval: 10 * time.Millisecond}, 2)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixNano()
	rec.Observe(1, now, []feed.Record{{SourceTS: now - 5000, SendTS: now}})
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "latency_from=schedule warmup=1ms") || !strings.Contains(string(b), "Tag=total") {
		t.Errorf("log:\n%s", b)
	}
	if _, _, err := OpenSubLatency(SubLatencyConfig{Path: filepath.Join(t.TempDir(), "no", "such", "dir")}, 1); err == nil {
		t.Error("opened a log in a directory that is not there")
	}
}
