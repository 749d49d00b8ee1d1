package workers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// PushConfig configures a PushDispatcher. Zero values are defaults.
type PushConfig struct {
	// Bind is the endpoint `bbox worker --connect` processes connect to.
	Bind string
	// Order is how batches are spread; see Order.
	Order Order
	// Queue is the number of frames a plain PULL peer (one that sends no
	// credit) may have waiting before Deliver looks elsewhere. 0 means 32.
	Queue int
	// WriteTimeout disconnects a plain PULL peer that takes nothing for
	// this long. 0 means 5s.
	WriteTimeout time.Duration
	// AckTimeout drops a credit worker that holds unacknowledged batches
	// and acknowledges nothing for this long (stopped, hung or too slow);
	// its unacknowledged records are lost, or redelivered with Redeliver.
	// 0 means 5s.
	AckTimeout time.Duration
	// Redeliver sends a dropped worker's unacknowledged batches to the
	// other workers: at-least-once delivery (a record the dropped worker
	// handled but had not yet acknowledged is handled twice). Without it
	// delivery is at-most-once and such records are counted in Lost.
	Redeliver bool
	// Negotiate is how long a new connection has to announce credit
	// before it is served as a plain PULL. 0 means 1s.
	Negotiate time.Duration
	// MaxWindow caps the window a worker may announce. 0 means 1024.
	MaxWindow int
	// Conn holds socket and guard options; the zero value is zmqx's
	// defaults.
	Conn zmqx.Options
	// Logf receives operational messages. nil discards them.
	Logf func(format string, args ...any)
}

// Validate checks cfg's values (zero values are defaults).
func (cfg *PushConfig) Validate() error {
	switch {
	case cfg.Bind == "":
		return fmt.Errorf("workers: dispatcher needs a bind endpoint")
	case cfg.Queue < 0 || cfg.MaxWindow < 0:
		return fmt.Errorf("workers: queue %d and window %d must not be negative", cfg.Queue, cfg.MaxWindow)
	case cfg.WriteTimeout < 0 || cfg.AckTimeout < 0 || cfg.Negotiate < 0:
		return fmt.Errorf("workers: timeouts must not be negative")
	}
	if _, err := zmqx.ParseEndpoint(cfg.Bind); err != nil {
		return fmt.Errorf("bind %w", err)
	}
	if err := cfg.Conn.Validate(); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}

// PushDispatcher is the subscriber side of out-of-process workers. Each
// worker connection is a single-peer PUSH: bbox picks the worker for every
// batch (zmq4's PUSH socket sends every message to every peer), so each
// record reaches exactly one worker.
//
// Flow control is by credit (docs/wire.md, "Worker credit"): a bbox worker
// announces how many batches it can hold and acknowledges what it has
// handled; the dispatcher sends to a worker only while it has credit, so
// a stopped worker stops receiving instead of stalling the subscriber
// thread, and a worker with unacknowledged batches that makes no progress
// for AckTimeout is dropped. Its unacknowledged records are counted in
// Lost, exactly, or redelivered with PushConfig.Redeliver. A peer that
// sends no credit (a plain libzmq PULL) is served as before: bounded
// queue, write timeout, delivery unconfirmed.
//
// Deliver blocks while no worker can take a batch: back-pressure, as
// in-process. Under OrderTopic a topic's records must go to its worker,
// so a stopped worker holds up the batches carrying its topics until it
// is dropped (AckTimeout); under OrderNone any worker with credit will do.
type PushDispatcher struct {
	cfg PushConfig
	ln  *zmqx.Listener

	mu      sync.Mutex
	cond    *sync.Cond
	live    []*pushConn // connected, not yet killed
	ready   []*pushConn // live and negotiated (credit or plain): eligible for batches
	all     []*pushConn
	nextID  int
	closing bool // end-of-stream is being sent: nothing new is queued
	closed  bool // Deliver discards
	aborted bool

	waiters   atomic.Int64 // goroutines in cond.Wait: wake only when someone waits
	rr        atomic.Uint64
	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // connection and watcher goroutines

	redispatching atomic.Int64 // dead connections whose frames are being re-sent
	discarded     atomic.Int64 // records dropped before reaching any worker (closed or aborted)
	connLost      atomic.Int64 // records written to dropped workers and never acknowledged
	redelivered   atomic.Int64
	unconfirmed   atomic.Int64 // records written to plain peers that left before end-of-stream
	stats         zmqx.Counters
	pool          sync.Pool
}

// withDefaults fills in the documented zero values.
func (cfg PushConfig) withDefaults() PushConfig {
	if cfg.Queue == 0 {
		cfg.Queue = 32
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.Negotiate == 0 {
		cfg.Negotiate = time.Second
	}
	if cfg.MaxWindow == 0 {
		cfg.MaxWindow = 1024
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return cfg
}

// NewPushDispatcher binds cfg.Bind and starts accepting workers.
func NewPushDispatcher(cfg PushConfig) (*PushDispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ep, err := zmqx.ParseEndpoint(cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("bind %w", err)
	}
	d := &PushDispatcher{cfg: cfg, stop: make(chan struct{})}
	d.cond = sync.NewCond(&d.mu)
	d.pool.New = func() any {
		pf := &pooledFrame{}
		pf.f.Body = make([]byte, 0, 64<<10)
		pf.release = func() { d.pool.Put(pf) }
		return pf
	}
	o := cfg.Conn
	o.Stats = &d.stats
	if d.ln, err = zmqx.Listen(ep, o); err != nil {
		return nil, err
	}
	d.wg.Add(2)
	go func() { defer d.wg.Done(); d.ln.Serve(zmq4.Push, d.add) }()
	go func() { defer d.wg.Done(); d.watch() }()
	return d, nil
}

// Endpoint is the bound endpoint (with the real port).
func (d *PushDispatcher) Endpoint() string { return d.ln.Endpoint() }

func (d *PushDispatcher) add(p *zmqx.Peer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		p.Close()
		return
	}
	c, err := newPushConn(d, p)
	if err != nil {
		p.Close()
		d.cfg.Logf("worker from %s: %v", p.Remote, err)
		return
	}
	c.id = d.nextID
	d.nextID++
	d.live = append(d.live, c)
	d.all = append(d.all, c)
	d.wg.Add(1)
	d.cfg.Logf("worker %d connected from %s", c.id, p.Remote)
	go func() { defer d.wg.Done(); c.readLoop() }()
}

// setReady rebuilds the list of connections that may be given batches.
// Called with d.mu held.
func (d *PushDispatcher) setReady() {
	ready := make([]*pushConn, 0, len(d.live))
	for _, c := range d.live {
		if m := c.mode.Load(); m == modeCredit || m == modePlain {
			ready = append(ready, c)
		}
	}
	d.ready = ready
	d.cond.Broadcast()
}

// wake tells waiting dispatchers (and Close) that something changed.
func (d *PushDispatcher) wake() {
	if d.waiters.Load() > 0 {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	}
}

// watch serves the deadlines: negotiation for new connections, progress
// for credit workers. It is the only timer, so nothing waits on a clock
// in the hot path.
func (d *PushDispatcher) watch() {
	tick := min(max(d.cfg.AckTimeout/10, 5*time.Millisecond), 50*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		d.mu.Lock()
		live := append([]*pushConn(nil), d.live...)
		d.mu.Unlock()
		changed := false
		for _, c := range live {
			switch c.mode.Load() {
			case modePending:
				if now.Sub(c.since) > d.cfg.Negotiate && c.mode.CompareAndSwap(modePending, modePlain) {
					d.cfg.Logf("worker %d (%s) sent no credit within %v: serving it as a plain PULL (deliveries to it are unconfirmed)",
						c.id, c.peer.Remote, d.cfg.Negotiate)
					changed = true
				}
			case modeCredit:
				if batches, recs, idle := c.stalled(now); idle > d.cfg.AckTimeout {
					c.kill(stateDropped, fmt.Sprintf("no progress for %v with %d batches (%d records) unacknowledged",
						idle.Round(time.Millisecond), batches, recs))
				}
			}
		}
		if changed {
			d.mu.Lock()
			d.setReady()
			d.mu.Unlock()
		}
		d.wake() // a safety net: waiters re-check at every tick
	}
}

// remove takes c out of the live lists.
func (d *PushDispatcher) remove(c *pushConn) {
	d.mu.Lock()
	for i, o := range d.live {
		if o == c {
			d.live = append(d.live[:i:i], d.live[i+1:]...)
			break
		}
	}
	d.setReady()
	d.mu.Unlock()
}

// Deliver encodes b as one frame per chosen worker and queues it.
func (d *PushDispatcher) Deliver(shard int, b *feed.Batch) {
	defer feed.PutBatch(b)
	if len(b.Recs) == 0 {
		return
	}
	if d.cfg.Order != OrderTopic {
		d.dispatch(d.encode(b.Recs), -1)
		return
	}
	d.splitTopics(b.Recs)
}

// splitTopics sends each topic's records to its worker, one frame each.
func (d *PushDispatcher) splitTopics(recs []feed.Record) {
	d.mu.Lock()
	d.waiters.Add(1)
	for len(d.ready) == 0 && !d.closed {
		d.cond.Wait()
	}
	d.waiters.Add(-1)
	n, closed := len(d.ready), d.closed
	d.mu.Unlock()
	if closed {
		d.discarded.Add(int64(len(recs)))
		return
	}
	// Encode each topic's records straight into its worker's frame: no
	// per-record copies into intermediate slices.
	frames := make([]*zmqx.Frame, n)
	encs := make([]feed.Encoder, n)
	for i := range recs {
		r := &recs[i]
		k := TopicWorker(r.Topic, n)
		if frames[k] == nil {
			frames[k] = d.open(&encs[k], r)
		}
		encs[k].Append(r)
	}
	for k, f := range frames {
		if f != nil {
			d.dispatch(d.finish(&encs[k], f), k)
		}
	}
}

// encode puts recs (one partition's) into one worker frame.
func (d *PushDispatcher) encode(recs []feed.Record) *zmqx.Frame {
	var enc feed.Encoder
	f := d.open(&enc, &recs[0])
	for i := range recs {
		enc.Append(&recs[i])
	}
	return d.finish(&enc, f)
}

// open starts a worker frame (explicit sequences: a worker's records need
// not be contiguous) with r's origin in the header.
func (d *PushDispatcher) open(enc *feed.Encoder, r *feed.Record) *zmqx.Frame {
	pf := d.pool.Get().(*pooledFrame)
	f := &pf.f
	f.Init(pf.release) // one reference: the dispatcher's, until acknowledged
	enc.Reset(f.Body[:0], feed.Header{Flags: feed.FlagSeq, Shard: r.Shard, Partition: r.Partition,
		Publisher: r.Publisher, Epoch: r.Epoch, FirstSeq: r.Seq})
	return f
}

func (d *PushDispatcher) finish(enc *feed.Encoder, f *zmqx.Frame) *zmqx.Frame {
	f.Body = enc.Finish()
	f.Records = enc.Count()
	return f
}

// pooledFrame is a worker frame and the release function that returns it
// to the pool when its last reference (the dispatcher's or a writer's) is
// dropped, made once so recycling allocates nothing.
type pooledFrame struct {
	f       zmqx.Frame
	release func()
}

// dispatch queues f on the ready worker at position want (OrderTopic) or
// on any worker with room (-1), waiting while none has: only workers with
// credit (or plain peers with queue room) are offered batches, so one
// stopped worker never holds the caller while another can take it.
func (d *PushDispatcher) dispatch(f *zmqx.Frame, want int) {
	d.mu.Lock()
	d.waiters.Add(1)
	defer func() { d.waiters.Add(-1); d.mu.Unlock() }()
	for {
		if d.closed {
			d.discarded.Add(int64(f.Records))
			f.Unref()
			return
		}
		if n := len(d.ready); n > 0 { // while closing, only redispatch gets here
			if want >= 0 {
				if d.ready[want%n].offer(f) {
					return
				}
			} else {
				start := int(d.rr.Add(1) % uint64(n))
				for k := 0; k < n; k++ {
					if d.ready[(start+k)%n].offer(f) {
						return
					}
				}
			}
		}
		d.cond.Wait()
	}
}

// redispatch sends a frame a dead worker had not handled to the others.
// Under OrderTopic it is split again over the workers now connected.
func (d *PushDispatcher) redispatch(f *zmqx.Frame) {
	if d.cfg.Order != OrderTopic {
		d.dispatch(f, -1)
		return
	}
	recs, _, err := feed.DecodeFrame(f.Body, nil)
	if err == nil && len(recs) > 0 {
		d.splitTopics(recs)
	}
	f.Unref()
}

// AbortWith drops everything queued, sends every worker an end-of-stream
// that carries reason (a bbox worker exits with status 3), and
// disconnects them: the subscriber croaked and its data is stale. It does
// not wait; Close waits for the workers to be told.
func (d *PushDispatcher) AbortWith(reason string) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed, d.closing, d.aborted = true, true, true
	live := append([]*pushConn(nil), d.live...)
	d.cond.Broadcast()
	d.mu.Unlock()
	d.ln.Close()
	d.cfg.Logf("telling %d workers the subscriber croaked", len(live))
	for _, c := range live {
		c.end(endAborted, reason)
	}
}

// Abort is AbortWith with a generic reason (shard.Aborter).
func (d *PushDispatcher) Abort() { d.AbortWith("subscriber croaked") }

// Close sends end-of-stream to every worker, waits until each has
// acknowledged everything it was given (plain peers: until their queue is
// written), dropping workers that stop making progress, and closes. It
// returns once every connection goroutine has exited.
func (d *PushDispatcher) Close() error {
	d.closeOnce.Do(d.close)
	return nil
}

func (d *PushDispatcher) close() {
	d.mu.Lock()
	aborted := d.aborted
	d.closing = true
	d.cond.Broadcast() // WaitWorkers gives up
	live := append([]*pushConn(nil), d.live...)
	d.mu.Unlock()
	d.ln.Close()
	// A credit worker is told end-of-stream once it has acknowledged
	// everything: one that stalls meanwhile is dropped (by the watcher)
	// without it, so when it resumes it does not take the data still in
	// its socket for a finished stream. Settled: told and fully
	// acknowledged, or gone; plain peers' writes time out.
	d.mu.Lock()
	d.waiters.Add(1)
	for {
		settled := true
		// With Redeliver, a worker dropped now has its batches re-sent to
		// the others, so nobody is told end-of-stream until nothing is
		// unacknowledged anywhere.
		quiet := !d.cfg.Redeliver || (d.redispatching.Load() == 0 && !anyUnacked(live))
		for _, c := range live {
			if !aborted && quiet && c.readyForEnd() {
				c.end(endFinished, "end of stream")
			}
			if !c.settled() {
				settled = false
			}
		}
		if settled {
			break
		}
		d.cond.Wait()
	}
	d.waiters.Add(-1)
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
	for _, c := range live {
		c.kill(stateFinished, "end of stream sent")
	}
	d.mu.Lock()
	all := append([]*pushConn(nil), d.all...)
	d.mu.Unlock()
	for _, c := range all {
		<-c.w.Done() // its accounts are settled (onClose has run)
	}
	close(d.stop)
	d.wg.Wait()
}

// anyUnacked reports whether a live credit worker holds unacknowledged
// batches. Called with d.mu held.
func anyUnacked(cs []*pushConn) bool {
	for _, c := range cs {
		c.mu.Lock()
		unacked := !c.closedIn && c.sentB != c.ackedB // dead but not yet settled counts
		c.mu.Unlock()
		if unacked {
			return true
		}
	}
	return false
}

// Lost is the number of records handed to the dispatcher that no worker
// acknowledged as handled and that were not redelivered: written to a
// worker that was dropped or disconnected before acknowledging them, or
// discarded because the subscriber croaked or closed. It is exact for
// credit workers; for plain PULL peers see Unconfirmed.
func (d *PushDispatcher) Lost() int64 { return d.connLost.Load() + d.discarded.Load() }

// LostToWorkers is the part of Lost written to a worker that was dropped
// or disconnected before acknowledging it.
func (d *PushDispatcher) LostToWorkers() int64 { return d.connLost.Load() }

// Discarded is the part of Lost that never reached a worker: queued when
// the subscriber croaked or closed, or delivered after it.
func (d *PushDispatcher) Discarded() int64 { return d.discarded.Load() }

// Handled is the number of records credit workers acknowledged as
// handled. Handled + Lost is every record delivered, once Close returns,
// when every worker took credit (see Unconfirmed for those that did not).
func (d *PushDispatcher) Handled() int64 {
	var n int64
	for _, w := range d.Stats() {
		n += w.Handled
	}
	return n
}

// Redelivered is the number of records re-sent to another worker after
// the worker they were written to was dropped unacknowledged (Redeliver):
// each was handled at least once, some possibly twice.
func (d *PushDispatcher) Redelivered() int64 { return d.redelivered.Load() }

// Unconfirmed is the number of records written to plain PULL peers (no
// credit, no acknowledgements) that disconnected before end-of-stream:
// they may or may not have been handled.
func (d *PushDispatcher) Unconfirmed() int64 { return d.unconfirmed.Load() }

// AtLeastOnce reports whether any record was redelivered, so a summary
// must say "at least once" rather than "exactly once".
func (d *PushDispatcher) AtLeastOnce() bool { return d.redelivered.Load() > 0 }

// Stats returns one entry per worker connection seen.
func (d *PushDispatcher) Stats() []WorkerStats {
	d.mu.Lock()
	all := append([]*pushConn(nil), d.all...)
	d.mu.Unlock()
	out := make([]WorkerStats, 0, len(all))
	for _, c := range all {
		out = append(out, c.stats())
	}
	return out
}

// WaitWorkers blocks until at least n workers may be given batches (they
// took credit, or were taken as plain PULLs once negotiation timed out),
// or ctx ends, or the dispatcher closes. A subscriber calls it before it
// subscribes, so that the records of its first moments do not wait in
// its sockets for the first worker to connect.
func (d *PushDispatcher) WaitWorkers(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	defer stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.ready) < n {
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%d of %s ready on %s: %w", len(d.ready), words.Count(n, "worker", "workers"), d.ln.Endpoint(), ctx.Err())
		case d.closing:
			return fmt.Errorf("the dispatcher on %s closed while waiting for workers", d.ln.Endpoint())
		}
		d.waiters.Add(1)
		d.cond.Wait()
		d.waiters.Add(-1)
	}
	return nil
}
