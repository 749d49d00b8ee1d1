package shard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/go-zeromq/zmq4"
)

// Sink receives decoded records from the subscriber threads.
//
// Deliver is called on shard thread `shard` with a batch whose records
// alias the received frame. The sink owns b from then on and must return it
// with feed.PutBatch when done. Deliver may block: that is back-pressure,
// and the snail check will notice if it lasts.
type Sink interface {
	Deliver(shard int, b *feed.Batch)
}

// Aborter is implemented by sinks that can drop what they hold. When the
// subscriber croaks it calls Abort, which must discard queued batches
// (they are stale: passing them on is what croaking prevents) and unblock
// any Deliver in progress.
type Aborter interface {
	Abort()
}

// LatePolicy says what a subscriber does with a record older than MaxDelay.
type LatePolicy int

const (
	// LateCroak squawks and stops the subscriber (the Suicidal Snail).
	LateCroak LatePolicy = iota
	// LateWarn squawks, counts and carries on.
	LateWarn
)

// SubConfig configures a Subscriber. Zero values are documented defaults.
type SubConfig struct {
	// Connect has one publisher endpoint per shard; each gets its own
	// thread and connection. Required.
	Connect []string
	// Partitions, if set, subscribes only to these partitions (ZeroMQ
	// prefix subscriptions, filtered at the publisher). nil means all.
	Partitions []uint32
	// Topics, if set, keeps only records whose topic starts with one of
	// these prefixes. Filtering happens after the sequence checks, so gap
	// detection keeps working on a filtered stream. nil keeps everything.
	Topics []string
	// CPUs pins shard thread i to CPUs[i % len(CPUs)]. nil leaves threads
	// unpinned (still locked to their OS thread).
	CPUs []int
	// MaxDelay is the largest record age (now − SendTS − ClockOffset)
	// tolerated. 0 disables the check.
	MaxDelay time.Duration
	// OnLate is what happens to a record over MaxDelay; the zero value croaks.
	OnLate LatePolicy
	// GapCroak makes a gap of more than MaxGap records croak (MaxGap 0:
	// any gap). false only counts and reports gaps.
	GapCroak bool
	MaxGap   uint64
	// Warmup exempts records received in this long after Run starts from
	// the age check (connection set-up, slow joiners). 0 means none.
	Warmup time.Duration
	// ClockOffset is how far the publisher's clock runs ahead of ours; it
	// is subtracted from every measured age. 0 assumes synchronised clocks.
	ClockOffset time.Duration
	// ExitOnEOS ends Run once every shard has seen end-of-stream on all
	// partitions it subscribes to. false keeps waiting for a new publisher.
	ExitOnEOS bool
	// EOSWait, with ExitOnEOS, is how long a shard whose publisher hung up
	// before its end-of-stream keeps redialling an endpoint that refuses
	// it before it stops waiting: the shard then ends down, and the
	// verdict says its end is unknown. Without it a subscriber cut off at
	// the publisher's close (its end-of-stream dropped with the rest of a
	// stuck queue) would wait forever. 0 waits forever.
	EOSWait time.Duration
	// Retry is the wait between reconnect attempts (libzmq's
	// ZMQ_RECONNECT_IVL). 0 means 100ms.
	Retry time.Duration
	// RetryMax, when larger than Retry, makes the wait double after every
	// failed attempt up to RetryMax (libzmq's ZMQ_RECONNECT_IVL_MAX).
	// 0 keeps it fixed at Retry.
	RetryMax time.Duration
	// HeartbeatTimeout is how long a connection may carry nothing (no
	// frame, heartbeat or PONG) before the feed counts as stalled: the
	// stall is squawked with the peer, counted, and the connection
	// dropped and redialled (the gap shows on reconnect). With MaxDelay
	// and OnLate LateCroak, a stall croaks instead: stale data is late
	// data. A PING goes to the publisher after a third of it in silence.
	// bbox publishers heartbeat idle partitions every second by default.
	// 0 means DefaultHeartbeatTimeout; negative disables the check.
	HeartbeatTimeout time.Duration
	// Recover is where gaps, reconnects and late joins (JoinFrom) are
	// recovered from; the zero value counts them as lost, as before.
	Recover RecoverMode
	// RecoveryConnect has the publisher's recovery endpoint per shard; nil
	// means DefaultRecoveryEndpoint of each Connect endpoint (PUB port +
	// 1000); "off" for a shard asks no window there.
	RecoveryConnect []string
	// Archive lists recovery endpoints of recorders (bbox record --serve),
	// asked after the window with RecoverArchive (nil: none).
	Archive []string
	// JoinFrom, with recovery on, recovers what a late joiner missed: 1
	// from the start of the stream, N from sequence N (of every
	// partition). 0 joins live (the earlier records are before join).
	JoinFrom uint64
	// MaxHold bounds the bytes of live records a shard thread holds back
	// while a range before them is recovered; past it the recovery is
	// given up (its range counted as lost). 0 means DefaultMaxHold.
	MaxHold int
	// RecoverTimeout is how long a recovery endpoint may stay silent
	// before it counts as failed. 0 means DefaultRecoverTimeout.
	RecoverTimeout time.Duration
	// Idle is what a shard thread does while it waits for data; the zero
	// value parks it in the poller (as any Go read does).
	Idle IdleStrategy
	// Conn holds socket and guard options.
	Conn zmqx.Options
	// Name identifies this subscriber in squawks. "" means "sub".
	Name string
	// Logf receives operational messages (connects, gaps, malformed
	// frames). nil discards them.
	Logf func(format string, args ...any)
	// OnSquawk, if set, is called on the shard thread for every late
	// record that is reported and for every gap, before a croak takes
	// effect, so the event can be published before the process exits.
	OnSquawk func(Squawk)
	// Observe, if set, is called on the shard thread for every frame's
	// delivered records, with the arrival time read once for the frame.
	Observe func(shard int, now int64, recs []feed.Record)
	// dropFrame is a test hook (unexported: shard's own tests set it):
	// frames for which it returns true are discarded as if lost on the
	// network.
	dropFrame func(shard int, h *feed.Header) bool
}

func (c SubConfig) withDefaults() SubConfig {
	if c.Retry == 0 {
		c.Retry = zmqx.DefaultReconnectIvl
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.MaxHold == 0 {
		c.MaxHold = DefaultMaxHold
	}
	if c.RecoverTimeout == 0 {
		c.RecoverTimeout = DefaultRecoverTimeout
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Name == "" {
		c.Name = "sub"
	}
	return c
}

// Validate reports the first unusable field, naming it.
func (c SubConfig) Validate() error {
	if len(c.Connect) == 0 {
		return errors.New("subscriber needs at least one connect endpoint (one per shard)")
	}
	for _, e := range c.Connect {
		if _, err := zmqx.ParseEndpoint(e); err != nil {
			return fmt.Errorf("connect %w", err)
		}
	}
	for _, p := range c.Partitions {
		if p >= feed.MaxPartitions {
			return fmt.Errorf("partition %d over the limit %d", p, feed.MaxPartitions-1)
		}
	}
	if c.HeartbeatTimeout > 0 && c.HeartbeatTimeout < MinHeartbeatTimeout {
		return fmt.Errorf("heartbeat timeout %v under %v: a PING's round trip can take longer (negative turns the check off)", c.HeartbeatTimeout, MinHeartbeatTimeout)
	}
	if c.MaxDelay < 0 || c.Warmup < 0 || c.EOSWait < 0 {
		return errors.New("max delay, warmup and EOS wait must not be negative")
	}
	if err := (zmqx.Reconnect{Ivl: c.Retry, Max: c.RetryMax}).Validate(); err != nil {
		return fmt.Errorf("%w", err)
	}
	if err := c.Idle.validate(); err != nil {
		return err
	}
	if c.RecoveryConnect != nil && len(c.RecoveryConnect) != len(c.Connect) {
		return fmt.Errorf("%d recovery endpoints for %d shards: give one per shard (off to skip one)", len(c.RecoveryConnect), len(c.Connect))
	}
	for _, e := range c.RecoveryConnect {
		if _, err := zmqx.ParseEndpoint(e); err != nil && e != "off" {
			return fmt.Errorf("recovery %w", err)
		}
	}
	for _, e := range c.Archive {
		if _, err := zmqx.ParseEndpoint(e); err != nil {
			return fmt.Errorf("archive %w", err)
		}
	}
	if c.JoinFrom > 0 && c.Recover == RecoverOff {
		return errors.New("joining from a sequence needs recovery on (window or archive)")
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("subscriber: %w", err)
	}
	if c.MaxHold < 0 || c.RecoverTimeout < 0 {
		return errors.New("recovery hold and timeout must not be negative")
	}
	return nil
}

type seqKey struct {
	pub  uint64
	part uint32
}

type seqState struct {
	epoch uint64
	next  uint64
	eos   bool
}

// shardCounters are written by one shard thread and read by Stats.
type shardCounters struct {
	records, frames, bytes, lost, gaps, malformed atomic.Int64
	filtered, late, dups, restarts, joined        atomic.Int64
	published, reconnects, lag, maxDelay, cpu     atomic.Int64
	stalls                                        atomic.Int64
	connected, eos                                atomic.Bool
	// silent: the feed stalled and nothing has arrived since.
	silent atomic.Bool
	// down: the connection is down (lost, or never made) and the stream
	// had not ended; reached: a connection was made at least once.
	down, reached atomic.Bool
	// delivering is when the thread started handing a batch to the sink
	// (ns), 0 when it is not; the watchdogs read it.
	delivering atomic.Int64
	// active is when a connection last carried something (ns): a frame,
	// a heartbeat, a PONG. Kept across reconnects, so the watchdog can
	// tell how long a feed has been silent in all.
	active  atomic.Int64
	lastSeq atomic.Uint64
	// The last record handed over, for the watchdog's squawk: copied, not
	// aliased (its buffer is recycled) and not a string (no allocation per frame).
	lastMu    sync.Mutex
	lastTopic [feed.MaxTopicLen]byte
	lastLen   int
	rc        recoveryCounters
}

// Subscriber runs one pinned thread per shard endpoint.
type Subscriber struct {
	cfg    SubConfig
	sink   Sink
	eps    []zmqx.Endpoint
	topics [][]byte
	shards []shardCounters
	start  time.Time

	croakOnce sync.Once
	croakErr  atomic.Pointer[CroakError]
	cancel    context.CancelFunc
}

// NewSubscriber checks cfg; Run connects.
func NewSubscriber(cfg SubConfig, sink Sink) (*Subscriber, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("subscriber needs a sink")
	}
	cfg = cfg.withDefaults()
	s := &Subscriber{cfg: cfg, sink: sink, shards: make([]shardCounters, len(cfg.Connect))}
	for _, c := range cfg.Connect {
		ep, _ := zmqx.ParseEndpoint(c)
		s.eps = append(s.eps, ep)
	}
	for _, t := range cfg.Topics {
		s.topics = append(s.topics, []byte(t))
	}
	for i := range s.shards {
		s.shards[i].cpu.Store(-1)
		s.shards[i].lag.Store(-1)
		s.shards[i].down.Store(true)
	}
	return s, nil
}

// Run connects every shard and processes frames until ctx ends (returns
// nil), the subscriber croaks (returns *CroakError), or, with ExitOnEOS,
// every shard has seen end-of-stream (returns nil).
func (s *Subscriber) Run(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	s.start = time.Now()
	var wg sync.WaitGroup
	for i := range s.eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runShard(ctx, i)
		}()
	}
	watched := make(chan struct{})
	if s.cfg.MaxDelay > 0 {
		go func() {
			defer close(watched)
			s.watchdog(ctx)
		}()
	} else {
		close(watched)
	}
	wg.Wait()
	s.cancel()
	<-watched // the watchdog is gone, and cannot croak, before the verdict is read
	if ce := s.croakErr.Load(); ce != nil {
		return ce
	}
	return nil
}

// croak squawks q and stops the subscriber. Only the first croak counts:
// two threads may find late data at the same moment, and the operator must
// see one croak, the same on stderr, on the alert endpoint and in the summary.
func (s *Subscriber) croak(q Squawk) {
	s.croakOnce.Do(func() {
		s.squawk(q)
		s.croakErr.Store(&CroakError{Squawk: q})
		s.cancel()
		if a, ok := s.sink.(Aborter); ok {
			a.Abort()
		}
	})
}

// watchdog covers what the per-frame check cannot see: a shard thread
// blocked handing records to slow workers reads nothing, so no record is
// ever found late, while the data queueing in its socket ages. A thread
// stuck in Deliver for longer than MaxDelay is therefore behind by at
// least that much.
func (s *Subscriber) watchdog(ctx context.Context) {
	every := min(max(s.cfg.MaxDelay/4, time.Millisecond), 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	lastWarn := make([]time.Time, len(s.shards))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(s.start) < s.cfg.Warmup {
			continue
		}
		now := time.Now().UnixNano()
		for i := range s.shards {
			st := &s.shards[i]
			if s.cfg.OnLate == LateCroak && st.silent.Load() {
				// Silent past the heartbeat timeout, and still silent past
				// the delay limit (longer than the timeout): stale is late.
				if quiet := time.Duration(now - st.active.Load()); quiet > s.cfg.MaxDelay {
					s.croak(Squawk{Kind: "silent", Name: s.cfg.Name, Shard: i, Endpoint: s.eps[i].Raw,
						Peer: "not connected", Seq: st.lastSeq.Load(), Delay: quiet, Limit: s.cfg.MaxDelay, Croak: true, Time: now})
					return
				}
			}
			since := st.delivering.Load()
			if since == 0 || now-since <= int64(s.cfg.MaxDelay) {
				continue
			}
			st.lastMu.Lock()
			topic := string(st.lastTopic[:st.lastLen])
			st.lastMu.Unlock()
			q := Squawk{Kind: "stalled", Name: s.cfg.Name, Shard: i, Topic: topic, Seq: st.lastSeq.Load(),
				Delay: time.Duration(now - since), Limit: s.cfg.MaxDelay, Croak: s.cfg.OnLate == LateCroak, Time: now}
			if !q.Croak {
				if time.Since(lastWarn[i]) >= time.Second {
					lastWarn[i] = time.Now()
					s.squawk(q)
				}
				continue
			}
			s.croak(q)
			return
		}
	}
}

func (s *Subscriber) squawk(q Squawk) {
	if s.cfg.OnSquawk != nil {
		s.cfg.OnSquawk(q)
	} else {
		s.cfg.Logf("%s", q)
	}
}

func (s *Subscriber) runShard(ctx context.Context, i int) {
	cpu := -1
	if len(s.cfg.CPUs) > 0 {
		cpu = s.cfg.CPUs[i%len(s.cfg.CPUs)]
		if err := tuning.Pin(cpu); err != nil {
			s.cfg.Logf("shard %d: %v (running unpinned)", i, err)
			cpu = -1
		}
	}
	// Pin locks the goroutine to its thread: a locked thread is not
	// reused by other goroutines (it carries our affinity mask), and Go
	// discards it when this goroutine returns. An unpinned shard thread is
	// an ordinary goroutine: parked in Go's poller it costs one wake-up.
	st := &s.shards[i]
	st.cpu.Store(int64(cpu))
	t := &shardThread{s: s, id: i, st: st, seqs: map[seqKey]*seqState{}, locked: len(s.cfg.CPUs) > 0}
	if eps := s.cfg.recoveryEndpoints(i); len(eps) > 0 {
		rc := newRecoverer(eps, s.cfg.Conn, s.cfg.RecoverTimeout, func() {
			st.rc.mu.Lock()
			st.rc.requests++
			st.rc.mu.Unlock()
		})
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		go rc.run(rctx)
		defer func() { stop(); <-rc.stopped }()
		t.rec = &recState{rc: rc, queues: map[seqKey][]*pitem{}, pend: map[uint64]*pitem{}}
		defer t.finishRecovery(ctx)
	}
	connected := false
	logf := func(f string, a ...any) { s.cfg.Logf("shard %d: "+f, append([]any{i}, a...)...) }
	policy := zmqx.Reconnect{Ivl: s.cfg.Retry, Max: s.cfg.RetryMax}
	if s.cfg.ExitOnEOS {
		policy.GiveUp = s.cfg.EOSWait
	}
	zmqx.RedialPolicy(ctx, s.eps[i], zmq4.Sub, s.cfg.Conn, policy, logf, func(peer *zmqx.Peer) bool {
		if connected {
			st.reconnects.Add(1)
		}
		connected = true
		return t.serve(ctx, peer)
	})
}

type shardThread struct {
	s    *Subscriber
	id   int
	st   *shardCounters
	seqs map[seqKey]*seqState
	rec  *recState // nil with recovery off
	// locked: the goroutine is locked to its (pinned) thread, which then
	// waits for data in the kernel (zmqx.Peer.ThreadReads).
	locked bool

	expect      map[uint32]bool // partitions whose EOS we wait for
	eosSeen     int
	lastWarn    time.Time
	warnBacklog int64

	// Per read, flushed to the atomics once: frames, bytes, and the
	// oldest age seen.
	nFrames, nBytes, maxAge int64
	// stalled is set by the liveness check before it closes a silent
	// connection, so the reader reports a stall, not a vaguer error.
	stalled atomic.Bool
}

// serve reads one connection until it fails or the thread is done; it
// returns true when the thread should exit.
//
// Everything one socket read brings is handled as one unit: the messages
// already in the read-ahead buffer (a pooled buffer the socket is read
// into) are decoded in place into one batch, and handed to the sink in one
// delivery, with the clock read once (nats-server flushes each receiver
// once per read loop for the same reason): at a fixed rate a publisher
// sends many small frames, and a delivery per frame is a wake-up and a
// channel send per frame.
func (t *shardThread) serve(ctx context.Context, peer *zmqx.Peer) bool {
	s, st := t.s, t.st
	var subs [][]byte
	if len(s.cfg.Partitions) == 0 {
		subs = append(subs, []byte("p"))
	}
	for _, p := range s.cfg.Partitions {
		subs = append(subs, feed.PartitionPrefix(nil, p))
	}
	for _, sub := range subs {
		if err := peer.Subscribe(sub); err != nil {
			peer.Close()
			s.cfg.Logf("shard %d: subscribe on %s: %v", t.id, s.eps[t.id].Raw, err)
			return false
		}
	}
	st.connected.Store(true)
	st.reached.Store(true)
	st.down.Store(false)
	s.cfg.Logf("shard %d: connected to %s", t.id, s.eps[t.id].Raw)
	defer st.connected.Store(false)
	t.stalled.Store(false)
	// From here on the liveness goroutine is the connection's only writer
	// (PINGs, PONGs); this thread only reads.
	done := make(chan struct{})
	var lwg sync.WaitGroup
	lwg.Add(1)
	go func() { defer lwg.Done(); t.liveness(ctx, peer, done) }()
	defer func() { close(done); lwg.Wait() }()
	switch {
	case t.locked:
		// Waiting in the kernel costs a locked thread one wake-up per
		// read, Go's poller two; the thread owns its core anyway.
		peer.ThreadReads(s.cfg.Idle.Spin, s.cfg.Idle.Yield)
	default:
		// Park (spin 0, yield 0) and the spinning strategies alike read
		// with raw non-blocking reads (zmqx.Peer.SpinReads).
		peer.SpinReads(s.cfg.Idle.Spin, s.cfg.Idle.Yield)
	}

	// The socket is read into pooled, reference-counted buffers, and the
	// records decoded from a frame alias the buffer it arrived in (no copy
	// out of the read-ahead): each batch holds a reference to it until the
	// batch is put back.
	peer.LendReads(readMem)
	defer peer.EndLending()
	var frames [][]byte
	fail := func(err error) bool {
		if ctx.Err() != nil {
			return true
		}
		st.down.Store(!t.ended())
		if t.stalled.Load() {
			s.cfg.Logf("shard %d: dropped the silent connection to %s (reconnecting)", t.id, s.eps[t.id].Raw)
		} else {
			s.cfg.Logf("shard %d: lost %s: %v (reconnecting)", t.id, s.eps[t.id].Raw, err)
		}
		return false
	}
	for {
		var cmd bool
		var err error
		frames, cmd, err = peer.RecvLent(frames[:0])
		if err != nil {
			return fail(err)
		}
		now := time.Now().UnixNano() // once per read
		st.active.Store(now)
		if cmd {
			if t.rec != nil && len(t.rec.pend) > 0 {
				b := feed.GetBatch()
				if t.pollRecovery(b, now) || t.deliver(b, now) {
					return true
				}
			}
			continue
		}
		st.silent.Store(false)
		b := feed.GetBatch()
		buf := peer.LentFrom().(*feed.Buffer)
		buf.Retain()
		b.Buf = buf // PutBatch(b) releases it
		exit := t.frame(frames, b, now)
		// The rest of this read: whole messages already buffered, which
		// are in the same buffer (receiving them reads nothing). Anything
		// else waits for the next read.
		for !exit {
			if _, ok := peer.MessageBuffered(); !ok {
				break
			}
			frames, cmd, err = peer.RecvLent(frames[:0])
			if err != nil {
				t.deliver(b, now)
				return fail(err)
			}
			if cmd {
				continue
			}
			if nb := peer.LentFrom().(*feed.Buffer); nb != buf {
				// Not expected (nothing was read), but a batch holds one buffer.
				if t.deliver(b, now) {
					return true
				}
				b, buf = feed.GetBatch(), nb
				buf.Retain()
				b.Buf = buf
			}
			exit = t.frame(frames, b, now)
		}
		if !exit && t.rec != nil && len(t.rec.pend) > 0 {
			exit = t.pollRecovery(b, now)
		}
		if t.deliver(b, now) || exit {
			return true
		}
	}
}

// readMem is the memory a shard thread reads its socket into.
func readMem(n int) zmqx.ReadMem { return feed.GetBuffer(n) }

// deliver hands one read's records to the sink (or recycles an empty
// batch) and flushes the read's counters; true means the subscriber croaked.
func (t *shardThread) deliver(b *feed.Batch, now int64) bool {
	s, st := t.s, t.st
	if t.nFrames > 0 {
		st.frames.Add(t.nFrames)
		st.bytes.Add(t.nBytes)
		if t.maxAge > st.maxDelay.Load() {
			st.maxDelay.Store(t.maxAge)
		}
		t.nFrames, t.nBytes, t.maxAge = 0, 0, 0
	}
	if len(b.Recs) == 0 || s.croakErr.Load() != nil {
		feed.PutBatch(b)
		return s.croakErr.Load() != nil
	}
	st.records.Add(int64(len(b.Recs)))
	last := &b.Recs[len(b.Recs)-1]
	st.lag.Store(now - last.SendTS - int64(s.cfg.ClockOffset))
	if s.cfg.Observe != nil {
		s.cfg.Observe(t.id, now, b.Recs)
	}
	st.lastSeq.Store(last.Seq) // for squawks from the other goroutines
	if s.cfg.MaxDelay > 0 {
		st.lastMu.Lock()
		st.lastLen = copy(st.lastTopic[:], last.Topic)
		st.lastMu.Unlock()
	}
	// The read's arrival: the watchdogs measure time spent in Deliver
	// from it (slow workers are back-pressure, not a silent feed).
	st.delivering.Store(now)
	s.sink.Deliver(t.id, b)
	st.delivering.Store(0)
	return s.croakErr.Load() != nil
}

// Stats returns the subscriber's counters.
func (s *Subscriber) Stats() SubStats {
	var out SubStats
	for i := range s.shards {
		st := &s.shards[i]
		ss := ShardSubStats{
			ID: i, Endpoint: s.eps[i].Raw, Records: st.records.Load(), Frames: st.frames.Load(), Bytes: st.bytes.Load(),
			Lost: st.lost.Load(), Gaps: st.gaps.Load(), Malformed: st.malformed.Load(), Reconnects: st.reconnects.Load(),
			LagNs: st.lag.Load(), CPU: int(st.cpu.Load()), Connected: st.connected.Load(), EOS: st.eos.Load(),
			BeforeJoin: st.joined.Load(), Stalls: st.stalls.Load(), Silent: st.silent.Load(),
			Disconnected: st.down.Load(), Reached: st.reached.Load(),
		}
		st.rc.addTo(&ss, &out)
		out.Shards = append(out.Shards, ss)
		out.Received += ss.Records
		out.Lost += ss.Lost
		out.Gaps += ss.Gaps
		out.Malformed += ss.Malformed
		out.Filtered += st.filtered.Load()
		out.Late += st.late.Load()
		out.Duplicates += st.dups.Load()
		out.Restarts += st.restarts.Load()
		out.JoinedLate += st.joined.Load()
		out.Published += st.published.Load()
		out.Stalls += ss.Stalls
		out.MaxDelayNs = max(out.MaxDelayNs, st.maxDelay.Load())
	}
	return out
}
