package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A run whose context has ended before anything was measured says so,
// and keeps the cause for errors.Is.
func TestRunInterruptedBeforeMeasuring(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Options{Load: LoadConfig{Rate: 1000, Duration: time.Second, Interval: time.Second}})
	if err == nil || !strings.HasPrefix(err.Error(), "interrupted before anything was measured: ") || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on an ended context: %v", err)
	}
}
