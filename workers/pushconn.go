package workers

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
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

type pushFrame struct {
	buf     []byte
	records int
	written bool // under conn.mu: the writer has put it on the wire
	end     *endMsg
}

type endMsg struct {
	code   byte
	reason string
}

// pushConn is one worker connection. Its writer goroutine is the only
// one writing to the peer; its reader goroutine reads credit.
type pushConn struct {
	d     *PushDispatcher
	id    int
	peer  *zmqx.Peer
	since time.Time
	mode  atomic.Int32
	q     chan *pushFrame
	kill_ chan struct{} // closed by kill: the writer stops
	once  sync.Once

	mu        sync.Mutex
	window    int
	sentB     int64        // batches queued (credit)
	ackedB    int64        // batches acknowledged
	ackedR    int64        // records acknowledged
	unacked   []*pushFrame // queued or written, not acknowledged, in wire order
	progress  time.Time    // last acknowledgement, or when work was given to an idle worker
	ending    bool         // end-of-stream queued: nothing more is offered
	endCode   byte
	endSent   bool // end-of-stream written and flushed
	dead      bool
	reaped    bool
	state     string
	reason    string
	handed    int64 // records written to the peer
	batches   int64
	lost      int64
	redeliv   int64
	discarded int64
	lateNote  bool
}

func newPushConn(d *PushDispatcher, p *zmqx.Peer) *pushConn {
	p.Coalesce()
	return &pushConn{d: d, peer: p, since: time.Now(),
		q: make(chan *pushFrame, max(d.cfg.Queue, d.cfg.MaxWindow)+1), kill_: make(chan struct{})}
}

// offer queues f if c has credit (or, for a plain peer, queue room).
// Called with d.mu held; it never blocks.
func (c *pushConn) offer(f *pushFrame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.ending {
		return false
	}
	switch c.mode.Load() {
	case modeCredit:
		if c.sentB-c.ackedB >= int64(c.window) {
			return false
		}
		if c.sentB == c.ackedB {
			c.progress = time.Now() // the deadline runs from when an idle worker is given work
		}
		c.sentB++
		c.unacked = append(c.unacked, f)
	case modePlain:
		if len(c.q) >= c.d.cfg.Queue {
			return false
		}
	default:
		return false
	}
	c.q <- f // room is guaranteed: capacity exceeds both limits
	return true
}

// end queues the end-of-stream (after what is queued, or, when aborting,
// instead of it).
func (c *pushConn) end(code byte, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.ending {
		return
	}
	c.ending, c.endCode = true, code
	c.q <- &pushFrame{end: &endMsg{code, reason}}
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
	var written int64
	for _, f := range c.unacked {
		if f.written {
			batches++
			written += int64(f.records)
		}
	}
	if c.sentB == c.ackedB {
		return 0, 0, 0
	}
	return batches, written, now.Sub(c.progress)
}

// kill disconnects c once; the writer then reaps it.
func (c *pushConn) kill(state, reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.dead, c.state, c.reason = true, state, reason
		if state == stateFinished || (c.endSent && state == stateDisconnected) {
			// Leaving after end-of-stream is finishing, unless records
			// remain unacknowledged (reap decides).
			c.state = stateFinished
		}
		c.mu.Unlock()
		close(c.kill_)
		c.peer.Close()
		c.d.remove(c)
		if state != stateFinished && state != stateAborted {
			c.d.cfg.Logf("worker %d (%s) %s: %s", c.id, c.peer.Remote, state, reason)
		}
	})
}

// readLoop reads credit until the connection ends.
func (c *pushConn) readLoop() {
	for {
		m, err := readZMTP(c.peer, func(n int) []byte { return make([]byte, n) })
		if err != nil {
			reason := err.Error()
			if errors.Is(err, errBadCommand) {
				c.kill(stateProtocol, reason)
				return
			}
			c.kill(stateDisconnected, reason)
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
	if c.reaped {
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
		if !f.written {
			c.mu.Unlock()
			return fmt.Errorf("acknowledged batch %d before it was sent", c.ackedB+1)
		}
		recs += int64(f.records)
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
		d.release(f)
	}
	if first {
		d.cfg.Logf("worker %d (%s) takes credit: window %d batches", c.id, c.peer.Remote, c.window)
		d.mu.Lock()
		d.setReady()
		d.mu.Unlock()
		return nil
	}
	d.wake()
	return nil
}

// writeLoop writes what is queued, answers PINGs, and reaps the
// connection when it ends.
func (c *pushConn) writeLoop() {
	defer c.reap()
	d := c.d
	msg := zmq4.Msg{Frames: make([][]byte, 1)}
	var sent []*pushFrame
	var eos feed.Encoder
	for {
		select {
		case f := <-c.q:
			sent = append(sent[:0], f)
		case <-c.peer.Pinged():
			// libzmq drops a peer whose PONG is late (ZMQ_HEARTBEAT_TIMEOUT).
			if c.peer.ServicePings() != nil || c.peer.Flush(d.cfg.WriteTimeout) != nil {
				c.kill(stateDisconnected, "write failed answering a PING")
				return
			}
			continue
		case <-c.kill_:
			return
		}
		// Smart batching: take whatever else is waiting into one writev.
		for more := true; more && len(sent) < 64; {
			select {
			case g := <-c.q:
				sent = append(sent, g)
			default:
				more = false
			}
		}
		c.mu.Lock()
		aborting := c.ending && c.endCode == endAborted
		c.mu.Unlock()
		var err error
		recs, batches, ended := int64(0), int64(0), false
		for _, g := range sent {
			switch {
			case g.end != nil:
				if err = c.peer.SendCmd(cmdEnd, marshalEnd(g.end.code, g.end.reason)); err == nil {
					eos.Reset(nil, feed.Header{Flags: feed.FlagEOS | feed.FlagSeq})
					msg.Frames[0] = eos.Finish()
					err = c.peer.SendMsg(msg)
				}
				ended = true
			case aborting:
				// Stale: the subscriber croaked. A credit frame stays in
				// unacked (reap counts it); a plain one is counted here.
				if c.mode.Load() != modeCredit {
					c.mu.Lock()
					c.discarded += int64(g.records)
					c.mu.Unlock()
					d.discarded.Add(int64(g.records))
				}
				continue
			default:
				msg.Frames[0] = g.buf
				err = c.peer.SendMsg(msg)
				recs += int64(g.records)
				batches++
			}
			if err != nil {
				break
			}
		}
		if err == nil {
			err = c.peer.ServicePings()
		}
		// Mark before flushing: an acknowledgement can arrive as soon as
		// the bytes leave, and must find its frames written.
		c.mu.Lock()
		for _, g := range sent {
			if g.end == nil && !(aborting && c.mode.Load() != modeCredit) {
				g.written = true
			}
		}
		c.handed += recs
		c.batches += batches
		plain := c.mode.Load() != modeCredit
		c.mu.Unlock()
		if err == nil {
			timeout := d.cfg.WriteTimeout
			if !plain {
				timeout = d.cfg.AckTimeout // a backstop: the watcher drops stalled workers first
			}
			if ended && aborting {
				timeout = min(timeout, time.Second)
			}
			err = c.peer.Flush(timeout)
		}
		if err != nil {
			c.kill(stateDisconnected, "write failed: "+err.Error())
			return
		}
		if plain {
			for _, g := range sent {
				d.release(g) // plain peers acknowledge nothing: written is done
			}
			d.wake() // queue room for waiting dispatchers
		}
		if ended {
			c.mu.Lock()
			c.endSent = true
			c.mu.Unlock()
			d.wake()
			if aborting {
				c.kill(stateAborted, "subscriber croaked")
				return
			}
		}
	}
}

// reap settles a dead connection's accounts once its writer has stopped:
// frames never written go to other workers (that is not redelivery: no
// worker saw them); frames written and not acknowledged are lost, or
// redelivered with Redeliver.
func (c *pushConn) reap() {
	c.kill(stateDisconnected, "writer stopped")
	d := c.d
	c.mu.Lock()
	c.reaped = true
	pending := c.unacked
	c.unacked = nil
	credit := c.mode.Load() == modeCredit
	var unsent []*pushFrame
	if !credit {
		for more := true; more; {
			select {
			case f := <-c.q:
				if f.end == nil {
					unsent = append(unsent, f)
				}
			default:
				more = false
			}
		}
	}
	var unacked []*pushFrame
	var lostRecs int64
	for _, f := range pending {
		if f.written {
			unacked = append(unacked, f)
			lostRecs += int64(f.records)
		} else {
			unsent = append(unsent, f)
		}
	}
	redeliver := d.cfg.Redeliver && !d.aborted && lostRecs > 0
	if redeliver {
		c.redeliv = lostRecs
	} else {
		c.lost += lostRecs
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
			verb = "redelivering"
		}
		d.cfg.Logf("worker %d (%s) %s with %d batches (%d records) unacknowledged: %s (%s)",
			c.id, c.peer.Remote, state, len(unacked), lostRecs, verb, reason)
	}
	for _, f := range unsent {
		d.redispatch(f)
	}
	if redeliver {
		d.redelivered.Add(lostRecs)
		for _, f := range unacked {
			d.redispatch(f)
		}
	} else {
		d.connLost.Add(lostRecs)
		for _, f := range unacked {
			d.release(f)
		}
	}
	// Drain anything queued meanwhile (only end markers can remain).
	for more := true; more; {
		select {
		case <-c.q:
		default:
			more = false
		}
	}
}

func (c *pushConn) stats() WorkerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := WorkerStats{ID: c.id, Records: c.handed, Batches: c.batches, Peer: c.peer.Remote,
		Lost: c.lost, Redelivered: c.redeliv, CloseReason: c.reason}
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
	ws.Lost += c.discarded
	return ws
}
