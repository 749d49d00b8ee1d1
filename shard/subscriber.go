package shard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
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
	// GapCroak makes a gap of more than MaxGap records croak. false only
	// counts and reports gaps.
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
	// Retry is the first reconnect delay; it doubles up to 2s. 0 means 100ms.
	Retry time.Duration
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
	// DropFrame is a test hook: frames for which it returns true are
	// discarded as if lost on the network.
	DropFrame func(shard int, h *feed.Header) bool
}

// Squawk describes a late record or a gap.
type Squawk struct {
	Kind      string        `json:"kind"` // "late", "gap" or "stalled"
	Name      string        `json:"subscriber"`
	Shard     int           `json:"shard"`
	Publisher uint64        `json:"publisher"`
	Partition uint32        `json:"partition"`
	Topic     string        `json:"topic,omitempty"`
	Seq       uint64        `json:"seq"`
	Expected  uint64        `json:"expected,omitempty"` // gaps: the sequence we wanted
	Missing   uint64        `json:"missing,omitempty"`  // gaps: how many records
	Delay     time.Duration `json:"delay_ns,omitempty"`
	Limit     time.Duration `json:"limit_ns,omitempty"`
	Croak     bool          `json:"croak"`
	Time      int64         `json:"time_ns"`
}

func (q Squawk) String() string {
	verb := "warning"
	if q.Croak {
		verb = "CROAK"
	}
	if q.Kind == "stalled" {
		return fmt.Sprintf("%s: %s shard %d: workers have not taken a batch for %v, limit %v: what waits in the socket is older than that (last record handed over: %s seq %d)",
			verb, q.Name, q.Shard, q.Delay.Round(time.Millisecond), q.Limit, q.Topic, q.Seq)
	}
	if q.Kind == "gap" {
		return fmt.Sprintf("%s: %s shard %d: gap from publisher %x partition %d: expected seq %d, got %d (%d missing)",
			verb, q.Name, q.Shard, q.Publisher, q.Partition, q.Expected, q.Seq, q.Missing)
	}
	return fmt.Sprintf("%s: %s shard %d: record %s seq %d (partition %d) is %v old, limit %v",
		verb, q.Name, q.Shard, q.Topic, q.Seq, q.Partition, q.Delay.Round(time.Microsecond), q.Limit)
}

// CroakError is returned by Run when the subscriber croaked.
type CroakError struct{ Squawk Squawk }

func (e *CroakError) Error() string { return strings.TrimPrefix(e.Squawk.String(), "CROAK: ") }

func (c SubConfig) withDefaults() SubConfig {
	if c.Retry == 0 {
		c.Retry = 100 * time.Millisecond
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
	if c.MaxDelay < 0 || c.Warmup < 0 {
		return errors.New("max delay and warmup must not be negative")
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
	connected, eos                                atomic.Bool
	// delivering is when the thread started handing a batch to the sink
	// (ns), 0 when it is not; the watchdog reads it.
	delivering atomic.Int64
	lastSeq    atomic.Uint64
	// The last record handed over, for the watchdog's squawk: copied, not
	// aliased (its buffer is recycled) and not a string (no allocation per frame).
	lastMu    sync.Mutex
	lastTopic [feed.MaxTopicLen]byte
	lastLen   int
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
	if s.cfg.MaxDelay > 0 {
		go s.watchdog(ctx)
	}
	wg.Wait()
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
	} else {
		runtime.LockOSThread()
	}
	// A locked thread is not reused by other goroutines: it carries our
	// affinity mask, and Go discards it when this goroutine returns.
	st := &s.shards[i]
	st.cpu.Store(int64(cpu))
	t := &shardThread{s: s, id: i, st: st, seqs: map[seqKey]*seqState{}}
	connected := false
	logf := func(f string, a ...any) { s.cfg.Logf("shard %d: "+f, append([]any{i}, a...)...) }
	zmqx.Redial(ctx, s.eps[i], zmq4.Sub, s.cfg.Conn, s.cfg.Retry, logf, func(peer *zmqx.Peer) bool {
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

	expect      map[uint32]bool // partitions whose EOS we wait for
	eosSeen     int
	lastWarn    time.Time
	warnBacklog int64
}

// serve reads one connection until it fails or the thread is done; it
// returns true when the thread should exit.
func (t *shardThread) serve(ctx context.Context, peer *zmqx.Peer) bool {
	s := t.s
	var subs [][]byte
	if len(s.cfg.Partitions) == 0 {
		subs = append(subs, []byte("p"))
	}
	for _, p := range s.cfg.Partitions {
		subs = append(subs, feed.PartitionPrefix(nil, p))
	}
	for _, sub := range subs {
		if err := peer.SendMsg(zmq4.NewMsg(append([]byte{1}, sub...))); err != nil {
			peer.Close()
			s.cfg.Logf("shard %d: subscribe on %s: %v", t.id, s.eps[t.id].Raw, err)
			return false
		}
	}
	t.st.connected.Store(true)
	s.cfg.Logf("shard %d: connected to %s", t.id, s.eps[t.id].Raw)
	defer t.st.connected.Store(false)
	// The batch frame goes into a pooled, reference-counted buffer that
	// the decoded records alias until the last batch holding them is put
	// back; the prefix into scratch space.
	var frames [][]byte
	var buf *feed.Buffer
	var scratch [64]byte
	alloc := func(i, n int) []byte {
		switch {
		case i == 1 && buf == nil:
			buf = feed.GetBuffer(n)
			return buf.B
		case n <= len(scratch) && i == 0:
			return scratch[:n]
		}
		return make([]byte, n)
	}
	for {
		var err error
		buf = nil
		frames, err = peer.RecvFrames(frames[:0], alloc)
		if err != nil {
			if buf != nil {
				buf.Release()
			}
			if ctx.Err() != nil {
				return true
			}
			s.cfg.Logf("shard %d: lost %s: %v (reconnecting)", t.id, s.eps[t.id].Raw, err)
			return false
		}
		if err := peer.ServicePings(); err != nil {
			if buf != nil {
				buf.Release()
			}
			return false
		}
		if t.frame(frames, buf) {
			return true
		}
	}
}

// frame handles one message whose second frame is in buf (released with
// the batch); it returns true when the thread should exit.
func (t *shardThread) frame(frames [][]byte, buf *feed.Buffer) bool {
	s, st := t.s, t.st
	b := feed.GetBatch()
	b.Buf = buf // every PutBatch(b) below releases it
	if len(frames) != 2 {
		feed.PutBatch(b)
		return t.malformed(fmt.Errorf("message of %d frames, want [prefix][batch]", len(frames)))
	}
	part, ok := feed.ParsePrefix(frames[0])
	if !ok {
		feed.PutBatch(b)
		return t.malformed(fmt.Errorf("bad prefix frame %q", frames[0]))
	}
	recs, h, err := feed.DecodeFrame(frames[1], b.Recs[:0])
	b.Recs = recs
	if err == nil && h.Partition != part {
		err = fmt.Errorf("prefix says partition %d, header says %d", part, h.Partition)
	}
	if err != nil {
		feed.PutBatch(b)
		return t.malformed(err)
	}
	if s.cfg.DropFrame != nil && s.cfg.DropFrame(t.id, &h) {
		feed.PutBatch(b)
		return false
	}
	now := time.Now().UnixNano()
	st.frames.Add(1)
	st.bytes.Add(int64(len(frames[1])))

	// Sequences: per (publisher, partition), so topic filtering and
	// partial subscriptions never look like gaps.
	k := seqKey{h.Publisher, h.Partition}
	q := t.seqs[k]
	switch {
	case q == nil || h.Epoch > q.epoch:
		if q != nil {
			st.restarts.Add(1)
			s.cfg.Logf("shard %d: publisher %x restarted (epoch %d → %d): sequences start over", t.id, h.Publisher, q.epoch, h.Epoch)
			if q.eos {
				t.eosSeen--
			}
		}
		if h.FirstSeq > 1 {
			st.joined.Add(int64(h.FirstSeq - 1))
		}
		q = &seqState{epoch: h.Epoch, next: h.FirstSeq}
		t.seqs[k] = q
		st.published.Add(int64(h.FirstSeq - 1))
	case h.Epoch < q.epoch:
		// A frame from a previous incarnation, still in flight: stale.
		feed.PutBatch(b)
		return false
	}
	if h.FirstSeq > q.next {
		missing := h.FirstSeq - q.next
		st.gaps.Add(1)
		st.lost.Add(int64(missing))
		sq := Squawk{Kind: "gap", Name: s.cfg.Name, Shard: t.id, Publisher: h.Publisher, Partition: h.Partition,
			Seq: h.FirstSeq, Expected: q.next, Missing: missing, Time: now,
			Croak: s.cfg.GapCroak && missing > s.cfg.MaxGap}
		if sq.Croak {
			feed.PutBatch(b)
			s.croak(sq)
			return true
		}
		s.squawk(sq)
	} else if h.FirstSeq < q.next && len(b.Recs) > 0 {
		// Overlap (should not happen on PUB/SUB): keep only the new records.
		skip := min(q.next-h.FirstSeq, uint64(len(b.Recs)))
		st.dups.Add(int64(skip))
		b.Recs = b.Recs[:copy(b.Recs, b.Recs[skip:])]
	}
	end := h.FirstSeq + uint64(h.Count)
	if end > q.next {
		st.published.Add(int64(end - q.next))
		q.next = end
	}
	if h.Flags&feed.FlagEOS != 0 && !q.eos {
		q.eos = true
		if t.eosDone(&h) {
			feed.PutBatch(b)
			return true
		}
	}
	if len(b.Recs) == 0 {
		feed.PutBatch(b)
		return false
	}

	// The snail: the clock was read once for the frame; records in a frame
	// are in send order, so the first is the oldest.
	st.lag.Store(now - b.Recs[len(b.Recs)-1].SendTS - int64(s.cfg.ClockOffset))
	if age := now - b.Recs[0].SendTS - int64(s.cfg.ClockOffset); age > st.maxDelay.Load() {
		st.maxDelay.Store(age)
	}
	if s.cfg.MaxDelay > 0 && time.Since(s.start) >= s.cfg.Warmup {
		if t.checkLate(b, now) {
			feed.PutBatch(b)
			return true
		}
	}

	if len(s.topics) > 0 {
		keep := b.Recs[:0]
		for _, r := range b.Recs {
			for _, p := range s.topics {
				if bytes.HasPrefix(r.Topic, p) {
					keep = append(keep, r)
					break
				}
			}
		}
		st.filtered.Add(int64(len(b.Recs) - len(keep)))
		clear(b.Recs[len(keep):])
		b.Recs = keep
	}
	if len(b.Recs) == 0 {
		feed.PutBatch(b)
		return false
	}
	st.records.Add(int64(len(b.Recs)))
	if s.cfg.Observe != nil {
		s.cfg.Observe(t.id, now, b.Recs)
	}
	if s.cfg.MaxDelay > 0 {
		last := &b.Recs[len(b.Recs)-1]
		st.lastMu.Lock()
		st.lastLen = copy(st.lastTopic[:], last.Topic)
		st.lastMu.Unlock()
		st.lastSeq.Store(last.Seq)
		st.delivering.Store(now) // the frame's arrival: one clock read per frame
		s.sink.Deliver(t.id, b)
		st.delivering.Store(0)
	} else {
		s.sink.Deliver(t.id, b)
	}
	return s.croakErr.Load() != nil
}

// checkLate applies MaxDelay to every record; true means croak.
func (t *shardThread) checkLate(b *feed.Batch, now int64) bool {
	s := t.s
	limit := int64(s.cfg.MaxDelay)
	off := int64(s.cfg.ClockOffset)
	for i := range b.Recs {
		r := &b.Recs[i]
		age := now - r.SendTS - off
		if age <= limit {
			continue
		}
		t.st.late.Add(1)
		sq := Squawk{Kind: "late", Name: s.cfg.Name, Shard: t.id, Publisher: r.Publisher, Partition: r.Partition,
			Topic: string(r.Topic), Seq: r.Seq, Delay: time.Duration(age), Limit: s.cfg.MaxDelay,
			Croak: s.cfg.OnLate == LateCroak, Time: now}
		if sq.Croak {
			s.croak(sq)
			return true
		}
		// Warn: one line per second at most, with how many were late since.
		t.warnBacklog++
		if time.Since(t.lastWarn) >= time.Second {
			if s.cfg.OnSquawk != nil {
				s.cfg.OnSquawk(sq)
			} else {
				s.cfg.Logf("%s (%d late records since the last warning)", sq, t.warnBacklog)
			}
			t.lastWarn, t.warnBacklog = time.Now(), 0
		}
	}
	return false
}

// eosDone records an end-of-stream and reports whether, with ExitOnEOS,
// every partition this thread expects has ended.
func (t *shardThread) eosDone(h *feed.Header) bool {
	t.eosSeen++
	if !t.s.cfg.ExitOnEOS {
		return false
	}
	if t.expect == nil {
		t.expect = map[uint32]bool{}
		want := map[uint32]bool{}
		for _, p := range t.s.cfg.Partitions {
			want[p] = true
		}
		for p := uint32(h.Shard); p < h.Partitions; p += uint32(max(h.Shards, 1)) {
			if len(want) == 0 || want[p] {
				t.expect[p] = true
			}
		}
	}
	for p := range t.expect {
		q := t.seqs[seqKey{h.Publisher, p}]
		if q == nil || !q.eos {
			return false
		}
	}
	t.st.eos.Store(true)
	return true
}

func (t *shardThread) malformed(err error) bool {
	n := t.st.malformed.Add(1)
	if n <= 10 || n%1000 == 0 {
		t.s.cfg.Logf("shard %d: dropped malformed message #%d from %s: %v", t.id, n, t.s.eps[t.id].Raw, err)
	}
	return false
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
		}
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
		out.MaxDelayNs = max(out.MaxDelayNs, st.maxDelay.Load())
	}
	return out
}
