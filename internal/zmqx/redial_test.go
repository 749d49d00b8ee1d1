package zmqx

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
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

// TestRedialWaitsAfterALostConnection: a peer that accepts and drops every
// connection at once is redialled once per interval, not in a busy loop.
func TestRedialWaitsAfterALostConnection(t *testing.T) {
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := Listen(ep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	go ln.Serve(zmq4.Pub, func(p *Peer) { accepted.Add(1); p.Close() })
	defer ln.Close()
	dial, _ := ParseEndpoint(ln.Endpoint())
	ctx, cancel := context.WithCancel(context.Background())
	const ivl = 50 * time.Millisecond
	var served atomic.Int64
	start := time.Now()
	go func() {
		time.Sleep(500 * time.Millisecond)
		cancel()
	}()
	RedialPolicy(ctx, dial, zmq4.Sub, Options{}, Reconnect{Ivl: ivl}, t.Logf, func(p *Peer) bool {
		served.Add(1)
		p.RecvMsg() // returns when the listener drops us
		return false
	})
	el := time.Since(start)
	if n, max := served.Load(), int64(el/ivl)+2; n < 2 || n > max {
		t.Fatalf("%d connections in %v at a %v interval: want 2..%d", n, el, ivl, max)
	}
}
