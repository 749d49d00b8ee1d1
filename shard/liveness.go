package shard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// DefaultHeartbeatTimeout is SubConfig.HeartbeatTimeout's zero value:
// three of the publisher's default heartbeat intervals (1s), so one lost
// or late heartbeat is not a stall.
const DefaultHeartbeatTimeout = 3 * time.Second

// MinHeartbeatTimeout is the shortest SubConfig.HeartbeatTimeout taken: a
// silent connection is PINGed after a third of the timeout, and below this
// the PONG's round trip through a loaded box (or a scheduler tick) alone
// exceeds what is left, so every quiet feed would count as stalled.
const MinHeartbeatTimeout = 10 * time.Millisecond

// liveness watches one connection while the shard thread reads it, and is
// the connection's only writer after the subscriptions: it answers the
// publisher's PINGs, PINGs a publisher that has been quiet for a third of
// the heartbeat timeout, and declares the feed silent when nothing (no
// frame, heartbeat or PONG) has arrived for the whole timeout. Time the
// thread spends handing records to slow workers does not count: that is
// back-pressure (the watchdog's business), not a silent publisher.
func (t *shardThread) liveness(ctx context.Context, peer *zmqx.Peer, done <-chan struct{}) {
	s, st := t.s, t.st
	hb := s.cfg.HeartbeatTimeout
	every := time.Hour // only PINGs to answer
	if hb > 0 {
		every = min(max(hb/8, time.Millisecond), 250*time.Millisecond)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	// busy: last seen delivering; pinged: the activity time our last PING
	// followed; a new connection counts as activity.
	busy, pinged := time.Now().UnixNano(), int64(0)
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-peer.Pinged():
			// A PING is a sign of life too, though the reader never sees it.
			st.active.Store(time.Now().UnixNano())
			if peer.ServicePings() != nil {
				return // the reader sees the broken connection
			}
			continue
		case <-tick.C:
		}
		if hb <= 0 {
			continue
		}
		now := time.Now().UnixNano()
		if st.delivering.Load() != 0 {
			busy = now
		}
		last := max(st.active.Load(), busy)
		quiet := time.Duration(now - last)
		if quiet >= hb/3 && pinged != last {
			pinged = last
			if err := peer.Ping(hb); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					// Not even a PING went out in a whole timeout: dead link.
					t.stall(peer, time.Duration(time.Now().UnixNano()-last))
				} else {
					peer.Close() // broken: the reader reports why
				}
				return
			}
		}
		if quiet < hb {
			continue
		}
		t.stall(peer, quiet)
		return
	}
}

// stall reports a silent feed and drops its connection (the shard thread
// then redials); with MaxDelay and LateCroak it croaks instead.
func (t *shardThread) stall(peer *zmqx.Peer, quiet time.Duration) {
	s, st := t.s, t.st
	st.stalls.Add(1)
	st.silent.Store(true)
	t.stalled.Store(true)
	q := Squawk{Kind: "silent", Name: s.cfg.Name, Shard: t.id, Endpoint: s.eps[t.id].Raw, Peer: peer.Remote,
		Seq: st.lastSeq.Load(), Delay: quiet, Limit: s.cfg.HeartbeatTimeout, Time: time.Now().UnixNano()}
	if s.cfg.MaxDelay > 0 && s.cfg.OnLate == LateCroak && quiet > s.cfg.MaxDelay {
		// Stale data is late data: whatever the feed sends next is older
		// than the limit by now.
		q.Croak = true
		s.croak(q)
	} else {
		s.squawk(q)
	}
	peer.Close()
}

// IdleStrategy is what a shard thread does when a read finds no data
// (Aeron's idle strategies): poll the socket Spin times, then give the core
// away Yield times (sched_yield), then park in the poller until data comes.
// Spinning trades a core for the wake-up latency of a parked thread: use it
// only with threads pinned to dedicated cores. The zero value parks at once.
type IdleStrategy struct {
	Spin, Yield int
}

// Idle strategies for the --idle flag.
var (
	IdlePark  = IdleStrategy{}
	IdleYield = IdleStrategy{Yield: 2000}
	IdleSpin  = IdleStrategy{Spin: 50000, Yield: 2000}
)

// ParseIdle parses spin, yield or park.
func ParseIdle(s string) (IdleStrategy, error) {
	switch strings.ToLower(s) {
	case "park", "":
		return IdlePark, nil
	case "yield":
		return IdleYield, nil
	case "spin":
		return IdleSpin, nil
	}
	return IdlePark, fmt.Errorf("idle strategy %q: want spin, yield or park", s)
}

func (i IdleStrategy) validate() error {
	if i.Spin < 0 || i.Yield < 0 {
		return fmt.Errorf("idle strategy spin %d, yield %d: must not be negative", i.Spin, i.Yield)
	}
	return nil
}
