package zmqx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Writer is the one per-peer writer of bbox: it owns a peer's bounded
// queue of reference-counted Frames and the single goroutine that writes
// them. Both the publisher's fan-out (one Writer per subscriber) and the
// worker dispatcher (one per worker) use it, so a peer is written, timed
// out, pinged and accounted for the same way everywhere.
//
// What it does:
//
//   - Coalescing: everything queued when the writer wakes (up to
//     WriterConfig.MaxWrite bytes) goes out in one writev. A Send wakes the
//     writer only if it sleeps, so a busy writer costs its senders no
//     wake-ups at all: one wake-up per writer, not per frame.
//   - Writing on the sender's goroutine: Hold queues without waking, and
//     Push then writes what is queued with one non-blocking writev on the
//     caller's goroutine if the writer goroutine is asleep (nats-server
//     flushes its clients from the read loop the same way). At a fixed
//     rate the writer is mostly idle, and a wake-up per round cost the
//     publisher a futex, a thread hand-off and its latency. What the
//     socket does not take at once is finished by the writer goroutine
//     under the deadline, so Push never blocks on a slow peer.
//   - A write deadline on every writev: a write that makes no progress for
//     WriteTimeout closes the peer as Stuck (not retried: a half-written
//     ZMTP frame cannot be resumed, and a frozen peer must not hold memory).
//   - ZMTP PINGs (swallowed by the guard on the read side, so the caller
//     must keep reading the peer — it does anyway, to notice a hang-up) are
//     answered before the next batch, and at once when the writer is idle:
//     libzmq's ZMQ_HEARTBEAT_TIMEOUT drops a peer whose PONG is late.
//   - Exact accounting: frames written (handed to the kernel), dropped at
//     the bound, and at close discarded (still queued, or in a write cut
//     short) — frames, records and bytes — with a typed ClosedState.
//
// Queue policy (WriterConfig.Full) at the bound (MaxBytes of frame Cost
// and/or MaxFrames, counting the batch being written):
//
//   - FullDrop: Send refuses the frame and counts it in Dropped (the
//     publisher's live-feed mode: the subscriber sees a gap, nobody else
//     waits). OnHWM reports the start of each drop episode.
//   - FullBlock: Send waits for space (the publisher's lossless mode, or a
//     dispatcher's back-pressure). A stuck peer is closed at the write
//     deadline, which ends the wait.
//   - FullClose: the peer is closed with reason HWM (nats-server's
//     slow-consumer disconnect).
//   - Credit-gated by the caller: a dispatcher that tracks its peer's credit
//     itself calls Send (or TrySend, which never blocks and never counts a
//     drop, to look for another peer) only where there is credit; the bound
//     is then a safety net, and WriterConfig.Reclaim hands back the frames
//     that were queued but never written when the peer goes, so they can be
//     re-dispatched.
//
// Using it: the publisher's fan-out makes one Writer per subscriber with
// MaxBytes = its HWM and FullDrop (FullBlock when lossless), sends each
// frame to every matching subscriber's Writer, and counts OnClose's
// CloseInfo per connection. A worker dispatcher makes one per worker with
// MaxFrames = its queue depth, picks a worker with TrySend (or by credit),
// falls back to a blocking Send, and with Reclaim re-dispatches
// CloseInfo.Unsent while counting CloseInfo.InFlight as lost.
//
// Ownership: Send and TrySend take their own reference to a frame they
// queue (Frame.Ref) and release it when written or discarded; the caller
// keeps and releases its own. Frames must not change once sent: several
// writers may be writing the same bytes.
//
// Concurrency: Send, TrySend, Busy, Close, Drain, Stats and Done are safe
// for concurrent use. The Writer is the peer's only writer; the caller may
// read from the peer in one other goroutine (and call Close when the read
// fails, with the reason from ReadCloseReason).
type Writer struct {
	p        *Peer
	conn     net.Conn
	cfg      WriterConfig
	wdl      time.Duration
	maxWrite int

	mu       sync.Mutex
	space    *sync.Cond // on mu: broadcast when the queue shrinks or the writer closes
	q        []*Frame
	qFrames  int // len(q) plus the batch being written
	qCost    int // Cost of the same frames
	sleeping bool
	dropping bool // inside a drop episode (FullDrop)
	closed   bool
	reason   ClosedState
	detail   string
	drainCh  chan struct{}
	final    CloseInfo // filled by the writer goroutine as it stops
	finished bool      // final.Discarded is set (finish ran)

	// inline is set while a Push writes on its caller's goroutine; it owns
	// the write side then, and the writer goroutine waits for it. pend:
	// that write was short, and the writer goroutine finishes it (ibatch,
	// pendN bytes of iov already written).
	inline bool
	waiter bool // the writer goroutine waits for the Push write to end
	pend   bool
	pendN  int64
	rc     syscall.RawConn // nil: no Push writes (not a socket)

	busy   atomic.Bool
	wake   chan struct{} // capacity 1
	stop   chan struct{} // closed by Close
	exited chan struct{} // closed after OnClose returned

	written, dropped   atomicCounts
	hwmEvents, blocked atomic.Int64

	// Write side, owned by the writer goroutine: ZMTP headers and small
	// parts are copied into scratch, large parts referenced, and iov goes
	// out with one writev. ends[i] is where frame i of the batch ends in
	// the write, to know exactly which frames a short write delivered.
	scratch []byte
	iov     net.Buffers
	out     net.Buffers // iov as handed to WriteTo (which consumes it)
	iovLen  int
	merge   bool // iov's last entry is scratch's tail and may be extended
	ends    []int
	batch   []*Frame
	ibatch  []*Frame // the batch of a Push write
	iovecs  []syscall.Iovec
	wv      func(fd uintptr) bool // w.writev, made once: a closure per write allocates
	wvN     int64
	wvErr   syscall.Errno
}

// FullPolicy is what Send does when the queue is at its bound.
type FullPolicy uint8

const (
	// FullDrop refuses the frame and counts it in Dropped.
	FullDrop FullPolicy = iota
	// FullBlock waits for space or for the writer to close.
	FullBlock
	// FullClose refuses the frame and closes the peer with reason HWM.
	FullClose
)

// Defaults for WriterConfig's zero values.
const (
	DefaultWriteTimeout = 2 * time.Second
	DefaultMaxWrite     = 1 << 20
)

// WriterConfig configures a Writer. The zero value is usable: no bound,
// FullDrop, a 2s write deadline, 1 MiB per writev.
type WriterConfig struct {
	// MaxBytes bounds the Cost of the frames queued or being written.
	// 0 means no byte bound.
	MaxBytes int
	// MaxFrames bounds the number of frames queued or being written.
	// 0 means no frame bound.
	MaxFrames int
	// Full is what Send does at the bound. An empty queue always takes a
	// frame, however large, so a bound below one frame cannot stall.
	Full FullPolicy
	// WriteTimeout closes the peer (Stuck) when one writev makes no
	// progress for this long. 0 means DefaultWriteTimeout; negative
	// disables the deadline.
	WriteTimeout time.Duration
	// MaxWrite bounds the bytes handed to one writev, so the deadline
	// measures lack of progress rather than the size of a backlog. A
	// single larger frame is still written whole. 0 means 1 MiB.
	MaxWrite int
	// Reclaim hands the frames still queued at close back to OnClose
	// (CloseInfo.Unsent) instead of discarding them.
	Reclaim bool
	// OnIdle, if set, is called from the writer goroutine each time it has
	// written and found its queue empty. It must not block; it may Send to
	// this writer (with FullBlock only through TrySend). The publisher uses
	// it to flush frames it kept open while the writer was busy.
	OnIdle func()
	// OnHWM, if set, is called from the sending goroutine, outside the
	// writer's lock, when a FullDrop drop episode starts, with the bytes
	// queued. It must not block.
	OnHWM func(queuedBytes int)
	// OnClose, if set, is called once, from the writer goroutine after it
	// has stopped, with exactly what was discarded. Done is closed after
	// it returns.
	OnClose func(CloseInfo)
}

// Validate reports the first unusable field, naming it.
func (c WriterConfig) Validate() error {
	switch {
	case c.MaxBytes < 0:
		return fmt.Errorf("writer: MaxBytes %d is negative", c.MaxBytes)
	case c.MaxFrames < 0:
		return fmt.Errorf("writer: MaxFrames %d is negative", c.MaxFrames)
	case c.MaxWrite < 0:
		return fmt.Errorf("writer: MaxWrite %d is negative", c.MaxWrite)
	case c.Full > FullClose:
		return fmt.Errorf("writer: unknown FullPolicy %d", c.Full)
	}
	return nil
}

// CloseInfo is what a Writer reports when it has stopped.
type CloseInfo struct {
	Reason ClosedState
	Detail string
	// Discarded is what the peer will never get from this writer: frames
	// still queued (unless reclaimed) and those of a write cut short that
	// were not fully handed to the kernel.
	Discarded Counts
	// InFlight is the part of Discarded that was in the write cut short.
	InFlight Counts
	// Unsent holds, with Reclaim, the frames that were queued and never
	// started, oldest first; they are not in Discarded, and the callee
	// owns one reference to each.
	Unsent []*Frame
	// Stats are the writer's final counters.
	Stats WriterStats
}

// String is the reason and its detail: "stuck: no progress within ...".
func (c CloseInfo) String() string { return c.Reason.Describe(c.Detail) }

// WriterStats are a Writer's counters, each read atomically.
type WriterStats struct {
	Written   Counts // handed to the kernel in full
	Dropped   Counts // refused at the bound (FullDrop, FullClose)
	Discarded Counts // at close: see CloseInfo.Discarded
	Reclaimed Counts // at close: handed back to OnClose (Reclaim)
	HWMEvents int64  // drop episodes (FullDrop)
	Blocked   time.Duration
	// QueuedFrames and QueuedBytes (Cost) include the batch being written.
	QueuedFrames int
	QueuedBytes  int
	Reason       ClosedState // Open while the connection is up
	Detail       string
}

// SendResult is what became of a frame handed to Send.
type SendResult uint8

const (
	// Queued: the writer took a reference and will write it.
	Queued SendResult = iota
	// Dropped: refused at the bound and counted in Dropped.
	Dropped
	// Closed: the writer is closed; nothing was counted.
	Closed
)

// ErrWriterClosed is returned by Drain when the writer closed first.
var ErrWriterClosed = errors.New("writer closed")

// NewWriter takes over writing to p and starts the writer goroutine. From
// here on nothing else may write to p. Close (or a failed write) closes p.
func NewWriter(p *Peer, cfg WriterConfig) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Writer{
		p: p, conn: p.g.socket(), cfg: cfg, wdl: cfg.WriteTimeout, maxWrite: cfg.MaxWrite,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{}),
		scratch: make([]byte, 0, 4096),
	}
	if w.wdl == 0 {
		w.wdl = DefaultWriteTimeout
	}
	if w.maxWrite == 0 {
		w.maxWrite = DefaultMaxWrite
	}
	w.space = sync.NewCond(&w.mu)
	if sc, ok := w.conn.(syscall.Conn); ok {
		w.rc, _ = sc.SyscallConn()
		w.wv = w.writev
	}
	go w.run()
	return w, nil
}

// Peer is the connection this writer writes.
func (w *Writer) Peer() *Peer { return w.p }

// full reports whether f would take the queue past its bound.
func (w *Writer) full(f *Frame) bool {
	if w.qFrames == 0 {
		return false
	}
	return (w.cfg.MaxBytes > 0 && w.qCost+f.Cost() > w.cfg.MaxBytes) ||
		(w.cfg.MaxFrames > 0 && w.qFrames >= w.cfg.MaxFrames)
}

// push queues f and, with wake, wakes the writer; the caller holds mu.
func (w *Writer) push(f *Frame, wake bool) {
	f.Ref()
	w.dropping = false
	w.q = append(w.q, f)
	w.qFrames++
	w.qCost += f.Cost()
	if wake {
		// Held frames are not busy yet: a sender filling a round may
		// keep adding to it (Busy).
		w.busy.Store(true)
		w.wakeLocked()
	}
}

// wakeLocked wakes the writer goroutine if it sleeps; the caller holds mu.
func (w *Writer) wakeLocked() {
	if w.sleeping {
		w.sleeping = false
		w.signal()
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Send queues f under the configured FullPolicy.
func (w *Writer) Send(f *Frame) SendResult { return w.send(f, true) }

// Hold is Send without waking the writer: the caller queues a round of
// frames and then calls Push, which writes them. Frames held and never
// pushed wait for the next Send or Push.
func (w *Writer) Hold(f *Frame) SendResult { return w.send(f, false) }

// HoldPast is Hold for a small frame the peer needs whatever the bound
// dropped before it: it is queued even over MaxBytes or MaxFrames (and
// counts in them after), never dropped, blocked on or cut for. A
// publisher's end-of-stream is one: it says where the stream ended, so
// the records dropped at the bound before it show up as a gap instead of
// an unknown end.
func (w *Writer) HoldPast(f *Frame) SendResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Closed
	}
	w.push(f, false)
	return Queued
}

func (w *Writer) send(f *Frame, wake bool) SendResult {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return Closed
	}
	if w.full(f) {
		switch w.cfg.Full {
		case FullBlock:
			t0 := time.Now()
			w.busy.Store(true)
			w.wakeLocked() // held frames may fill the queue
			for !w.closed && w.full(f) {
				w.space.Wait()
			}
			w.blocked.Add(int64(time.Since(t0)))
			if w.closed {
				w.mu.Unlock()
				return Closed
			}
		case FullClose:
			w.dropped.add(one(f))
			first := w.closeLocked(HWM, fmt.Sprintf("%d frames (%d bytes) queued", w.qFrames, w.qCost))
			w.mu.Unlock()
			if first {
				w.shut()
			}
			return Dropped
		default:
			w.dropped.add(one(f))
			first := !w.dropping
			w.dropping = true
			cost := w.qCost
			w.mu.Unlock()
			if first {
				w.hwmEvents.Add(1)
				if w.cfg.OnHWM != nil {
					w.cfg.OnHWM(cost)
				}
			}
			return Dropped
		}
	}
	w.push(f, wake)
	w.mu.Unlock()
	return Queued
}

// TrySend queues f if the writer is open and below its bound, and never
// blocks or counts a drop: for callers that look for another peer.
func (w *Writer) TrySend(f *Frame) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.full(f) {
		return false
	}
	w.push(f, true)
	return true
}

// Push writes what is queued. If the writer goroutine sleeps and nobody
// is writing, the caller writes the queue itself, with one non-blocking
// writev (up to MaxWrite bytes); the writer goroutine is woken for what
// that leaves (a short write, a fuller queue). Otherwise it wakes the
// writer goroutine. It never blocks on the peer.
func (w *Writer) Push() {
	w.mu.Lock()
	if len(w.q) == 0 || w.closed || w.inline || w.pend {
		w.mu.Unlock()
		return
	}
	w.busy.Store(true)
	if !w.sleeping || w.rc == nil {
		w.wakeLocked()
		w.mu.Unlock()
		return
	}
	w.ibatch = w.takeLocked(w.ibatch)
	w.inline = true
	w.mu.Unlock()

	w.prepare(w.ibatch)
	n, all, err := w.tryFlush()
	if all || err != nil {
		w.account(w.ibatch, n, err)
	}
	w.mu.Lock()
	w.inline = false
	if w.waiter {
		w.waiter = false
		w.signal()
	}
	switch {
	case !all && err == nil:
		// The socket took part (or none): the writer goroutine finishes
		// this write under the deadline, then goes on with the queue.
		w.pend, w.pendN = true, n
		w.wakeLocked()
		w.mu.Unlock()
	case len(w.q) > 0 || w.closed || w.drainCh != nil || w.p.g.pingsOwed() > 0:
		w.wakeLocked()
		w.mu.Unlock()
	default:
		// Idle again; OnIdle is not called: the caller is the sender,
		// and knows what it kept back.
		w.busy.Store(false)
		w.mu.Unlock()
	}
}

// takeLocked moves the head of the queue (up to maxWrite bytes, at least
// one frame) into batch; the caller holds mu.
func (w *Writer) takeLocked(batch []*Frame) []*Frame {
	n, size := 0, 0
	for n < len(w.q) && (n == 0 || size+w.q[n].Len() <= w.maxWrite) {
		size += w.q[n].Len()
		n++
	}
	batch = append(batch[:0], w.q[:n]...)
	rest := copy(w.q, w.q[n:])
	clear(w.q[rest:])
	w.q = w.q[:rest]
	return batch
}

func one(f *Frame) Counts { return Counts{1, int64(f.Records), int64(f.Len())} }

// Busy reports whether the writer has frames sent (not just held) or is
// writing. A sender that sees it busy can keep filling the frame it has
// open: the writer would not get to it sooner.
func (w *Writer) Busy() bool { return w.busy.Load() }

// Close closes the peer with a reason; the first reason wins. It does not
// wait for the writer goroutine: Done is closed when it has stopped and
// OnClose has returned.
func (w *Writer) Close(reason ClosedState, detail string) {
	w.mu.Lock()
	first := w.closeLocked(reason, detail)
	w.mu.Unlock()
	if first {
		w.shut()
	}
}

// closeLocked records the reason (the caller holds mu) and reports whether
// this was the first; the caller then calls shut without the lock.
func (w *Writer) closeLocked(reason ClosedState, detail string) bool {
	if w.closed {
		return false
	}
	if reason == Open {
		reason = Shutdown
	}
	w.closed, w.reason, w.detail = true, reason, detail
	w.space.Broadcast()
	return true
}

func (w *Writer) shut() {
	close(w.stop)
	w.p.Close() // ends a write in progress and the caller's reads
}

// Done is closed when the writer goroutine has stopped and OnClose has
// returned.
func (w *Writer) Done() <-chan struct{} { return w.exited }

// Drain waits until everything queued has been written, the writer closes
// (ErrWriterClosed, with the reason), or ctx ends.
func (w *Writer) Drain(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		r, d := w.reason, w.detail
		w.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrWriterClosed, r.Describe(d))
	}
	if w.qFrames == 0 {
		w.mu.Unlock()
		return nil
	}
	if w.drainCh == nil {
		w.drainCh = make(chan struct{})
	}
	ch := w.drainCh
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-w.exited:
		st := w.Stats()
		return fmt.Errorf("%w: %s", ErrWriterClosed, st.Reason.Describe(st.Detail))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counters.
func (w *Writer) Stats() WriterStats {
	s := WriterStats{Dropped: w.dropped.load(), HWMEvents: w.hwmEvents.Load(), Blocked: time.Duration(w.blocked.Load())}
	w.mu.Lock()
	// Written, queued and discarded in one step: every frame a write
	// finishes with (account) leaves the queue for one of the other two
	// under mu, so no snapshot counts it twice or not at all.
	s.Written = w.written.load()
	s.QueuedFrames, s.QueuedBytes = w.qFrames, w.qCost
	s.Reason, s.Detail = w.reason, w.detail
	s.Discarded, s.Reclaimed = w.final.Discarded, w.final.Stats.Reclaimed
	if !w.finished {
		s.Discarded = w.final.InFlight // a cut write, before finish adds the queue
	}
	w.mu.Unlock()
	return s
}

func (w *Writer) run() {
	wrote := false
	for {
		w.mu.Lock()
		if w.inline {
			// A Push is writing; it wakes this goroutine when done.
			w.waiter = true
			w.mu.Unlock()
			<-w.wake
			continue
		}
		if w.pend {
			w.sleeping = false
			w.mu.Unlock()
			n, err := w.flush(w.pendN)
			w.mu.Lock()
			w.pend = false
			w.mu.Unlock()
			w.account(w.ibatch, n, err)
			wrote = true
			continue
		}
		if len(w.q) == 0 && !w.closed && w.p.g.pingsOwed() > 0 {
			// PINGs counted while a Push wrote (their signal taken by
			// then): answer them before sleeping.
			w.sleeping = false
			w.mu.Unlock()
			w.writeBatch(nil)
			continue
		}
		if len(w.q) == 0 && !w.closed {
			w.busy.Store(false)
			if w.drainCh != nil {
				close(w.drainCh)
				w.drainCh = nil
			}
			w.sleeping = true
			w.mu.Unlock()
			if wrote && w.cfg.OnIdle != nil {
				w.cfg.OnIdle()
			}
			wrote = false
			select {
			case <-w.wake:
			case <-w.p.Pinged():
				// Answer now: the peer's heartbeat timeout may be shorter
				// than the gap to our next frame. A Push writing now
				// answers it, or wakes this goroutine to.
				w.mu.Lock()
				mine := !w.inline && w.sleeping
				w.sleeping = !mine && w.sleeping
				w.mu.Unlock()
				if !mine {
					continue
				}
				if err := w.writeBatch(nil); err != nil {
					w.fail(err)
				}
			case <-w.stop:
			}
			continue
		}
		if w.closed {
			w.mu.Unlock()
			w.finish()
			return
		}
		w.sleeping = false
		w.busy.Store(true)
		w.batch = w.takeLocked(w.batch)
		w.mu.Unlock()
		if err := w.writeBatch(w.batch); err != nil {
			w.fail(err)
		}
		wrote = true
	}
}

// fail closes the peer after a failed write, naming why.
func (w *Writer) fail(err error) { w.Close(w.classify(err)) }

func (w *Writer) classify(err error) (ClosedState, string) {
	if errors.Is(err, ErrStuck) {
		return Stuck, fmt.Sprintf("no progress within the write deadline (%v)", w.wdl)
	}
	return WriteError, err.Error()
}

// finish discards (or hands back) what is still queued, reports it, and
// marks the writer done.
func (w *Writer) finish() {
	w.mu.Lock()
	q := w.q
	w.q = nil
	var queued Counts
	cost := 0
	for _, f := range q {
		queued.add(f)
		cost += f.Cost()
	}
	w.qFrames -= len(q)
	w.qCost -= cost
	w.busy.Store(false)
	info := &w.final
	info.Reason, info.Detail = w.reason, w.detail
	if w.cfg.Reclaim {
		info.Unsent = q
		info.Stats.Reclaimed = queued
		info.Discarded = info.InFlight
	} else {
		info.Discarded = info.InFlight.Plus(queued)
	}
	w.finished = true
	if w.drainCh != nil {
		// Drain callers learn of the close through exited.
		w.drainCh = nil
	}
	w.space.Broadcast()
	w.mu.Unlock()
	if !w.cfg.Reclaim {
		for _, f := range q {
			f.Unref()
		}
	}
	out := *info
	out.Stats = w.Stats()
	w.mu.Lock()
	w.final.Unsent = nil
	w.mu.Unlock()
	if w.cfg.OnClose != nil {
		w.cfg.OnClose(out)
	}
	close(w.exited)
}
