package bench

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run that fails with nothing measured after its context has ended
// says it was interrupted, and wraps the cause; the same
// failure on a live context is reported as it is. (A bbox binary that is
// not there fails the same way every time, whatever the timing.)
func TestRunInterruptedBeforeMeasuring(t *testing.T) {
	o := Options{Load: LoadConfig{Rate: 1000, Duration: time.Second, From: FromSource}, Process: true,
		Exe: filepath.Join(t.TempDir(), "no-such-bbox")}
	live, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	_, err := Run(live, o)
	if err == nil || strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("a missing binary on a live context: %v", err)
	}
	ended, cancel := context.WithCancel(live)
	cancel()
	_, err = Run(ended, o)
	if err == nil || !strings.HasPrefix(err.Error(), "interrupted before anything was measured: ") || errors.Unwrap(err) == nil {
		t.Fatalf("a missing binary on an ended context: %v", err)
	}
}
