package workers

import (
	"testing"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// The zero PoolConfig is valid; out-of-range values are refused by
// Validate and by NewPool alike.
func TestPoolConfigValidate(t *testing.T) {
	if err := (PoolConfig{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	for _, c := range []PoolConfig{{Workers: -1}, {Workers: 4097}, {Queue: -1}} {
		err := c.Validate()
		if err == nil {
			t.Fatalf("%+v accepted", c)
		}
		if _, nerr := NewPool(c); nerr == nil || nerr.Error() != err.Error() {
			t.Fatalf("%+v: NewPool says %v, Validate %v", c, nerr, err)
		}
	}
}

// A PushConfig is refused by Validate and by NewPushDispatcher alike: no
// bind, a bind that does not parse, negative bounds.
func TestPushConfigValidate(t *testing.T) {
	for _, c := range []PushConfig{{}, {Bind: "nonsense"}, {Bind: "tcp://127.0.0.1:0", Queue: -1}, {Bind: "tcp://127.0.0.1:0", AckTimeout: -1},
		{Bind: "tcp://127.0.0.1:0", Conn: zmqx.Options{MaxFrame: -1}}} {
		err := c.Validate()
		if err == nil {
			t.Fatalf("%+v accepted", c)
		}
		if _, nerr := NewPushDispatcher(c); nerr == nil || nerr.Error() != err.Error() {
			t.Fatalf("%+v: NewPushDispatcher says %v, Validate %v", c, nerr, err)
		}
	}
}

// A WorkerConfig is refused by Validate and by NewWorker alike: no
// endpoint, one that does not parse, negative bounds or options.
func TestWorkerConfigValidate(t *testing.T) {
	ep := []string{"tcp://127.0.0.1:1"}
	for _, c := range []WorkerConfig{{}, {Connect: []string{"nonsense"}}, {Connect: ep, Credit: -1}, {Connect: ep, Retry: -1},
		{Connect: ep, Conn: zmqx.Options{DialTimeout: -1}}} {
		err := c.Validate()
		if err == nil {
			t.Fatalf("%+v accepted", c)
		}
		if _, nerr := NewWorker(c, nil); nerr == nil || nerr.Error() != err.Error() {
			t.Fatalf("%+v: NewWorker says %v, Validate %v", c, nerr, err)
		}
	}
}
