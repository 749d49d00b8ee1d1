package shard

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

// PubConfig configures a Publisher. Zero values are documented defaults.
type PubConfig struct {
	// Binds has one endpoint per shard (tcp://HOST:PORT, tcp://DEV;HOST:PORT
	// or ipc://PATH). Required.
	Binds []string
	// Partitions is the total number of partitions. 0 means 4 per shard.
	// Sequences are contiguous per partition and subscribers can subscribe
	// to partitions, so more partitions give finer subscriptions at the
	// cost of smaller frames.
	Partitions int
	// Overrides pins topics to partitions, overriding the hash (nil: the
	// hash for every topic).
	Overrides map[string]uint32
	// ID identifies this publisher across restarts. 0 means a hash of the
	// host name and the bind endpoints: stable for the same deployment.
	ID uint64
	// FrameSize caps a batch frame in bytes. 0 means 64 KiB, measured on
	// zmq4 as the size where a frame's fixed costs stop mattering.
	FrameSize int
	// Linger bounds how long a record may wait in a partly filled frame
	// while the source keeps producing. 0 means 200µs. A source that has
	// nothing waiting triggers a flush (Run), so a quiet feed never pays
	// the linger — except that a frame whose subscribers' writers are all
	// still busy writing stays open and keeps filling until one of them is
	// idle (it is sent the moment one is, so it waits no longer than it
	// would have in their queues), it is full, or it is Linger old.
	// Negative disables the time bound (size only).
	Linger time.Duration
	// HWM is the per-subscriber high-water mark in queued bytes. Past it,
	// frames for that subscriber are dropped and counted (it will see a
	// gap); other subscribers are unaffected. 0 means 64 MiB.
	HWM int
	// Lossless makes the publisher wait at a subscriber's HWM instead of
	// dropping its frames: every record reaches every live subscriber, and
	// the slowest one sets the pace. A subscriber stuck past WriteTimeout is
	// still cut off, so a dead peer stalls the others at most that long.
	// For replays and benchmarks; a live feed should drop (the default).
	Lossless bool
	// WriteTimeout disconnects a subscriber whose socket accepts nothing
	// for this long. 0 means 2s.
	WriteTimeout time.Duration
	// Heartbeat is the interval after which an idle partition announces
	// its next sequence, so subscribers detect loss at the tail and know
	// the publisher lives. 0 means 1s; negative disables heartbeats.
	Heartbeat time.Duration
	// Drain bounds how long Close waits for subscribers to take what is
	// queued for them. 0 means 2s.
	Drain time.Duration
	// Rewind is the rewind window in bytes: the data frames sent, per
	// partition, are kept (by reference, no copy) until this much frame
	// memory is held, and served to subscribers that ask for a range they
	// missed on the recovery endpoints. 0 means DefaultRewind; negative
	// turns the window and the recovery endpoints off.
	Rewind int64
	// RecoveryBinds has one recovery endpoint per shard. nil means
	// DefaultRecoveryEndpoint of each shard's bind (PUB port + 1000).
	RecoveryBinds []string
	// RecoveryLimits bound what one recovery client may take.
	RecoveryLimits RecoveryLimits
	// Conn holds socket and guard options for the shard endpoints.
	Conn zmqx.Options
	// Logf receives operational messages (slow subscribers, refused peers).
	// nil discards them.
	Logf func(format string, args ...any)
	// OnEvent, if set, receives slow-consumer events (a subscriber over
	// its high-water mark, one cut off at the write deadline) for alerting.
	// It is called from publishing goroutines and must not block.
	OnEvent func(Event)
}

func (c PubConfig) withDefaults() PubConfig {
	if c.Partitions == 0 {
		c.Partitions = 4 * len(c.Binds)
	}
	if c.FrameSize == 0 {
		c.FrameSize = 64 << 10
	}
	if c.Linger == 0 {
		c.Linger = 200 * time.Microsecond
	}
	if c.HWM == 0 {
		c.HWM = 64 << 20
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 2 * time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.Drain == 0 {
		c.Drain = 2 * time.Second
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Rewind == 0 {
		c.Rewind = DefaultRewind
	}
	if c.Rewind > 0 && c.RecoveryBinds == nil {
		for _, b := range c.Binds {
			r, _ := DefaultRecoveryEndpoint(b)
			c.RecoveryBinds = append(c.RecoveryBinds, r)
		}
	}
	if c.ID == 0 {
		h := fnv.New64a()
		host, _ := os.Hostname()
		io.WriteString(h, host)
		for _, b := range c.Binds {
			io.WriteString(h, "|"+b)
		}
		c.ID = h.Sum64()
	}
	return c
}

// Validate reports the first unusable field, naming it.
func (c PubConfig) Validate() error {
	if len(c.Binds) == 0 {
		return errors.New("publisher needs at least one bind endpoint (one per shard)")
	}
	for _, b := range c.Binds {
		if _, err := zmqx.ParseEndpoint(b); err != nil {
			return fmt.Errorf("bind %w", err)
		}
	}
	if c.RecoveryBinds != nil && c.Rewind >= 0 {
		if len(c.RecoveryBinds) != len(c.Binds) {
			return fmt.Errorf("%d recovery endpoints for %d shards: give one per shard", len(c.RecoveryBinds), len(c.Binds))
		}
		for _, b := range c.RecoveryBinds {
			if _, err := zmqx.ParseEndpoint(b); err != nil {
				return fmt.Errorf("recovery bind %w", err)
			}
		}
	}
	if err := c.RecoveryLimits.Validate(); err != nil {
		return err
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("publisher: %w", err)
	}
	d := c.withDefaults()
	if _, err := NewRouter(len(c.Binds), d.Partitions, c.Overrides); err != nil {
		return err
	}
	if d.FrameSize < feed.HeaderLen+64 || d.FrameSize > 64<<20 {
		return fmt.Errorf("frame size %d outside [%d, %d]", c.FrameSize, feed.HeaderLen+64, 64<<20)
	}
	if d.HWM < d.FrameSize {
		return fmt.Errorf("high-water mark %d below the frame size %d", d.HWM, d.FrameSize)
	}
	return nil
}

type partState struct {
	id       uint32
	shard    int
	seq      uint64 // last sequence stamped
	enc      feed.Encoder
	cur      *frame
	opened   int64 // when cur got its first record (ns)
	lastSend int64 // when the partition last sent anything (ns)
	dirty    bool
	held     bool // kept open by flushIdle: its subscribers' writers were busy
	records  atomic.Int64
}

// Publisher stamps, routes and batches records and publishes them on one
// endpoint per shard.
type Publisher struct {
	cfg    PubConfig
	router *Router
	epoch  uint64
	parts  []partState
	outs   []*fanout
	win    *rewind           // nil when the window is off
	recs   []*recoveryServer // one per shard, with the window
	pool   sync.Pool
	small  [len(smallSizes)]sync.Pool // right-sized frames, by size class

	mu     sync.Mutex
	dirty  []*partState
	held   []int // per shard: partitions held open (see flushIdle)
	closed bool
	hbStop chan struct{}
	hbDone chan struct{}
	kicked chan struct{} // a writer went idle while frames were held (capacity 1)
	inline bool          // kick may flush on the calling writer (see kick)

	records, frames, bytes, tooLarge atomic.Int64
	shardRecs                        []atomic.Int64
}

// NewPublisher binds every shard endpoint and starts accepting subscribers.
func NewPublisher(cfg PubConfig) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	derived := cfg.RecoveryBinds == nil
	cfg = cfg.withDefaults()
	router, _ := NewRouter(len(cfg.Binds), cfg.Partitions, cfg.Overrides)
	p := &Publisher{
		cfg:       cfg,
		router:    router,
		epoch:     uint64(time.Now().UnixNano()),
		parts:     make([]partState, cfg.Partitions),
		shardRecs: make([]atomic.Int64, len(cfg.Binds)),
		held:      make([]int, len(cfg.Binds)),
		hbStop:    make(chan struct{}),
		hbDone:    make(chan struct{}),
		kicked:    make(chan struct{}, 1),
	}
	p.pool.New = func() any {
		f := &frame{}
		f.Body = make([]byte, 0, cfg.FrameSize+256)
		f.put = func() { p.pool.Put(f) }
		return f
	}
	for i := range p.parts {
		p.parts[i].id = uint32(i)
		p.parts[i].shard = router.Shard(uint32(i))
	}
	most := 0
	for s := 0; s < len(cfg.Binds); s++ {
		most = max(most, len(router.ShardPartitions(s)))
	}
	// A frame's buffer is FrameSize+256, or grown by append for a single
	// record larger than FrameSize: twice the larger bounds it.
	p.inline = !cfg.Lossless || cfg.HWM >= most*2*max(cfg.FrameSize+256, feed.HeaderLen+feed.MaxRecordLen)
	for i, b := range cfg.Binds {
		ep, _ := zmqx.ParseEndpoint(b)
		f, err := newFanout(i, ep, cfg.Conn, cfg.HWM, cfg.WriteTimeout, cfg.Logf, cfg.OnEvent, cfg.Lossless, p.kick)
		if err != nil {
			for _, o := range p.outs {
				o.close()
			}
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		p.outs = append(p.outs, f)
	}
	if cfg.Rewind > 0 {
		p.win = newRewind(cfg.Rewind, cfg.Partitions)
		store := &windowStore{w: p.win, pub: cfg.ID, epoch: p.epoch}
		for i, b := range cfg.RecoveryBinds {
			ep, err := zmqx.ParseEndpoint(b)
			var r *recoveryServer
			if err == nil {
				r, err = newRecoveryServer(ep, cfg.Conn, store, cfg.RecoveryLimits, cfg.Logf)
			} else if b == "" {
				_, err = DefaultRecoveryEndpoint(cfg.Binds[i])
			}
			if err != nil && derived {
				// A default next to the PUB port may be taken: the live
				// stream must not fail for it.
				cfg.Logf("shard %d: %v: running without a recovery endpoint on this shard (set one explicitly)", i, err)
				p.recs = append(p.recs, nil)
				continue
			}
			if err != nil {
				for _, o := range p.outs {
					o.close()
				}
				for _, r := range p.recs {
					if r != nil {
						r.close()
					}
				}
				return nil, fmt.Errorf("shard %d: %w", i, err)
			}
			p.recs = append(p.recs, r)
		}
	}
	go p.background()
	return p, nil
}

// Router returns the publisher's routing.
func (p *Publisher) Router() *Router { return p.router }

// ID and Epoch identify this publisher incarnation on the wire.
func (p *Publisher) ID() uint64    { return p.cfg.ID }
func (p *Publisher) Epoch() uint64 { return p.epoch }

// Endpoints returns the bound endpoints with real ports (for port 0 binds).
func (p *Publisher) Endpoints() []string {
	out := make([]string, len(p.outs))
	for i, o := range p.outs {
		out[i] = o.ln.Endpoint()
	}
	return out
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("publisher closed")

// Publish stamps each record (publisher, epoch, shard, partition, sequence,
// a fresh SendTS; SourceTS is kept) in place and appends it to its
// partition's frame, sending frames as they fill. Call Flush when the
// source has nothing more waiting; Run does this for you.
//
// A record too large for the wire format is skipped and reported in the
// error after the rest of recs has been published.
func (p *Publisher) Publish(recs []feed.Record) error {
	p.mu.Lock()
	defer p.unlock()
	if p.closed {
		return ErrClosed
	}
	now := time.Now().UnixNano()
	var firstErr error
	for i := range recs {
		r := &recs[i]
		ps := &p.parts[p.router.Partition(r.Topic)]
		size := r.WireSize(false)
		if size > feed.MaxRecordLen || len(r.Topic) == 0 || len(r.Topic) > feed.MaxTopicLen {
			p.tooLarge.Add(1)
			if firstErr == nil {
				firstErr = fmt.Errorf("record %d (topic %.40q, %d bytes): %w", i, r.Topic, size, feed.ErrTooLarge)
			}
			continue
		}
		if ps.cur != nil && ps.enc.Len()+size > p.cfg.FrameSize {
			p.flushPart(ps, now)
		}
		if ps.cur == nil {
			p.open(ps, now)
		}
		ps.seq++
		r.Publisher, r.Epoch, r.Seq, r.SendTS = p.cfg.ID, p.epoch, ps.seq, now
		r.Shard, r.Partition = uint16(ps.shard), ps.id
		ps.enc.Append(r)
	}
	if p.cfg.Linger > 0 {
		for i := 0; i < len(p.dirty); {
			ps := p.dirty[i]
			if now-ps.opened >= int64(p.cfg.Linger) {
				p.flushPart(ps, now) // removes ps from p.dirty
				continue
			}
			i++
		}
	}
	return firstErr
}

func (p *Publisher) header(ps *partState, flags uint8) feed.Header {
	return feed.Header{
		Flags: flags, Shard: uint16(ps.shard), Shards: uint16(len(p.outs)),
		Partition: ps.id, Partitions: uint32(len(p.parts)),
		Publisher: p.cfg.ID, Epoch: p.epoch, FirstSeq: ps.seq + 1,
	}
}

func (p *Publisher) newFrame(ps *partState) *frame {
	f := p.pool.Get().(*frame)
	f.Init(f.put)
	f.Prefix = feed.PartitionPrefix(f.pre[:0], ps.id)
	return f
}

func (p *Publisher) open(ps *partState, now int64) {
	ps.cur = p.newFrame(ps)
	ps.enc.Reset(ps.cur.Body[:0], p.header(ps, 0))
	ps.opened = now
	if !ps.dirty {
		ps.dirty = true
		p.dirty = append(p.dirty, ps)
	}
}

func (p *Publisher) flushPart(ps *partState, now int64) {
	f := ps.cur
	ps.cur = nil
	f.Body = ps.enc.Finish()
	f.Records = ps.enc.Count()
	f = p.rightSize(ps, f)
	recs := int64(f.Records) // f may be recycled once sent
	p.sendFrame(ps, f, now, false)
	ps.records.Add(recs)
	p.records.Add(recs)
	p.shardRecs[ps.shard].Add(recs)
	if ps.held {
		ps.held = false
		if p.held[ps.shard]--; p.held[ps.shard] == 0 {
			p.outs[ps.shard].held.Store(false)
		}
	}
	if ps.dirty {
		ps.dirty = false
		for i, d := range p.dirty {
			if d == ps {
				p.dirty[i] = p.dirty[len(p.dirty)-1]
				p.dirty = p.dirty[:len(p.dirty)-1]
				break
			}
		}
	}
}

// sendFrame counts f, keeps it in the rewind window and queues it for
// the shard's subscribers; past queues it over their high-water marks.
func (p *Publisher) sendFrame(ps *partState, f *frame, now int64, past bool) {
	p.frames.Add(1)
	p.bytes.Add(int64(len(f.Body)))
	ps.lastSend = now
	if p.win != nil && f.Records > 0 {
		// Before the send: the window's reference must exist before any
		// writer can drop the last other one.
		p.win.add(ps.id, ps.seq-uint64(f.Records)+1, f)
	}
	p.outs[ps.shard].hold(f, past)
	f.Unref()
}

// rightSize copies a frame that uses a small part of its pooled buffer
// into a buffer of its own size and recycles the big one at once. A queue
// holding a slow subscriber's frames is bounded by the bytes they carry
// (the HWM), so those bytes must be what they cost: at low rates frames
// carry a few records, and 64 KiB buffers behind them multiplied the
// publisher's memory (measured: 642 MiB with a stopped subscriber).
//
// The copies come from pools by power-of-two size class, so they cost at
// most twice what they carry and no allocation in steady state: at a
// fixed rate most frames are small (TestPublishAllocsPerFrame).
func (p *Publisher) rightSize(ps *partState, f *frame) *frame {
	if len(f.Body)*4 > cap(f.Body) || cap(f.Body) < 16<<10 {
		return f
	}
	small := p.smallFrame(len(f.Body))
	small.Body = append(small.Body[:0], f.Body...)
	small.Records = f.Records
	small.Prefix = feed.PartitionPrefix(small.pre[:0], ps.id)
	f.Body = f.Body[:0]
	f.Unref() // back to the pool
	return small
}

// smallSizes are the size classes of right-sized frames; a frame is
// right-sized only when it fills at most a quarter of a full buffer.
var smallSizes = [...]int{512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10}

// smallFrame returns a pooled frame with room for n bytes.
func (p *Publisher) smallFrame(n int) *frame {
	for i, size := range smallSizes {
		if n > size {
			continue
		}
		f, _ := p.small[i].Get().(*frame)
		if f == nil {
			f = &frame{}
			f.Body = make([]byte, 0, size)
			pool := &p.small[i]
			f.put = func() { pool.Put(f) }
		}
		f.Init(f.put)
		return f
	}
	return newFrame(make([]byte, 0, n), nil, 0)
}

// control sends a record-less frame (heartbeat or EOS) for ps.
func (p *Publisher) control(ps *partState, flags uint8, now int64) {
	f := newFrame(make([]byte, 0, feed.HeaderLen), nil, 0)
	f.Prefix = feed.PartitionPrefix(f.pre[:0], ps.id)
	var enc feed.Encoder
	enc.Reset(f.Body, p.header(ps, flags))
	f.Body = enc.Finish()
	// An end-of-stream passes the high-water mark: it tells a slow
	// subscriber where the stream ended, so what was dropped before it is
	// a counted gap, not an unknown end.
	p.sendFrame(ps, f, now, flags&feed.FlagEOS != 0)
}

// unlock writes what the round queued (see fanout.hold) and releases mu.
// Frames kept open because their writers were busy are looked at once
// more: a writer that has just written the round inline is idle again.
func (p *Publisher) unlock() {
	p.pushAll()
	if p.anyHeld() {
		p.flushHeld(-1)
		p.pushAll()
	}
	p.mu.Unlock()
}

func (p *Publisher) pushAll() {
	for _, o := range p.outs {
		o.push()
	}
}

func (p *Publisher) anyHeld() bool {
	for _, n := range p.held {
		if n > 0 {
			return true
		}
	}
	return false
}

// Flush sends every partly filled frame now.
func (p *Publisher) Flush() {
	p.mu.Lock()
	defer p.unlock()
	p.flushAll()
}

func (p *Publisher) flushAll() {
	now := time.Now().UnixNano()
	for len(p.dirty) > 0 {
		p.flushPart(p.dirty[len(p.dirty)-1], now)
	}
}

// flushIdle is Run's flush when the source has nothing waiting: it sends
// every partly filled frame, except one whose subscribers' writers are all
// still busy with earlier frames. That one keeps filling (it would only
// wait in their queues) and is sent when one of them goes idle (kick),
// when it is full, or when it is Linger old: at a steady rate frames grow
// with the backlog instead of queuing many small ones, each with its own
// per-frame costs downstream; at a low rate writers are idle and every
// frame goes at once.
func (p *Publisher) flushIdle(now int64) {
	for i := 0; i < len(p.dirty); {
		ps := p.dirty[i]
		out := p.outs[ps.shard]
		if out.busyFor(ps.cur.Prefix) {
			if !ps.held {
				ps.held = true
				p.held[ps.shard]++
				out.held.Store(true)
			}
			// Looked at again after the mark, as a writer going idle looks
			// at the mark after saying so: one side always sees the other.
			if out.busyFor(ps.cur.Prefix) {
				i++
				continue
			}
		}
		p.flushPart(ps, now) // removes ps from p.dirty
	}
}

// kick is called by a subscriber's writer that went idle (or closed) while
// frames of its shard were held. It flushes them on that writer's
// goroutine if the publisher is not busy; otherwise the background
// goroutine does. In lossless mode a send waits for space, so flushing on
// the writer itself is safe only if its empty queue takes every held frame
// of its shard at once (HWM ≥ two full frames per partition of a shard,
// as the default is).
func (p *Publisher) kick(shard int) {
	if p.inline && p.mu.TryLock() {
		p.flushHeld(shard) // its own shard only: other shards' writers may be full
		p.unlock()
		return
	}
	select {
	case p.kicked <- struct{}{}:
	default:
	}
}

// flushHeld sends held frames (of one shard, or all for -1) that a
// subscriber's writer is ready for.
func (p *Publisher) flushHeld(shard int) {
	if p.closed {
		return
	}
	now := time.Now().UnixNano()
	for i := 0; i < len(p.dirty); {
		ps := p.dirty[i]
		if ps.held && (shard < 0 || ps.shard == shard) && !p.outs[ps.shard].busyFor(ps.cur.Prefix) {
			p.flushPart(ps, now)
			continue
		}
		i++
	}
}

// background sends heartbeats, flushes held frames when kicked, and sends
// frames that have lingered while the source went quiet.
func (p *Publisher) background() {
	defer close(p.hbDone)
	var tick <-chan time.Time
	if p.cfg.Heartbeat > 0 {
		t := time.NewTicker(p.cfg.Heartbeat / 4)
		defer t.Stop()
		tick = t.C
	}
	for {
		hb := false
		select {
		case <-p.hbStop:
			return
		case <-p.kicked:
		case <-tick:
			hb = true
		}
		p.mu.Lock()
		if p.closed {
			p.unlock()
			return
		}
		p.flushHeld(-1)
		if hb {
			now := time.Now().UnixNano()
			for i := 0; i < len(p.dirty); {
				if ps := p.dirty[i]; p.cfg.Linger > 0 && now-ps.opened >= int64(p.cfg.Linger) {
					p.flushPart(ps, now)
					continue
				}
				i++
			}
			for i := range p.parts {
				ps := &p.parts[i]
				if ps.cur == nil && now-ps.lastSend >= int64(p.cfg.Heartbeat) {
					p.control(ps, feed.FlagHeartbeat, now)
				}
			}
		}
		p.unlock()
	}
}

// Run publishes src until it is exhausted (io.EOF, returns nil) or ctx
// ends (returns ctx's error), flushing whenever src has nothing waiting.
func (p *Publisher) Run(ctx context.Context, src feed.Source) error {
	var b feed.Batch
	pender, _ := src.(feed.Pender)
	for {
		b.Reset()
		err := src.Next(ctx, &b)
		if b.Len() > 0 {
			if perr := p.Publish(b.Recs); perr != nil && !errors.Is(perr, feed.ErrTooLarge) {
				return perr
			}
		}
		if err == io.EOF {
			p.Flush()
			return nil
		}
		if err != nil {
			p.Flush()
			return err
		}
		if pender == nil || !pender.Pending() {
			p.mu.Lock()
			p.flushIdle(time.Now().UnixNano())
			p.unlock()
		}
	}
}

// WaitSubscribers blocks until every shard has at least n subscribed
// connections at once, or ctx ends.
func (p *Publisher) WaitSubscribers(ctx context.Context, n int) error {
	for {
		waited := false
		for _, o := range p.outs {
			changed := o.subsChanged.wait() // before looking, so no change is missed
			if o.subscribed() >= n {
				continue
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s per shard: %w", words.Count(n, "subscriber", "subscribers"), ctx.Err())
			case <-changed:
			}
			waited = true
			break // a shard looked at before may have lost one meanwhile
		}
		if !waited {
			return nil
		}
	}
}

// Close flushes, sends end-of-stream on every partition, waits up to
// Drain for subscribers to take what is queued for them, and closes.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.unlock()
		return nil
	}
	p.flushAll()
	for _, o := range p.outs {
		// From here on subscribers leave because the stream ended: not
		// news. Before the end-of-stream is queued: one that exits on it
		// (bbox sub --exit-on-eos) may hang up before this goroutine
		// gets any further.
		o.closing.Store(true)
	}
	now := time.Now().UnixNano()
	for i := range p.parts {
		p.control(&p.parts[i], feed.FlagEOS, now)
	}
	p.closed = true
	p.unlock()
	close(p.hbStop)
	<-p.hbDone
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Drain)
	for _, o := range p.outs {
		o.drain(ctx)
	}
	cancel()
	for _, o := range p.outs {
		o.close()
	}
	// Subscribers still reading the tail may find gaps there: the window
	// stays while they are connected or asked lately (up to Drain), then goes.
	ctx, cancel = context.WithTimeout(context.Background(), p.cfg.Drain)
	for _, r := range p.recs {
		if r != nil {
			r.linger(ctx, 500*time.Millisecond)
		}
	}
	cancel()
	for _, r := range p.recs {
		if r != nil {
			r.close()
		}
	}
	if p.win != nil {
		p.win.release()
	}
	return nil
}

// RecoveryEndpoints returns the bound recovery endpoints, one per shard
// ("off" for a shard whose default endpoint could not be bound; nil when
// the rewind window is off).
func (p *Publisher) RecoveryEndpoints() []string {
	var out []string
	for _, r := range p.recs {
		if r == nil {
			out = append(out, "off")
			continue
		}
		out = append(out, r.Endpoint())
	}
	return out
}

// Stats returns a consistent-enough snapshot of the counters (each value
// is read atomically; they are not read at one instant).
func (p *Publisher) Stats() PubStats {
	s := PubStats{
		ID: p.cfg.ID, Epoch: p.epoch,
		Records: p.records.Load(), Frames: p.frames.Load(), Bytes: p.bytes.Load(), TooLarge: p.tooLarge.Load(),
	}
	for i, o := range p.outs {
		ss := ShardPubStats{ID: i, Endpoint: o.ln.Endpoint(), Records: p.shardRecs[i].Load(),
			Subscribers: len(*o.conns.Load()), Refused: o.stats.Refused(), Oversize: o.stats.Oversize.Load(), NotZMTP: o.stats.NotZMTP.Load(),
			SockBufCapped: o.stats.SockBufCapped.Load()}
		slow, omitted := o.shardTotals(&ss)
		s.SlowConsumers += int(slow)
		s.ConnsOmitted += omitted
		s.DroppedRecords += ss.DroppedRecords
		s.DroppedFrames += ss.DroppedFrames
		s.DiscardedRecords += ss.DiscardedRecords
		s.DiscardedFrames += ss.DiscardedFrames
		s.ConnectionsCut += ss.ConnectionsCut
		s.Shards = append(s.Shards, ss)
		s.Conns = append(s.Conns, o.connStats()...)
	}
	if p.win != nil {
		b, f := p.win.stats()
		s.Window = &WindowStats{MaxBytes: p.cfg.Rewind, Bytes: b, Frames: f, Evicted: p.win.evicted.Load()}
		for _, r := range p.recs {
			if r != nil {
				s.Recovery = append(s.Recovery, r.Stats())
			}
		}
	}
	return s
}
