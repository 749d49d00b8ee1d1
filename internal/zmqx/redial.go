package zmqx

import (
	"context"
	"time"

	"github.com/go-zeromq/zmq4"
)

// MaxRetry caps the doubling reconnect delay of Redial.
const MaxRetry = 2 * time.Second

// Redial keeps a connection to ep until ctx ends: it dials (backing off
// from first, doubling to MaxRetry, and reporting the first failure and
// every 20th through logf), hands each connection to serve, and closes the
// peer when serve returns or ctx ends — closing is what unblocks serve's
// reads on cancellation. serve returns true to stop redialling.
func Redial(ctx context.Context, ep Endpoint, typ zmq4.SocketType, o Options, first time.Duration,
	logf func(string, ...any), serve func(*Peer) (stop bool)) {
	delay := first
	for fails := 0; ctx.Err() == nil; {
		p, err := Dial(ctx, ep, typ, o)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if fails%20 == 0 {
				logf("%v (retrying)", err)
			}
			fails++
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
			delay = min(2*delay, MaxRetry)
			continue
		}
		fails, delay = 0, first
		done := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
			case <-done:
			}
			p.Close()
		}()
		stop := serve(p)
		close(done)
		if stop {
			return
		}
	}
}
