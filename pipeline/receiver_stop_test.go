package pipeline

import (
	"testing"

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
