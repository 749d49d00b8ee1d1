package pubsource

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
)

// count reads src to its end (bounded) and returns the records.
func count(t *testing.T, src feed.Source) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var n int64
	if err := feed.Each(ctx, src, func(*feed.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenGenAndUnknown(t *testing.T) {
	s, err := Open("gen", feed.GenConfig{Symbols: 3, Size: 50, Seed: 1, Records: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Logf, zmqx.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s); n != 10 {
		t.Errorf("gen gave %d records, want 10", n)
	}
	if s.SetIdleExit(time.Second) == nil {
		t.Error("--idle-exit accepted for gen")
	}
	sum := report.Summary{Command: "pub"}
	s.Report(&sum)
	if got, ok := s.JSON(sum).(report.Summary); !ok || got.Command != "pub" || s.StatusLine() != "" || s.Close() != nil {
		t.Errorf("gen's summary changed: %+v", got)
	}
	if _, err := Open("no-such-source", feed.GenConfig{}); err == nil || !strings.Contains(err.Error(), "is not gen") {
		t.Errorf("unknown source: %v", err)
	}
}

// A capture file plays at most Records of itself.
func TestOpenCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.bbc")
	w, err := replay.Create(path, replay.WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := w.Append(&feed.Record{Topic: []byte("AAPL"), Payload: []byte("x"), SourceTS: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, feed.GenConfig{Records: 3})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(t.Logf, zmqx.Options{})
	if n := count(t, s); n != 3 {
		t.Errorf("capture gave %d records, want 3", n)
	}
	if err := os.WriteFile(path, []byte("not a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, feed.GenConfig{}); err == nil {
		t.Error("a damaged capture opened")
	}
}

// An ITCH file is an exchange source; its counters are pub's "exchange"
// block.
func TestOpenExchange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "01022024.NASDAQ_ITCH50") // the day from its name
	day, _, err := exchange.FeedTime("2024-01-02", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exchange.Generate(path, "itch", itch.GenConfig{Symbols: 4, Messages: 50, Seed: 1}, day); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, feed.GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Start(t.Logf, zmqx.Options{})
	if n := count(t, s); n == 0 {
		t.Fatal("no records from the ITCH file")
	}
	b, _ := json.Marshal(s.JSON(report.Summary{Command: "pub"}))
	if !strings.Contains(string(b), `"exchange":`) || !strings.Contains(string(b), `"command":"pub"`) {
		t.Errorf("JSON %s", b)
	}
}

// An upstream is checked when opened, takes --idle-exit, and is built by
// Start (it connects on its first Next).
func TestOpenUpstream(t *testing.T) {
	if _, err := Open("zmq+tcp://", feed.GenConfig{}); err == nil {
		t.Error("an upstream without an address opened")
	}
	s, err := Open("zmq+tcp://127.0.0.1:1", feed.GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetIdleExit(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Next(context.Background(), &feed.Batch{}); err == nil {
		t.Error("Next before Start")
	}
	if err := s.Start(t.Logf, zmqx.Options{}); err != nil {
		t.Fatal(err)
	}
	sum := report.Summary{}
	s.Report(&sum)
	if sum.Upstream == nil {
		t.Error("no upstream block in the summary")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}
