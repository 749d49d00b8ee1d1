package pipeline

import (
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// TestReceiverConfigValidate: Validate refuses what NewReceiver refuses,
// with the same error, the worker side first; Pool is not looked at with
// Push.
func TestReceiverConfigValidate(t *testing.T) {
	sub := shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}
	f := func(c ReceiverConfig, want string) {
		t.Helper()
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Validate: %v, want %q", err, want)
		}
		if rx, nerr := NewReceiver(c); nerr == nil || nerr.Error() != err.Error() {
			if rx != nil {
				rx.Stop()
			}
			t.Fatalf("NewReceiver: %v, want %v", nerr, err)
		}
	}
	f(ReceiverConfig{}, "connect endpoint")
	f(ReceiverConfig{Sub: sub, Pool: workers.PoolConfig{Workers: -1}}, "-1 workers")
	f(ReceiverConfig{Pool: workers.PoolConfig{Workers: -1}}, "-1 workers")
	f(ReceiverConfig{Sub: sub, Push: &workers.PushConfig{}}, "bind endpoint")
	f(ReceiverConfig{Sub: sub, Push: &workers.PushConfig{Bind: "nonsense"}}, "bind")
	f(ReceiverConfig{Sub: sub, WaitWorkers: 1}, "needs a push endpoint")
	f(ReceiverConfig{Sub: sub, WaitWorkers: -1, Push: &workers.PushConfig{Bind: "tcp://127.0.0.1:0"}}, "want neither negative")
	if err := (ReceiverConfig{Sub: sub, Pool: workers.PoolConfig{Workers: -1}, Push: &workers.PushConfig{Bind: "tcp://127.0.0.1:0"}}).Validate(); err != nil {
		t.Fatalf("a bad Pool with Push: %v, want it ignored", err)
	}
}
