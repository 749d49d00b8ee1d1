package shard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// frame is one encoded batch on its way to subscribers. It is shared by
// every subscriber queue it sits in and recycled when the last one has
// written it, so a busy publisher does not allocate per frame.
type frame struct {
	buf     []byte
	prefix  []byte
	pre     [feed.PrefixLen]byte
	records int
	refs    atomic.Int32
	pool    *sync.Pool
}

func (f *frame) ref() { f.refs.Add(1) }

// cost is the memory a queued frame holds, which is what a subscriber's
// high-water mark bounds.
func (f *frame) cost() int { return cap(f.buf) }

func (f *frame) unref() {
	if f.refs.Add(-1) == 0 && f.pool != nil {
		f.pool.Put(f)
	}
}

// fanout is the PUB side of one shard: a listener and one bounded queue
// and writer goroutine per subscriber connection. Unlike zmq4's PUB, a
// stuck subscriber only fills its own queue; at the high-water mark its
// frames are dropped (counted, so it sees a gap), and a write that makes no
// progress within the write deadline disconnects it.
type fanout struct {
	shard   int
	name    string // for logs: "shard 3" or "alerts ENDPOINT"
	ln      *zmqx.Listener
	hwm     int
	block   bool // at the HWM, wait for the subscriber instead of dropping
	wdl     time.Duration
	logf    func(string, ...any)
	event   func(Event) // slow-consumer alerts; nil for none
	conns   atomic.Pointer[[]*subConn]
	mu      sync.Mutex // serialises conns updates and gone
	gone    []ConnStats
	stats   zmqx.Counters
	closing atomic.Bool
}

// subConn is one subscriber connection.
type subConn struct {
	f      *fanout
	peer   *zmqx.Peer
	subs   atomic.Pointer[[][]byte]
	wake   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	q      []*frame
	qBytes int // memory held by q and the batch being written (frame capacities)
	closed bool
	reason string
	since  time.Time

	frames, bytes, records  atomic.Int64
	dropFrames, dropRecords atomic.Int64
	dropBytes, hwmEvents    atomic.Int64
	blockedNs               atomic.Int64 // lossless mode: time the publisher waited for us
	space                   *sync.Cond   // on mu: signalled when qBytes shrinks
	dropping                bool         // guarded by mu: inside a drop episode
	lastDrop                time.Time
}

func newFanout(shard int, ep zmqx.Endpoint, o zmqx.Options, hwm int, wdl time.Duration, logf func(string, ...any), event func(Event)) (*fanout, error) {
	f := &fanout{shard: shard, name: fmt.Sprintf("shard %d", shard), hwm: hwm, wdl: wdl, logf: logf, event: event}
	if shard < 0 {
		f.name = "alerts " + ep.Raw
	}
	o.Stats = &f.stats
	ln, err := zmqx.Listen(ep, o)
	if err != nil {
		return nil, err
	}
	f.ln = ln
	empty := []*subConn{}
	f.conns.Store(&empty)
	go ln.Serve(zmq4.Pub, f.add)
	return f, nil
}

func (f *fanout) add(p *zmqx.Peer) {
	c := &subConn{f: f, peer: p, wake: make(chan struct{}, 1), done: make(chan struct{}), since: time.Now()}
	c.space = sync.NewCond(&c.mu)
	none := [][]byte{}
	c.subs.Store(&none)
	p.Coalesce()
	f.mu.Lock()
	if f.closing.Load() {
		f.mu.Unlock()
		p.Close()
		return
	}
	old := *f.conns.Load()
	next := append(append([]*subConn(nil), old...), c)
	f.conns.Store(&next)
	f.mu.Unlock()
	go c.readLoop()
	go c.writeLoop()
}

// send queues fr for every subscriber whose subscriptions match its
// prefix. The caller holds one reference, which it releases afterwards.
func (f *fanout) send(fr *frame) {
	for _, c := range *f.conns.Load() {
		if c.matches(fr.prefix) {
			c.enqueue(fr)
		}
	}
}

func (c *subConn) matches(prefix []byte) bool {
	for _, s := range *c.subs.Load() {
		if bytes.HasPrefix(prefix, s) {
			return true
		}
	}
	return false
}

func (c *subConn) enqueue(fr *frame) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.f.block && c.qBytes+fr.cost() > c.f.hwm && c.qBytes > 0 {
		// Lossless mode: wait for the subscriber. A stuck one is cut off
		// at the write deadline, which ends this wait.
		t0 := time.Now()
		for !c.closed && c.qBytes+fr.cost() > c.f.hwm && c.qBytes > 0 {
			c.space.Wait()
		}
		c.blockedNs.Add(int64(time.Since(t0)))
		if c.closed {
			c.mu.Unlock()
			return
		}
	}
	if c.qBytes+fr.cost() > c.f.hwm && c.qBytes > 0 {
		c.dropFrames.Add(1)
		c.dropRecords.Add(int64(fr.records))
		c.dropBytes.Add(int64(len(fr.buf)))
		first := !c.dropping
		c.dropping = true
		c.lastDrop = time.Now()
		c.mu.Unlock()
		if first {
			c.hwmEvents.Add(1)
			msg := fmt.Sprintf("%s: slow subscriber %s: over the high-water mark (%d bytes queued): dropping its frames",
				c.f.name, c.peer.Remote, c.f.hwm)
			c.f.logf("%s", msg)
			c.f.emit(Event{Kind: "slow_consumer", Message: msg, Peer: c.peer.Remote, Shard: c.f.shard})
		}
		return
	}
	c.dropping = false
	fr.ref()
	c.q = append(c.q, fr)
	c.qBytes += fr.cost()
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// maxFlush bounds the bytes handed to one writev, so the write deadline
// measures lack of progress rather than the size of a backlog.
const maxFlush = 1 << 20

func (c *subConn) writeLoop() {
	var batch []*frame
	msg := zmq4.Msg{Frames: make([][]byte, 2)}
	for {
		select {
		case <-c.wake:
		case <-c.peer.Pinged():
		case <-c.done:
			return
		}
		for {
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				return
			}
			n, size, cost := 0, 0, 0
			for n < len(c.q) && (n == 0 || size+len(c.q[n].buf) <= maxFlush) {
				size += len(c.q[n].buf)
				cost += c.q[n].cost()
				n++
			}
			batch = append(batch[:0], c.q[:n]...)
			c.q = c.q[:copy(c.q, c.q[n:])]
			c.mu.Unlock()
			if n == 0 {
				break
			}
			var err error
			if err = c.peer.ServicePings(); err == nil {
				for _, fr := range batch {
					msg.Frames[0], msg.Frames[1] = fr.prefix, fr.buf
					if err = c.peer.SendMsg(msg); err != nil {
						break
					}
				}
			}
			if err == nil {
				err = c.peer.Flush(c.f.wdl)
			}
			recs := 0
			for _, fr := range batch {
				recs += fr.records
				fr.unref()
			}
			c.mu.Lock()
			c.qBytes -= cost
			c.space.Broadcast()
			c.mu.Unlock()
			if err != nil {
				reason := "write failed: " + err.Error()
				if errors.Is(err, zmqx.ErrStuck) {
					reason = "stuck: no progress within the write deadline (" + c.f.wdl.String() + ")"
				}
				c.close(reason)
				return
			}
			c.frames.Add(int64(n))
			c.bytes.Add(int64(size))
			c.records.Add(int64(recs))
		}
		// A PING that found nothing queued is answered now, not with the
		// next frame: libzmq's ZMQ_HEARTBEAT_TIMEOUT may be shorter.
		err := c.peer.ServicePings()
		if err == nil {
			err = c.peer.Flush(c.f.wdl)
		}
		if err != nil {
			c.close("write failed: " + err.Error())
			return
		}
	}
}

// readLoop applies subscription messages ([1|0][prefix], ZMTP 3.0 style,
// which is what libzmq sends a 3.0 peer such as zmq4) until the peer goes.
func (c *subConn) readLoop() {
	for {
		msg, err := c.peer.RecvMsg()
		if err != nil {
			if c.f.closing.Load() {
				c.close("publisher closed")
			} else {
				c.close("disconnected: " + err.Error())
			}
			return
		}
		if msg.Type == zmq4.CmdMsg || len(msg.Frames) != 1 || len(msg.Frames[0]) == 0 {
			continue
		}
		b := msg.Frames[0]
		if b[0] != 0 && b[0] != 1 {
			continue
		}
		topic := append([]byte(nil), b[1:]...)
		old := *c.subs.Load()
		var next [][]byte
		for _, s := range old {
			if !bytes.Equal(s, topic) {
				next = append(next, s)
			}
		}
		if b[0] == 1 {
			next = append(next, topic)
		}
		c.subs.Store(&next)
	}
}

func (c *subConn) close(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.reason = true, reason
	c.space.Broadcast()
	q := c.q
	c.q, c.qBytes = nil, 0
	c.mu.Unlock()
	for _, fr := range q {
		fr.unref()
	}
	close(c.done)
	c.peer.Close()
	f := c.f
	f.mu.Lock()
	old := *f.conns.Load()
	next := make([]*subConn, 0, len(old))
	for _, o := range old {
		if o != c {
			next = append(next, o)
		}
	}
	f.conns.Store(&next)
	f.gone = append(f.gone, c.snapshot())
	f.mu.Unlock()
	if !f.closing.Load() {
		msg := fmt.Sprintf("%s: subscriber %s %s", f.name, c.peer.Remote, reason)
		f.logf("%s", msg)
		if strings.HasPrefix(reason, "stuck") || strings.HasPrefix(reason, "write failed") {
			f.emit(Event{Kind: "disconnect", Message: msg, Peer: c.peer.Remote, Shard: f.shard})
		}
	}
}

func (c *subConn) snapshot() ConnStats {
	c.mu.Lock()
	state, queued := "connected", c.qBytes
	if c.closed {
		state = c.reason
	}
	c.mu.Unlock()
	var subs []string
	for _, s := range *c.subs.Load() {
		subs = append(subs, string(s))
	}
	return ConnStats{
		Shard: c.f.shard, Peer: c.peer.Remote, State: state, Subscriptions: subs,
		Frames: c.frames.Load(), Bytes: c.bytes.Load(), Records: c.records.Load(),
		DroppedFrames: c.dropFrames.Load(), DroppedRecords: c.dropRecords.Load(), DroppedBytes: c.dropBytes.Load(),
		HWMEvents: c.hwmEvents.Load(), BlockedMs: c.blockedNs.Load() / 1e6, QueuedBytes: int64(queued), ConnectedFor: time.Since(c.since).Round(time.Millisecond).String(),
	}
}

func (f *fanout) emit(ev Event) {
	if f.event != nil {
		f.event(ev)
	}
}

// subscribed counts connections that have at least one subscription.
func (f *fanout) subscribed() int {
	n := 0
	for _, c := range *f.conns.Load() {
		if len(*c.subs.Load()) > 0 {
			n++
		}
	}
	return n
}

// drained reports whether no connection has queued or unflushed frames.
func (f *fanout) drained() bool {
	for _, c := range *f.conns.Load() {
		c.mu.Lock()
		q := c.qBytes
		c.mu.Unlock()
		if q > 0 {
			return false
		}
	}
	return true
}

func (f *fanout) connStats() []ConnStats {
	f.mu.Lock()
	out := append([]ConnStats(nil), f.gone...)
	f.mu.Unlock()
	for _, c := range *f.conns.Load() {
		out = append(out, c.snapshot())
	}
	return out
}

func (f *fanout) close() {
	f.closing.Store(true)
	f.ln.Close()
	for _, c := range *f.conns.Load() {
		c.close("publisher closed")
	}
}
