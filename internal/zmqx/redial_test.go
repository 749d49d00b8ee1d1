package zmqx

import (
	"context"
	"fmt"
	"strings"
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

// TestRedialGivesUp: with GiveUp, a dialler whose peer hung up and then
// went away stops redialling; one that never reached its peer does not.
func TestRedialGivesUp(t *testing.T) {
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := Listen(ep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	go ln.Serve(zmq4.Pub, func(p *Peer) { ln.Close(); p.Close() }) // one connection, then gone
	dial, _ := ParseEndpoint(ln.Endpoint())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := Reconnect{Ivl: 10 * time.Millisecond, GiveUp: 100 * time.Millisecond}
	var served atomic.Int64
	var said atomic.Value
	RedialPolicy(ctx, dial, zmq4.Sub, Options{}, r, func(f string, a ...any) { said.Store(fmt.Sprintf(f, a...)) }, func(p *Peer) bool {
		served.Add(1)
		p.RecvMsg() // returns when the peer hangs up
		return false
	})
	if ctx.Err() != nil || served.Load() != 1 {
		t.Fatalf("served %d connections, context %v: want 1 and a return before the deadline", served.Load(), ctx.Err())
	}
	if s, _ := said.Load().(string); !strings.Contains(s, "giving up") {
		t.Fatalf("last log line %q: want it to say it gave up", s)
	}

	// Never connected: keeps trying until the context ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel2()
	RedialPolicy(ctx2, dial, zmq4.Sub, Options{}, r, t.Logf, func(*Peer) bool { return true })
	if ctx2.Err() == nil {
		t.Fatal("gave up on a peer it had never reached")
	}
	if (Reconnect{GiveUp: -1}).Validate() == nil {
		t.Fatal("Validate accepts a negative give-up time")
	}
}
