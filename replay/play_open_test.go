package replay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logLines collects what OpenPlay logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logLines) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestOpenPlay(t *testing.T) {
	recs := testRecords(t, 600, 3) // from 2023-11-14 22:13:20 UTC
	file := writeFile(t, recs, 4<<10)
	dir := t.TempDir()
	path := filepath.Join(dir, "day.bbc")
	torn := filepath.Join(dir, "torn.bbc")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(torn, file[:len(file)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	topic := string(recs[0].Topic)

	t.Run("plays", func(t *testing.T) {
		var log logLines
		p, err := OpenPlay(PlayConfig{Files: []string{path}, Source: SourceConfig{Preload: true}, From: "22:00", TZ: "UTC", Logf: log.logf})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if n, err := drainSource(p.Source); err != nil || n != len(recs) {
			t.Fatalf("played %d records (%v), want %d", n, err, len(recs))
		}
		rep, nothing := p.Report(2, time.Hour)
		if rep.Records != int64(len(recs)) || rep.Seconds != 2 || rep.TZ != "UTC" || nothing != "" {
			t.Errorf("report %+v, nothing-played %q", rep, nothing)
		}
		if rep, _ := p.Report(0, 3*time.Second); rep.Seconds != 3 {
			t.Errorf("without the publisher's clock: %v seconds, want the run's 3", rep.Seconds)
		}
		if line := p.Progress(time.Second, func(n int64) float64 { return float64(n) }); !strings.Contains(line, "600/600 records") || !strings.Contains(line, "100%") {
			t.Errorf("progress %q", line)
		}
		if !log.has("preloading "+path) || !log.has("preloaded ") {
			t.Errorf("preload not logged: %q", log.lines)
		}
	})
	t.Run("missing symbol warned", func(t *testing.T) {
		var log logLines
		p, err := OpenPlay(PlayConfig{Files: []string{path}, Source: SourceConfig{Symbols: []string{topic, "NOPE"}}, Logf: log.logf})
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		if !log.has("warning: --symbols: NOPE not in") {
			t.Errorf("no warning for the missing symbol: %q", log.lines)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		_, err := OpenPlay(PlayConfig{Files: []string{torn}})
		if err == nil || !strings.Contains(err.Error(), "torn.bbc") || !strings.Contains(err.Error(), "--skip-corrupt replays them") {
			t.Fatalf("damaged file: %v; want its error and what skipping plays", err)
		}
		var log logLines
		p, err := OpenPlay(PlayConfig{Files: []string{torn}, Source: SourceConfig{SkipCorrupt: true}, Logf: log.logf})
		if err != nil {
			t.Fatalf("SkipCorrupt: %v", err)
		}
		n, err := drainSource(p.Source)
		p.Close()
		if err != nil || n == 0 || n >= len(recs) {
			t.Errorf("SkipCorrupt played %d of %d (%v)", n, len(recs), err)
		}
		if !log.has("skipped: " + torn) {
			t.Errorf("the skip is not logged: %q", log.lines)
		}
	})
	for _, tc := range []struct {
		name string
		cfg  PlayConfig
		side string // of a *WindowError, or "empty", "config", "selection"
	}{
		{"bad zone", PlayConfig{TZ: "Mars/Olympus"}, "tz"},
		{"bad from", PlayConfig{From: "9h"}, "from"},
		{"bad to", PlayConfig{To: "noon"}, "to"},
		{"empty window", PlayConfig{From: "23:00", To: "22:00", TZ: "UTC"}, "empty"},
		{"window without records", PlayConfig{From: "01:00", To: "02:00", TZ: "UTC"}, "selection"},
		{"no such symbol", PlayConfig{Source: SourceConfig{Symbols: []string{"NOPE"}}}, "selection"},
		{"bad speed", PlayConfig{Source: SourceConfig{Speed: -1}}, "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Files = []string{path}
			p, err := OpenPlay(tc.cfg)
			if err == nil {
				p.Close()
				t.Fatal("no error")
			}
			var we *WindowError
			var ce *ConfigError
			got := "selection"
			switch {
			case errors.As(err, &we):
				got = we.Side
			case errors.Is(err, ErrEmptyWindow):
				got = "empty"
			case errors.As(err, &ce):
				got = "config"
			}
			if got != tc.side {
				t.Errorf("%v: taken for %s, want %s", err, got, tc.side)
			}
		})
	}
	if _, err := OpenPlay(PlayConfig{Files: []string{filepath.Join(dir, "gone.bbc")}}); err == nil || !strings.Contains(err.Error(), "gone.bbc") {
		t.Errorf("missing file: %v", err)
	}
}
