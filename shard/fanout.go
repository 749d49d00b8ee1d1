package shard

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// frame is one encoded batch on its way to subscribers: a two-part ZMTP
// message [partition prefix][batch], shared by every subscriber's writer
// it is queued on and recycled when the last one has written it, so a busy
// publisher does not allocate per frame.
type frame struct {
	zmqx.Frame
	pre [feed.PrefixLen]byte
	put func() // returns the frame to its pool; nil for unpooled frames
}

// newFrame is an unpooled frame holding the caller's reference.
func newFrame(body, prefix []byte, records int) *frame {
	f := &frame{}
	f.Prefix, f.Body, f.Records = prefix, body, records
	f.Init(nil)
	return f
}

// maxGone bounds the closed connections a fanout remembers by name; the
// totals over all of them stay exact (goneTotals).
const maxGone = 256

// fanout is the PUB side of one shard: a listener and one zmqx.Writer per
// subscriber connection. Unlike zmq4's PUB, a stuck subscriber only fills
// its own queue; at the high-water mark its frames are dropped (counted,
// so it sees a gap), and a write that makes no progress within the write
// deadline disconnects it, counting what was still queued for it.
type fanout struct {
	shard       int
	name        string // for logs: "shard 3"
	ln          *zmqx.Listener
	hwm         int
	block       bool // at the HWM, wait for the subscriber instead of dropping
	wdl         time.Duration
	logf        func(string, ...any)
	event       func(Event) // slow-consumer alerts; nil for none
	conns       atomic.Pointer[[]*subConn]
	stats       zmqx.Counters
	subsChanged broadcast // a subscription or a connection came or went (WaitSubscribers)

	mu       sync.Mutex // serialises conns updates, closing, the history and totals
	gone     []ConnStats
	goneNext int   // ring position of the oldest entry once gone is full
	omitted  int64 // closed connections no longer in gone
	totals   connTotals
	closedBy []int64 // per zmqx.ClosedState
	closing  atomic.Bool
	live     sync.WaitGroup // every connection's reader and writer
	serving  sync.WaitGroup // the listener's Serve (handshakes, add)

	// held is set while the publisher keeps frames of this shard open
	// because every subscriber's writer was busy; a writer going idle then
	// calls kick to have them sent at once.
	held atomic.Bool
	kick func(shard int)

	pending bool // hold queued frames that push has not written; publisher's lock
}

var closedStates = zmqx.ClosedStates()

// connTotals sums the counters of connections that have closed.
type connTotals struct {
	frames, records, bytes                  int64
	droppedFrames, droppedRecords, dropped  int64
	discFrames, discRecords, discBytes, cut int64
	slow                                    int64
}

func (t *connTotals) add(c *ConnStats) {
	t.frames += c.Frames
	t.records += c.Records
	t.bytes += c.Bytes
	t.droppedFrames += c.DroppedFrames
	t.droppedRecords += c.DroppedRecords
	t.dropped += c.DroppedBytes
	t.discFrames += c.DiscardedFrames
	t.discRecords += c.DiscardedRecords
	t.discBytes += c.DiscardedBytes
	if c.slow() {
		t.slow++
	}
	if c.cut() {
		t.cut++
	}
}

// subConn is one subscriber connection.
type subConn struct {
	f     *fanout
	peer  *zmqx.Peer
	w     *zmqx.Writer
	subs  atomic.Pointer[[][]byte]
	since time.Time
}

// newFanout binds one shard's PUB endpoint: block is the publisher's
// lossless mode, kick its flush of held frames. Both are set before the
// first peer.
func newFanout(shard int, ep zmqx.Endpoint, o zmqx.Options, hwm int, wdl time.Duration, logf func(string, ...any), event func(Event),
	block bool, kick func(shard int)) (*fanout, error) {
	f := &fanout{shard: shard, name: fmt.Sprintf("shard %d", shard), hwm: hwm, wdl: wdl, logf: logf, event: event,
		closedBy: make([]int64, len(closedStates)), block: block, kick: kick}
	o.Stats = &f.stats
	ln, err := zmqx.Listen(ep, o)
	if err != nil {
		return nil, err
	}
	f.ln = ln
	empty := []*subConn{}
	f.conns.Store(&empty)
	f.serving.Add(1)
	go func() { defer f.serving.Done(); ln.Serve(zmq4.Pub, f.add) }()
	return f, nil
}

func (f *fanout) add(p *zmqx.Peer) {
	c := &subConn{f: f, peer: p, since: time.Now()}
	none := [][]byte{}
	c.subs.Store(&none)
	f.mu.Lock()
	if f.closing.Load() {
		f.mu.Unlock()
		p.Close()
		return
	}
	full := zmqx.FullDrop
	if f.block {
		full = zmqx.FullBlock
	}
	f.live.Add(2)
	w, err := zmqx.NewWriter(p, zmqx.WriterConfig{MaxBytes: f.hwm, Full: full, WriteTimeout: f.wdl,
		OnIdle: f.idle, OnHWM: c.overHWM, OnClose: c.closed})
	if err != nil { // a config we built: cannot happen, but never leak the peer
		f.live.Add(-2)
		f.mu.Unlock()
		p.Close()
		f.logf("%s: subscriber %s: %v", f.name, p.Remote, err)
		return
	}
	c.w = w
	old := *f.conns.Load()
	next := append(append([]*subConn(nil), old...), c)
	f.conns.Store(&next)
	f.mu.Unlock()
	go c.readLoop()
}

// idle runs on a writer that has just emptied its queue.
func (f *fanout) idle() {
	if f.held.Load() && f.kick != nil {
		f.kick(f.shard)
	}
}

// hold queues fr for every subscriber that wants it without waking their
// writers; push, at the end of the publisher's round, writes the round's
// frames (on the publisher's goroutine where a writer is idle). Both are
// called under the publisher's lock.
func (f *fanout) hold(fr *frame, past bool) {
	for _, c := range *f.conns.Load() {
		if c.matches(fr.Prefix) {
			if past {
				c.w.HoldPast(&fr.Frame)
			} else {
				c.w.Hold(&fr.Frame)
			}
			f.pending = true
		}
	}
}

func (f *fanout) push() {
	if !f.pending {
		return
	}
	f.pending = false
	for _, c := range *f.conns.Load() {
		c.w.Push()
	}
}

// busyFor reports whether every subscriber that wants prefix has a writer
// still busy with earlier frames (and there is at least one): a frame for
// them can keep filling, as it would only wait in their queues.
func (f *fanout) busyFor(prefix []byte) bool {
	any := false
	for _, c := range *f.conns.Load() {
		if c.matches(prefix) {
			if !c.w.Busy() {
				return false
			}
			any = true
		}
	}
	return any
}

func (c *subConn) matches(prefix []byte) bool {
	for _, s := range *c.subs.Load() {
		if bytes.HasPrefix(prefix, s) {
			return true
		}
	}
	return false
}

// overHWM reports the start of a drop episode.
func (c *subConn) overHWM(int) {
	msg := fmt.Sprintf("%s: slow subscriber %s: over the high-water mark (%d bytes queued): dropping its frames",
		c.f.name, c.peer.Remote, c.f.hwm)
	c.f.logf("%s", msg)
	c.f.emit(Event{Kind: "slow_consumer", Message: msg, Peer: c.peer.Remote, Shard: c.f.shard})
}

// readLoop applies subscription messages ([1|0][prefix], ZMTP 3.0 style,
// which is what libzmq sends a 3.0 peer such as zmq4) until the peer goes.
// Reading is also what lets the guard see (and the writer answer) PINGs.
func (c *subConn) readLoop() {
	defer c.f.live.Done()
	for {
		msg, err := c.peer.RecvMsg()
		if err != nil {
			if c.f.closing.Load() {
				c.w.Close(zmqx.Shutdown, "publisher closed")
			} else {
				c.w.Close(zmqx.ReadCloseReason(err))
			}
			return
		}
		if msg.IsCommand() || len(msg.Frames) != 1 || len(msg.Frames[0]) == 0 {
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
		c.f.subsChanged.signal()
	}
}

// closed runs once on the writer goroutine when the connection has ended,
// with exactly what the writer discarded.
func (c *subConn) closed(info zmqx.CloseInfo) {
	f := c.f
	st := c.stats(info.Stats)
	f.mu.Lock()
	old := *f.conns.Load()
	next := make([]*subConn, 0, len(old))
	for _, o := range old {
		if o != c {
			next = append(next, o)
		}
	}
	f.conns.Store(&next)
	f.remember(st)
	f.mu.Unlock()
	f.subsChanged.signal()
	if !f.closing.Load() {
		msg := fmt.Sprintf("%s: subscriber %s %s", f.name, c.peer.Remote, st.State)
		if d := info.Discarded; d.Frames > 0 {
			msg += fmt.Sprintf("; discarded %d frames (%d records) still queued for it", d.Frames, d.Records)
		}
		f.logf("%s", msg)
		if st.cut() {
			f.emit(Event{Kind: "disconnect", Message: msg, Peer: c.peer.Remote, Shard: f.shard})
		}
	}
	if f.held.Load() && f.kick != nil {
		f.kick(f.shard) // frames held for this writer must not wait for the next source record
	}
	f.live.Done()
}

// remember adds a closed connection to the history ring and the totals;
// the caller holds f.mu.
func (f *fanout) remember(st ConnStats) {
	f.totals.add(&st)
	f.closedBy[st.CloseReason]++
	if len(f.gone) < maxGone {
		f.gone = append(f.gone, st)
		return
	}
	f.gone[f.goneNext] = st
	f.goneNext = (f.goneNext + 1) % maxGone
	f.omitted++
}

func (c *subConn) snapshot() ConnStats { return c.stats(c.w.Stats()) }

func (c *subConn) stats(ws zmqx.WriterStats) ConnStats {
	state := "connected"
	switch ws.Reason {
	case zmqx.Open:
	case zmqx.Shutdown:
		state = "publisher closed"
	default:
		state = ws.Reason.Describe(ws.Detail)
	}
	var subs []string
	for _, s := range *c.subs.Load() {
		subs = append(subs, string(s))
	}
	return ConnStats{
		Shard: c.f.shard, Peer: c.peer.Remote, State: state, CloseReason: ws.Reason, Subscriptions: subs,
		Frames: ws.Written.Frames, Bytes: ws.Written.Bytes, Records: ws.Written.Records,
		DroppedFrames: ws.Dropped.Frames, DroppedRecords: ws.Dropped.Records, DroppedBytes: ws.Dropped.Bytes,
		DiscardedFrames: ws.Discarded.Frames, DiscardedRecords: ws.Discarded.Records, DiscardedBytes: ws.Discarded.Bytes,
		HWMEvents: ws.HWMEvents, BlockedMs: ws.Blocked.Milliseconds(), QueuedBytes: int64(ws.QueuedBytes),
		ConnectedFor: time.Since(c.since).Round(time.Millisecond).String(),
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

// drain waits until every connection has written what is queued for it,
// or ctx ends.
func (f *fanout) drain(ctx context.Context) {
	for _, c := range *f.conns.Load() {
		c.w.Drain(ctx) // a connection that closes meanwhile has counted its loss
	}
}

// connStats lists the remembered closed connections, oldest first, then
// the live ones.
func (f *fanout) connStats() []ConnStats {
	f.mu.Lock()
	out := append(append([]ConnStats(nil), f.gone[f.goneNext:]...), f.gone[:f.goneNext]...)
	conns := *f.conns.Load()
	f.mu.Unlock()
	for _, c := range conns {
		out = append(out, c.snapshot())
	}
	return out
}

// shardTotals fills s with the counters over every connection the shard
// has had: the closed ones exactly (listed or not) and the live ones as
// they stand. It returns the slow consumers among them and how many closed
// connections fell out of the history.
func (f *fanout) shardTotals(s *ShardPubStats) (slow, omitted int64) {
	f.mu.Lock()
	t := f.totals
	omitted = f.omitted
	conns := *f.conns.Load() // not yet in the totals, under the same lock
	for i, n := range f.closedBy {
		if n > 0 {
			if s.Closed == nil {
				s.Closed = map[string]int64{}
			}
			s.Closed[closedStates[i].String()] = n
		}
	}
	f.mu.Unlock()
	for _, c := range conns {
		st := c.snapshot()
		t.add(&st)
	}
	s.DroppedFrames, s.DroppedRecords = t.droppedFrames, t.droppedRecords
	s.DiscardedFrames, s.DiscardedRecords, s.DiscardedBytes = t.discFrames, t.discRecords, t.discBytes
	s.ConnectionsCut = t.cut
	return t.slow, omitted
}

// close disconnects every subscriber (reason Shutdown) and waits until
// their goroutines have exited and their losses are counted.
func (f *fanout) close() {
	f.mu.Lock()
	f.closing.Store(true)
	conns := *f.conns.Load()
	f.mu.Unlock()
	f.ln.Close()
	for _, c := range conns {
		c.w.Close(zmqx.Shutdown, "publisher closed")
	}
	f.serving.Wait() // an add under way sees closing and closes its peer
	f.live.Wait()
}
