package zmqx

import (
	"testing"
	"time"
)

func TestReconnectPolicy(t *testing.T) {
	ms := time.Millisecond
	f := func(r Reconnect, want ...time.Duration) {
		t.Helper()
		d := r.ivl()
		got := []time.Duration{d}
		for len(got) < len(want) {
			d = r.next(d)
			got = append(got, d)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: waits %v, want %v", r, got, want)
			}
		}
	}
	f(Reconnect{}, 100*ms, 100*ms, 100*ms, 100*ms)            // libzmq's default: fixed
	f(Reconnect{Ivl: 10 * ms}, 10*ms, 10*ms, 10*ms)           // fixed at the interval
	f(Reconnect{Ivl: 100 * ms, Max: 50 * ms}, 100*ms, 100*ms) // a max below the interval is ignored
	f(Reconnect{Ivl: 100 * ms, Max: 450 * ms}, 100*ms, 200*ms, 400*ms, 450*ms, 450*ms)
	if (Reconnect{Ivl: -1}).Validate() == nil || (Reconnect{Max: -1}).Validate() == nil || (Reconnect{}).Validate() != nil {
		t.Fatal("Validate accepts a negative interval or refuses the zero value")
	}
}
