package workers

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// PushConfig configures a PushDispatcher. Zero values are defaults.
type PushConfig struct {
	// Bind is the endpoint `bbox worker --connect` processes connect to.
	Bind string
	// Order is how batches are spread; see Order.
	Order Order
	// Queue is the number of frames each worker connection may have
	// waiting before Deliver looks elsewhere or blocks. 0 means 32.
	Queue int
	// WriteTimeout disconnects a worker that takes nothing for this long;
	// what was queued for it goes to the others. 0 means 5s.
	WriteTimeout time.Duration
	// Conn holds socket and guard options.
	Conn zmqx.Options
	// Logf receives operational messages. nil discards them.
	Logf func(format string, args ...any)
}

// PushDispatcher is the subscriber side of out-of-process workers. Each
// worker connection is a single-peer PUSH: bbox picks the worker for every
// batch (zmq4's PUSH socket sends every message to every peer), so each
// record reaches exactly one worker. Deliver blocks while no worker is
// connected or all are busy: back-pressure, as in-process.
//
// Delivery is at most once: frames a worker had not yet taken when it
// disconnected are re-sent to another worker; frames already written to a
// worker's socket when it died are counted in Lost.
type PushDispatcher struct {
	cfg    PushConfig
	ln     *zmqx.Listener
	mu     sync.Mutex
	cond   *sync.Cond
	live   []*pushConn
	all    []*pushConn
	nextID int
	closed bool
	// eosSent is set when Close starts: workers leaving after it are done.
	eosSent bool
	abort   chan struct{}
	rr      atomic.Uint64
	lost    atomic.Int64
	stats   zmqx.Counters
	pool    sync.Pool
}

type pushFrame struct {
	buf     []byte
	records int
	shared  bool // sent to several workers (EOS): never pooled or re-sent
}

type pushConn struct {
	id      int
	peer    *zmqx.Peer
	q       chan *pushFrame
	dead    atomic.Bool
	reason  string
	records atomic.Int64
	batches atomic.Int64
	// inflight counts frames queued or being written, so Close knows
	// when everything (EOS included) has been flushed.
	inflight atomic.Int64
	done     chan struct{}
}

// NewPushDispatcher binds cfg.Bind and starts accepting workers.
func NewPushDispatcher(cfg PushConfig) (*PushDispatcher, error) {
	if cfg.Queue == 0 {
		cfg.Queue = 32
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	ep, err := zmqx.ParseEndpoint(cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("bind %w", err)
	}
	d := &PushDispatcher{cfg: cfg, abort: make(chan struct{})}
	d.cond = sync.NewCond(&d.mu)
	d.pool.New = func() any { return &pushFrame{buf: make([]byte, 0, 64<<10)} }
	o := cfg.Conn
	o.Stats = &d.stats
	if d.ln, err = zmqx.Listen(ep, o); err != nil {
		return nil, err
	}
	go d.ln.Serve(zmq4.Push, d.add)
	return d, nil
}

// Endpoint is the bound endpoint (with the real port).
func (d *PushDispatcher) Endpoint() string { return d.ln.Endpoint() }

func (d *PushDispatcher) add(p *zmqx.Peer) {
	c := &pushConn{peer: p, q: make(chan *pushFrame, d.cfg.Queue), done: make(chan struct{})}
	p.Coalesce()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		p.Close()
		return
	}
	c.id = d.nextID
	d.nextID++
	d.live = append(d.live, c)
	d.all = append(d.all, c)
	d.cond.Broadcast()
	d.mu.Unlock()
	d.cfg.Logf("worker %d connected from %s", c.id, p.Remote)
	go d.writeLoop(c)
	go d.watch(c)
}

// watch notices a worker that hangs up: PULL peers never send, so a
// read returns only when the connection ends.
func (d *PushDispatcher) watch(c *pushConn) {
	_, err := c.peer.RecvMsg()
	if err != nil {
		d.kill(c, "disconnected: "+err.Error())
	}
}

func (d *PushDispatcher) writeLoop(c *pushConn) {
	msg := zmq4.Msg{Frames: make([][]byte, 1)}
	var sent []*pushFrame
	for {
		select {
		case f := <-c.q:
			sent = append(sent[:0], f)
		case <-c.done:
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
		var err error
		for _, g := range sent {
			msg.Frames[0] = g.buf
			if err = c.peer.SendMsg(msg); err != nil {
				break
			}
		}
		if err == nil {
			err = c.peer.Flush(d.cfg.WriteTimeout)
		}
		recs := 0
		for _, g := range sent {
			recs += g.records
		}
		if err != nil {
			d.lost.Add(int64(recs))
			c.inflight.Add(-int64(len(sent)))
			d.kill(c, "write failed: "+err.Error())
			return
		}
		c.records.Add(int64(recs))
		c.inflight.Add(-int64(len(sent)))
		for _, g := range sent {
			if !g.shared {
				c.batches.Add(1)
				d.pool.Put(g)
			}
		}
	}
}

// kill removes a worker and re-dispatches what it had not taken.
func (d *PushDispatcher) kill(c *pushConn, reason string) {
	if c.dead.Swap(true) {
		return
	}
	c.peer.Close()
	d.mu.Lock()
	c.reason = reason
	for i, o := range d.live {
		if o == c {
			d.live = append(d.live[:i], d.live[i+1:]...)
			break
		}
	}
	closed, quiet := d.closed, d.closed || d.eosSent
	d.mu.Unlock()
	close(c.done)
	if !quiet {
		d.cfg.Logf("worker %d (%s) %s", c.id, c.peer.Remote, reason)
	}
	for {
		select {
		case f := <-c.q:
			c.inflight.Add(-1)
			if !closed && !f.shared {
				d.send(f, -1)
			}
		default:
			return
		}
	}
}

// Deliver encodes b as one frame per chosen worker and queues it.
func (d *PushDispatcher) Deliver(shard int, b *feed.Batch) {
	defer feed.PutBatch(b)
	if len(b.Recs) == 0 {
		return
	}
	if d.cfg.Order != OrderTopic {
		d.send(d.encode(b.Recs), -1)
		return
	}
	d.mu.Lock()
	for len(d.live) == 0 && !d.closed {
		d.cond.Wait()
	}
	n := len(d.live)
	d.mu.Unlock()
	if n == 0 {
		return
	}
	// Encode each topic's records straight into its worker's frame: no
	// per-record copies into intermediate slices.
	frames := make([]*pushFrame, n)
	encs := make([]feed.Encoder, n)
	for i := range b.Recs {
		r := &b.Recs[i]
		k := TopicWorker(r.Topic, n)
		if frames[k] == nil {
			frames[k] = d.open(&encs[k], r)
		}
		encs[k].Append(r)
	}
	for k, f := range frames {
		if f != nil {
			d.send(d.finish(&encs[k], f), k)
		}
	}
}

// encode puts recs (one partition's) into one worker frame.
func (d *PushDispatcher) encode(recs []feed.Record) *pushFrame {
	var enc feed.Encoder
	f := d.open(&enc, &recs[0])
	for i := range recs {
		enc.Append(&recs[i])
	}
	return d.finish(&enc, f)
}

// open starts a worker frame (explicit sequences: a worker's records need
// not be contiguous) with r's origin in the header.
func (d *PushDispatcher) open(enc *feed.Encoder, r *feed.Record) *pushFrame {
	f := d.pool.Get().(*pushFrame)
	enc.Reset(f.buf[:0], feed.Header{Flags: feed.FlagSeq, Shard: r.Shard, Partition: r.Partition,
		Publisher: r.Publisher, Epoch: r.Epoch, FirstSeq: r.Seq})
	return f
}

func (d *PushDispatcher) finish(enc *feed.Encoder, f *pushFrame) *pushFrame {
	f.buf = enc.Finish()
	f.records = enc.Count()
	return f
}

// send queues f on worker slot `want` (by position among live workers;
// -1 for any), waiting for a worker if none is connected.
func (d *PushDispatcher) send(f *pushFrame, want int) {
	for {
		d.mu.Lock()
		for len(d.live) == 0 && !d.closed {
			d.cond.Wait()
		}
		if d.closed {
			d.mu.Unlock()
			d.lost.Add(int64(f.records))
			return
		}
		live := append([]*pushConn(nil), d.live...)
		d.mu.Unlock()
		n := len(live)
		var target *pushConn
		if want >= 0 {
			target = live[want%n]
		} else {
			start := int(d.rr.Add(1) % uint64(n))
			for k := 0; k < n; k++ {
				c := live[(start+k)%n]
				c.inflight.Add(1)
				select {
				case c.q <- f:
					return
				default:
					c.inflight.Add(-1)
				}
			}
			target = live[start]
		}
		target.inflight.Add(1)
		select {
		case target.q <- f:
			return
		case <-target.done:
			// It died while we waited: choose again among the living.
			target.inflight.Add(-1)
		case <-d.abort:
			target.inflight.Add(-1)
			return
		}
	}
}

// Abort drops everything queued and disconnects the workers without an
// end-of-stream: the subscriber croaked and its data is stale.
func (d *PushDispatcher) Abort() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	close(d.abort)
	d.cond.Broadcast()
	live := append([]*pushConn(nil), d.live...)
	d.mu.Unlock()
	d.ln.Close()
	for _, c := range live {
		d.kill(c, "subscriber croaked")
	}
}

// Close sends end-of-stream to every worker, lets them take what is
// queued (up to the write timeout) and closes.
func (d *PushDispatcher) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	live := append([]*pushConn(nil), d.live...)
	d.eosSent = true // workers leaving from now on are done, not lost
	d.mu.Unlock()
	var eos feed.Encoder
	eos.Reset(nil, feed.Header{Flags: feed.FlagEOS | feed.FlagSeq})
	eosFrame := &pushFrame{buf: eos.Finish(), shared: true}
	for _, c := range live {
		c.inflight.Add(1)
		select {
		case c.q <- eosFrame:
		case <-c.done:
			c.inflight.Add(-1)
		}
	}
	deadline := time.Now().Add(d.cfg.WriteTimeout)
	for _, c := range live {
		for c.inflight.Load() > 0 && !c.dead.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
	d.ln.Close()
	for _, c := range live {
		d.kill(c, "dispatcher closed")
	}
	return nil
}

// Lost is the number of records that may not have reached any worker.
func (d *PushDispatcher) Lost() int64 { return d.lost.Load() }

// Stats returns one entry per worker connection seen.
func (d *PushDispatcher) Stats() []WorkerStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]WorkerStats, 0, len(d.all))
	for _, c := range d.all {
		state := "connected"
		if c.dead.Load() {
			state = c.reason
			if d.eosSent && strings.HasPrefix(state, "disconnected") {
				state = "finished after end-of-stream"
			}
		}
		out = append(out, WorkerStats{ID: c.id, Records: c.records.Load(), Batches: c.batches.Load(), Peer: c.peer.Remote, State: state})
	}
	return out
}
