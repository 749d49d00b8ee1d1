package zmqx

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zeromq/zmq4"
)

// DefaultReconnectIvl is libzmq's ZMQ_RECONNECT_IVL default: a dialler
// retries every 100 ms, so a late joiner misses at most that much.
const DefaultReconnectIvl = 100 * time.Millisecond

// Reconnect is a dialler's retry policy, with libzmq's semantics:
// ZMQ_RECONNECT_IVL is the wait between attempts and, when
// ZMQ_RECONNECT_IVL_MAX is larger, the wait doubles after each failure up
// to that maximum. The zero value retries every DefaultReconnectIvl.
type Reconnect struct {
	// Ivl is the wait before the next attempt. 0 means 100 ms.
	Ivl time.Duration
	// Max, when larger than Ivl, makes the wait double after every
	// failed attempt up to Max. 0 (or ≤ Ivl) keeps it fixed at Ivl.
	Max time.Duration
	// GiveUp, once a connection has been lost, stops the redialling when
	// no attempt has succeeded for this long: for a dialler that expects
	// the peer's stream to end, a peer that hung up and stays away has
	// gone. It never gives up before a first connection. 0: never.
	GiveUp time.Duration
}

// Validate reports a negative interval.
func (r Reconnect) Validate() error {
	if r.Ivl < 0 || r.Max < 0 {
		return fmt.Errorf("reconnect interval %v and maximum %v must not be negative", r.Ivl, r.Max)
	}
	if r.GiveUp < 0 {
		return fmt.Errorf("reconnect give-up time %v must not be negative", r.GiveUp)
	}
	return nil
}

func (r Reconnect) ivl() time.Duration {
	if r.Ivl > 0 {
		return r.Ivl
	}
	return DefaultReconnectIvl
}

// next is the wait after one more failure than cur.
func (r Reconnect) next(cur time.Duration) time.Duration {
	if r.Max <= r.ivl() {
		return r.ivl()
	}
	return min(2*cur, r.Max)
}

// Redial keeps a connection to ep, retrying every `every` (0: 100 ms);
// see RedialPolicy.
func Redial(ctx context.Context, ep Endpoint, typ zmq4.SocketType, o Options, every time.Duration,
	logf func(string, ...any), serve func(*Peer) (stop bool)) {
	RedialPolicy(ctx, ep, typ, o, Reconnect{Ivl: every}, logf, serve)
}

// RedialPolicy keeps a connection to ep until ctx ends: it dials (waiting
// as r says between failed attempts, reporting the first failure and every
// 20th through logf), hands each connection to serve, and closes the peer
// when serve returns or ctx ends — closing is what unblocks serve's reads
// on cancellation. serve returns true to stop redialling. After a lost
// connection the first attempt also waits the interval, as libzmq's does:
// a peer that accepts and at once drops the connection is not redialled
// in a busy loop. With r.GiveUp, RedialPolicy also returns once a lost
// peer has stayed unreachable that long, saying so through logf.
func RedialPolicy(ctx context.Context, ep Endpoint, typ zmq4.SocketType, o Options, r Reconnect,
	logf func(string, ...any), serve func(*Peer) (stop bool)) {
	delay := r.ivl()
	var lost time.Time // when the last connection ended; zero before the first
	for fails := 0; ctx.Err() == nil; {
		p, err := Dial(ctx, ep, typ, o)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if r.GiveUp > 0 && !lost.IsZero() && time.Since(lost) >= r.GiveUp {
				logf("%v: no connection for %v since the last one was lost: giving up", err, r.GiveUp)
				return
			}
			if fails%20 == 0 {
				logf("%v (retrying every %v)", err, delay)
			}
			fails++
			sleepCtx(ctx, delay)
			delay = r.next(delay)
			continue
		}
		fails, delay = 0, r.ivl()
		done, closed := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(closed)
			select {
			case <-ctx.Done():
			case <-done:
			}
			p.Close()
		}()
		stop := serve(p)
		close(done)
		<-closed // the connection is closed, and its closer gone, before a redial or return
		lost = time.Now()
		if stop || !sleepCtx(ctx, delay) {
			return
		}
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
