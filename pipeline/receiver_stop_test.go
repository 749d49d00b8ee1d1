package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// TestReceiverStoppedBeforeRun: a Receiver that is stopped and never Run
// stops its worker pool (the command that builds one and fails before
// Run must not leave the workers behind).
func TestReceiverStoppedBeforeRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rx, err := NewReceiver(ReceiverConfig{Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}},
		Pool: workers.PoolConfig{Workers: 2}})
	if err != nil {
		t.Fatal(err)
	}
	rx.Stop()
}

// A Receiver waiting for worker processes that never come gives up after
// WaitTimeout, saying so, and leaves nothing running (goleak).
func TestReceiverWaitWorkersTimesOut(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rx, err := NewReceiver(ReceiverConfig{Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}},
		Push: &workers.PushConfig{Bind: "tcp://127.0.0.1:0"}, WaitWorkers: 1, WaitTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rx.Run(ctx); err == nil || !strings.Contains(err.Error(), "0 of 1 worker ready") {
		t.Fatalf("Run: %v, want the wait to give up", err)
	}
}
