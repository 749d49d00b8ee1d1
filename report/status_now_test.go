package report

import (
	"strings"
	"testing"
	"time"
)

// The status lines read from a running pipeline are the lines of its
// counters: ReceiverStatus is SubStatus's, PipelineStatus LoopStatus's.
func TestStatusNow(t *testing.T) {
	loop, _ := runLoop(t, 2000)
	rate := func(i int, n int64) float64 { return float64(n) / 2 }
	rx := loop.Receiver()
	st := rx.Subscriber().Stats()
	if got, want := ReceiverStatus(3*time.Second, rx, rate), SubStatus(3*time.Second, &st, rate); got != want || !strings.HasPrefix(got, "[ 3s] shard 0 ") {
		t.Errorf("ReceiverStatus %q, want SubStatus's %q", got, want)
	}
	ps := loop.Publisher().Stats()
	if got, want := PipelineStatus(3*time.Second, loop, rate), LoopStatus(3*time.Second, &ps, &st, rate); got != want || !strings.HasPrefix(got, "[ 3s] pub ") {
		t.Errorf("PipelineStatus %q, want LoopStatus's %q", got, want)
	}
}
