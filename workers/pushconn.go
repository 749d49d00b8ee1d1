package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

// Connection modes: a new connection is pending until it announces credit
// (credit) or the negotiation time passes without one (plain).
const (
	modePending int32 = iota
	modeCredit
	modePlain
)

// Connection states, as reported in WorkerStats.State.
const (
	stateConnected    = "connected"
	stateNegotiating  = "negotiating"
	stateFinished     = "finished"     // told end-of-stream, everything acknowledged
	stateDropped      = "dropped"      // stopped making progress: the dispatcher cut it
	stateDisconnected = "disconnected" // the worker (or the network) went away
	stateAborted      = "aborted"      // the subscriber croaked
	stateProtocol     = "protocol error"
)

// endMarker is the first part of the two-part message that tells a credit
// worker why the stream ends (docs/wire.md, "Worker credit").
var endMarker = []byte("BBEND")

// creditMarker starts the two-part message that confirms to a worker that
// its credit was taken: from then on the worker knows its acknowledgements
// count, and that a connection on which one cannot be written has been
// dropped (what it still holds from it is counted lost or redelivered).
var creditMarker = []byte("BBCREDIT")

// pushConn is one worker connection: a zmqx.Writer (the only writer of
// the peer: coalesced writes, deadlines, PONGs) fed only where there is
// credit, and a reader goroutine that reads the worker's credit.
type pushConn struct {
	d     *PushDispatcher
	id    int
	peer  *zmqx.Peer
	w     *zmqx.Writer
	since time.Time
	mode  atomic.Int32
	once  sync.Once

	mu        sync.Mutex
	window    int
	sentB     int64         // batches given to the writer (credit)
	ackedB    int64         // batches acknowledged
	ackedR    int64         // records acknowledged
	unacked   []*zmqx.Frame // given, not acknowledged, in wire order; each holds the dispatcher's reference
	progress  time.Time     // last acknowledgement, or when work was given to an idle worker
	ending    bool          // end-of-stream queued: nothing more is offered
	endCode   byte
	endReason string
	endSent   bool // end-of-stream written
	endParts  int64
	dead      bool
	closedIn  bool // the writer has reported its close
	state     string
	reason    string
	handed    int64 // records handed to the kernel for this worker
	batches   int64
	lost      int64
	redeliv   int64
	lateNote  bool
}

func newPushConn(d *PushDispatcher, p *zmqx.Peer) (*pushConn, error) {
	c := &pushConn{d: d, peer: p, since: time.Now()}
	w, err := zmqx.NewWriter(p, zmqx.WriterConfig{
		// The bound is a safety net: offer gates by credit (or Queue).
		MaxFrames:    max(d.cfg.Queue, d.cfg.MaxWindow) + 4, // + the credit confirmation and the two end parts
		WriteTimeout: d.cfg.WriteTimeout,
		Reclaim:      true,
		OnClose:      c.onClose,
		// A plain peer's queue room frees as the writer writes; credit
		// frees on acknowledgements (onCredit wakes for those).
		OnIdle: d.wake,
	})
	if err != nil {
		return nil, err
	}
	c.w = w
	return c, nil
}

// offer gives f to c if it has credit (or, for a plain peer, queue room);
// c then owns the caller's reference. Called with d.mu held; never blocks.
func (c *pushConn) offer(f *zmqx.Frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.ending {
		return false
	}
	switch c.mode.Load() {
	case modeCredit:
		if c.sentB-c.ackedB >= int64(c.window) || !c.w.TrySend(f) {
			return false
		}
		if c.sentB == c.ackedB {
			c.progress = time.Now() // the deadline runs from when an idle worker is given work
		}
		c.sentB++
		c.unacked = append(c.unacked, f)
	case modePlain:
		if c.w.Stats().QueuedFrames >= c.d.cfg.Queue || !c.w.TrySend(f) {
			return false
		}
		f.Unref() // plain peers acknowledge nothing: the writer's reference is the last
	default:
		return false
	}
	return true
}

// end queues the end-of-stream after what is queued: for a credit worker
// the reason first, then the EOS frame every PULL understands.
func (c *pushConn) end(code byte, reason string) {
	c.mu.Lock()
	if c.dead || c.ending {
		c.mu.Unlock()
		return
	}
	c.ending, c.endCode, c.endReason = true, code, reason
	credit := c.mode.Load() == modeCredit
	c.mu.Unlock()
	var eos feed.Encoder
	eos.Reset(nil, feed.Header{Flags: feed.FlagEOS | feed.FlagSeq})
	parts := []*zmqx.Frame{zmqx.NewFrame(nil, eos.Finish(), 0)}
	if credit {
		parts = append([]*zmqx.Frame{zmqx.NewFrame(endMarker, marshalEnd(code, reason), 0)}, parts...)
	}
	for _, f := range parts {
		c.w.TrySend(f)
		f.Unref()
	}
	c.mu.Lock()
	c.endParts = int64(len(parts))
	c.mu.Unlock()
	c.d.wg.Add(1) // end is called before Close waits for the group
	go func() {
		defer c.d.wg.Done()
		timeout := c.d.cfg.WriteTimeout
		if code == endAborted {
			timeout = min(timeout, time.Second)
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := c.w.Drain(ctx)
		c.mu.Lock()
		c.endSent = err == nil
		c.mu.Unlock()
		switch {
		case code == endAborted:
			c.kill(stateAborted, "subscriber croaked: "+reason) // kill names the state
		case err != nil:
			c.kill(stateDisconnected, "end of stream not taken: "+err.Error())
		}
		c.d.wake()
	}()
}

// readyForEnd reports whether Close should queue end-of-stream now: not
// yet queued, and (credit) nothing unacknowledged. Called with d.mu held.
func (c *pushConn) readyForEnd() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.dead && !c.ending && (c.mode.Load() != modeCredit || c.ackedB == c.sentB)
}

// settled reports whether Close may disconnect c. Called with d.mu held.
func (c *pushConn) settled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return true
	}
	if !c.endSent {
		return false
	}
	return c.mode.Load() != modeCredit || c.endCode == endAborted || c.ackedB == c.sentB
}

// stalled returns what a credit worker holds unacknowledged and for how
// long it has made no progress (0 when it holds nothing).
func (c *pushConn) stalled(now time.Time) (batches int64, records int64, idle time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sentB == c.ackedB {
		return 0, 0, 0
	}
	for _, f := range c.unacked {
		records += int64(f.Records)
	}
	return int64(len(c.unacked)), records, now.Sub(c.progress)
}

// kill disconnects c once; the writer then reports what it had (onClose).
func (c *pushConn) kill(state, reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.dead, c.state, c.reason = true, state, reason
		if c.ending && c.endCode == endAborted {
			// However it ends after an abort (the worker hangs up as told).
			c.state, c.reason = stateAborted, "subscriber croaked: "+c.endReason
		} else if state == stateFinished || (state == stateDisconnected && c.ending &&
			(c.endSent || (c.mode.Load() == modeCredit && c.ackedB == c.sentB))) {
			// Leaving after end-of-stream is finishing, unless records
			// remain unacknowledged (onClose decides).
			c.state = stateFinished
			if c.mode.Load() == modeCredit {
				c.reason = "end of stream acknowledged"
			} else {
				c.reason = "end of stream sent"
			}
		}
		c.mu.Unlock()
		if state == stateDropped || state == stateProtocol {
			// What it has received and not read must stay unread: it is
			// counted lost (or redelivered) from here on.
			c.peer.ResetOnClose()
		}
		c.w.Close(closedState(state), reason)
		c.d.remove(c)
		if state != stateFinished && state != stateAborted {
			c.d.cfg.Logf("worker %d (%s) %s: %s", c.id, c.peer.Remote, state, reason)
		}
	})
}

func closedState(state string) zmqx.ClosedState {
	switch state {
	case stateFinished:
		return zmqx.Shutdown
	case stateDropped:
		return zmqx.Stalled
	case stateAborted:
		return zmqx.Aborted
	case stateProtocol:
		return zmqx.ProtocolError
	}
	return zmqx.ClosedByPeer
}

// readLoop reads credit until the connection ends.
func (c *pushConn) readLoop() {
	for {
		m, err := readPeer(c.peer, func(n int) []byte { return make([]byte, n) })
		if err != nil {
			if errors.Is(err, zmqx.ErrBadCommand) {
				c.kill(stateProtocol, err.Error())
				return
			}
			_, detail := zmqx.ReadCloseReason(err)
			c.kill(stateDisconnected, detail)
			return
		}
		if !m.cmd || m.name != cmdCredit {
			continue // PULL peers send nothing else; ignore what we do not know
		}
		cr, err := parseCredit(m.body)
		if err == nil {
			err = c.onCredit(cr)
		}
		if err != nil {
			c.kill(stateProtocol, err.Error())
			return
		}
	}
}

// onCredit applies one credit message: the first switches the connection
// to credit mode; each acknowledges, cumulatively, batches in wire order.
func (c *pushConn) onCredit(cr credit) error {
	d := c.d
	c.mu.Lock()
	if c.closedIn {
		c.mu.Unlock()
		return nil
	}
	first := false
	switch c.mode.Load() {
	case modePending:
		c.mode.Store(modeCredit)
		first = true
	case modePlain:
		late := !c.lateNote
		c.lateNote = true
		c.mu.Unlock()
		if late {
			d.cfg.Logf("worker %d (%s) announced credit after it was served as a plain PULL; staying plain", c.id, c.peer.Remote)
		}
		return nil
	}
	c.window = min(max(int(cr.window), 1), d.cfg.MaxWindow)
	n := int64(cr.batches) - c.ackedB
	if n < 0 || n > int64(len(c.unacked)) {
		c.mu.Unlock()
		return fmt.Errorf("acknowledged %d batches, %d were sent (%d acknowledged before)", cr.batches, c.sentB, c.ackedB)
	}
	var recs int64
	done := c.unacked[:n]
	for _, f := range done {
		recs += int64(f.Records)
	}
	got := int64(cr.records) - c.ackedR
	if got > recs || got < 0 {
		c.mu.Unlock()
		return fmt.Errorf("acknowledged %d records in %d batches that held %d", got, n, recs)
	}
	// Fewer means the worker could not handle some (a frame it found
	// malformed): those are lost, counted here.
	c.lost += recs - got
	d.connLost.Add(recs - got)
	c.ackedB += n
	c.ackedR += got
	if n > 0 {
		c.progress = time.Now()
	}
	c.unacked = c.unacked[n:]
	if len(c.unacked) == 0 {
		c.unacked = nil // let the backing array go
	}
	c.mu.Unlock()
	for _, f := range done {
		f.Unref()
	}
	if first {
		ok := zmqx.NewFrame(creditMarker, []byte{creditVersion}, 0)
		c.w.TrySend(ok) // before any batch: nothing is offered until setReady
		ok.Unref()
		d.cfg.Logf("worker %d (%s) takes credit: window %d batches", c.id, c.peer.Remote, c.window)
		d.mu.Lock()
		d.setReady()
		d.mu.Unlock()
		return nil
	}
	d.wake()
	return nil
}

// onClose settles a closed connection's accounts, from the writer
// goroutine once it has stopped: frames never written go to other workers
// (that is not redelivery: no worker saw them); frames written (or cut
// short) and not acknowledged are lost, or redelivered with Redeliver.
func (c *pushConn) onClose(info zmqx.CloseInfo) {
	detail := info.Reason.Describe(info.Detail)
	c.kill(stateDisconnected, detail) // a failed write: no-op if already killed
	d := c.d
	d.redispatching.Add(1) // before closedIn: Close must not think all is quiet in between
	c.mu.Lock()
	c.closedIn = true
	pending := c.unacked
	c.unacked = nil
	credit := c.mode.Load() == modeCredit
	// Unsent is in queue order and the writer writes in that order, so a
	// credit connection's unsent frames are the tail of unacked. The
	// writer's references come back with them.
	var unsent []*zmqx.Frame
	nUnsent := 0
	for _, f := range info.Unsent {
		if f.Records > 0 {
			nUnsent++
		}
		if credit || f.Records == 0 {
			f.Unref() // credit: the dispatcher still holds its own in pending
		} else {
			unsent = append(unsent, f) // plain: the writer's was the only one
		}
	}
	written := pending
	if credit {
		if nUnsent > len(pending) {
			nUnsent = len(pending) // cannot happen; never index past
		}
		written, unsent = pending[:len(pending)-nUnsent], pending[len(pending)-nUnsent:]
	}
	var lostRecs int64
	for _, f := range written {
		lostRecs += int64(f.Records)
	}
	redeliver := d.cfg.Redeliver && !d.aborted && lostRecs > 0
	if redeliver {
		c.redeliv = lostRecs
	} else {
		c.lost += lostRecs
	}
	st := info.Stats
	c.handed = st.Written.Records + info.InFlight.Records
	if credit {
		c.batches = c.ackedB + int64(len(written))
	} else {
		c.batches = st.Written.Frames + info.InFlight.Frames
		if c.endSent {
			c.batches -= c.endParts
		}
	}
	if !credit && c.mode.Load() == modePlain && !c.endSent && c.handed > 0 && !d.aborted {
		d.unconfirmed.Add(c.handed)
	}
	if c.state == stateFinished && lostRecs > 0 {
		c.state = stateDisconnected
	}
	state, reason := c.state, c.reason
	c.mu.Unlock()
	if lostRecs > 0 {
		verb := "lost"
		if redeliver {
			verb = "redelivering them"
		}
		d.cfg.Logf("worker %d (%s) %s with %d batches (%d records) unacknowledged: %s (%s)",
			c.id, c.peer.Remote, state, len(written), lostRecs, verb, reason)
	}
	d.wg.Add(1) // before the writer's Done is closed, which Close waits for first
	go func() {
		// Off the writer goroutine: dispatch may wait for credit.
		defer d.wg.Done()
		defer func() { d.redispatching.Add(-1); d.wake() }()
		for _, f := range unsent {
			d.redispatch(f)
		}
		if redeliver {
			d.redelivered.Add(lostRecs)
			for _, f := range written {
				d.redispatch(f)
			}
		} else {
			d.connLost.Add(lostRecs)
			for _, f := range written {
				f.Unref()
			}
		}
	}()
}

func (c *pushConn) stats() WorkerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := WorkerStats{ID: c.id, Records: c.handed, Batches: c.batches, Peer: c.peer.Remote,
		Lost: c.lost, Redelivered: c.redeliv, CloseReason: c.reason}
	if !c.closedIn {
		st := c.w.Stats()
		ws.Records, ws.Batches = st.Written.Records, st.Written.Frames
	}
	switch c.mode.Load() {
	case modeCredit:
		ws.Mode, ws.Handled, ws.Window = "credit", c.ackedR, c.window
	case modePlain:
		ws.Mode = "plain"
	default:
		ws.Mode = "pending"
	}
	switch {
	case c.dead:
		ws.State = c.state
	case c.mode.Load() == modePending:
		ws.State = stateNegotiating
	default:
		ws.State = stateConnected
	}
	return ws
}
