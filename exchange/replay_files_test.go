package exchange

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/replay"
)

func TestTODWindow(t *testing.T) {
	for _, tc := range []struct {
		from, to     string
		wantF, wantT time.Duration
		side         string // of a *replay.WindowError
		empty        bool
	}{
		{"", "", 0, 0, "", false},
		{"09:30", "", 9*time.Hour + 30*time.Minute, 0, "", false},
		{"", "15:59:30.5", 0, 15*time.Hour + 59*time.Minute + 30500*time.Millisecond, "", false},
		{"9h", "10:00", 0, 0, "from", false},
		{"09:30", "noon", 0, 0, "to", false},
		{"10:00", "09:30", 0, 0, "", true},
		{"10:00", "10:00", 0, 0, "", true},
	} {
		f, to, err := TODWindow(tc.from, tc.to)
		var we *replay.WindowError
		switch {
		case tc.side != "":
			if !errors.As(err, &we) || we.Side != tc.side {
				t.Errorf("TODWindow(%q, %q) = %v; want a WindowError for %s", tc.from, tc.to, err, tc.side)
			}
		case tc.empty:
			if !errors.Is(err, replay.ErrEmptyWindow) {
				t.Errorf("TODWindow(%q, %q) = %v; want ErrEmptyWindow", tc.from, tc.to, err)
			}
		case err != nil || f != tc.wantF || to != tc.wantT:
			t.Errorf("TODWindow(%q, %q) = %v, %v, %v; want %v, %v", tc.from, tc.to, f, to, err, tc.wantF, tc.wantT)
		}
	}
}

// drain reads src to its end.
func drain(t *testing.T, src feed.Source) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for {
		var b feed.Batch
		err := src.Next(ctx, &b)
		n += len(b.Recs)
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// OpenPaced plays exchange inputs through a Source and bbox captures
// through replay, and refuses a damaged capture.
func TestOpenPaced(t *testing.T) {
	dir := t.TempDir()
	itchFile := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if _, err := WriteITCH(itchFile, testGen, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenPaced(PacedConfig{Files: []string{itchFile}, TZ: "Mars/Olympus"}); !errors.Is(err, ErrFeedTime) {
		t.Errorf("bad zone: %v, want ErrFeedTime", err)
	}
	src, closeFn, err := OpenPaced(PacedConfig{Files: []string{itchFile}, TZ: "America/Chicago"})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := want(t)
	if n := drain(t, src); n != len(msgs) {
		t.Errorf("ITCH: %d records, want %d", n, len(msgs))
	}
	closeFn()

	capture := filepath.Join(dir, "day.bbc")
	w, err := replay.Create(capture, replay.WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		r := feed.Record{Topic: []byte("AAPL"), Payload: []byte("x"), Publisher: 1, Epoch: 1, Seq: uint64(i + 1), SourceTS: int64(i+1) * 1000, SendTS: int64(i+1) * 1000}
		if err := w.Append(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, closeFn, err = OpenPaced(PacedConfig{Files: []string{capture}, TZ: "Mars/Olympus"}) // a capture has its own zone
	if err != nil {
		t.Fatal(err)
	}
	if n := drain(t, src); n != 100 {
		t.Errorf("capture: %d records, want 100", n)
	}
	closeFn()

	// A capture cut short is damaged: a session does not skip.
	b, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "torn.bbc")
	if err := os.WriteFile(torn, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenPaced(PacedConfig{Files: []string{torn}}); err == nil || !strings.Contains(err.Error(), "torn.bbc") {
		t.Errorf("torn capture: %v; want an error naming it", err)
	}
	if _, _, err := OpenPaced(PacedConfig{Files: []string{filepath.Join(dir, "gone.bbc")}}); err == nil || !strings.Contains(err.Error(), "gone.bbc") {
		t.Errorf("missing capture: %v; want an error naming it", err)
	}
}
