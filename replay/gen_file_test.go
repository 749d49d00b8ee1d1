package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// A generated day lands in its file with the day's open as Created and
// its meta; the status line counts what was generated; an interrupted run
// says how far it got and leaves a complete file.
func TestGenFile(t *testing.T) {
	loc, err := SourceLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SourceLocation("Nowhere/Else"); err == nil {
		t.Fatal("an unknown zone loaded")
	}
	day := feed.Day{Records: 300, Symbols: 5, Size: 60, Seed: 3, Zipf: 1.1, Open: time.Date(2024, 1, 2, 9, 30, 0, 0, loc), Session: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gen := func(path string) *GenFile {
		g, err := feed.NewGenerator(day.GenConfig())
		if err != nil {
			t.Fatal(err)
		}
		f, err := CreateGen(g, day, path, WriterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	path := filepath.Join(t.TempDir(), "g.bbc")
	f := gen(path)
	rep, err := f.Run(ctx)
	if err != nil || rep.Records != 300 || rep.File != path {
		t.Fatalf("report %+v: %v", rep, err)
	}
	var text, want bytes.Buffer
	rep.WriteText(&text)
	rep.GenReport.WriteText(&want, loc)
	if text.Len() == 0 || text.String() != want.String() {
		t.Errorf("summary text %q, want the report's in its zone %q", text.String(), want.String())
	}
	j, err := json.Marshal(rep)
	wantJ, werr := json.Marshal(rep.GenReport)
	if err != nil || werr != nil || !bytes.Equal(j, wantJ) {
		t.Errorf("summary JSON %s is not the report's %s (%v, %v)", j, wantJ, err, werr)
	}
	if s := f.Status(2*time.Second, func(n int64) float64 { return float64(n) / 2 }); !strings.HasPrefix(s, "[ 2s] 300/300 records  ") || !strings.HasSuffix(s, " written") {
		t.Errorf("status %q", s)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); r.Records() != 300 || h.Created != day.Open.UnixNano() || h.Meta["tz"] != "America/New_York" {
		t.Errorf("file: %d records, header %+v", r.Records(), r.Header())
	}

	// Status while Run runs (the live status line's goroutine): -race
	// finds any unsynchronised read.
	busy := gen(filepath.Join(t.TempDir(), "busy.bbc"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := busy.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			busy.Status(time.Second, func(n int64) float64 { return float64(n) })
		}
	}
	if s := busy.Status(time.Second, func(n int64) float64 { return float64(n) }); !strings.HasPrefix(s, "[ 1s] 300/300 records  ") {
		t.Errorf("status after a watched run: %q", s)
	}

	stopped, stop := context.WithCancel(ctx)
	stop()
	cut := filepath.Join(t.TempDir(), "cut.bbc")
	if _, err := gen(cut).Run(stopped); err == nil || !strings.Contains(err.Error(), "of 300 records; "+cut+" holds them and is complete") {
		t.Fatalf("interrupted run: %v", err)
	}
	if r, err := Open(cut); err != nil {
		t.Fatalf("the interrupted file: %v", err)
	} else {
		r.Close()
	}
}
