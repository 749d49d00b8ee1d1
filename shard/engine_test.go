package shard

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// collect is a Sink that records (partition, seq) pairs.
type collect struct {
	mu   sync.Mutex
	seen map[[2]uint64]int
	n    int
}

func (c *collect) Deliver(shard int, b *feed.Batch) {
	c.mu.Lock()
	for _, r := range b.Recs {
		c.seen[[2]uint64{uint64(r.Partition), r.Seq}]++
		c.n++
	}
	c.mu.Unlock()
	feed.PutBatch(b)
}

func TestPubSubLoopback(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	sink := &collect{seen: map[[2]uint64]int{}}
	sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), ExitOnEOS: true, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 200000})
	publishAll(t, ctx, pub, done, gen)
	st := sub.Stats()
	t.Logf("pub %+v", pub.Stats().Shards)
	t.Logf("sub %+v", st)
	if sink.n != 200000 || st.Lost != 0 || st.Gaps != 0 {
		t.Fatalf("received %d of 200000, lost %d, gaps %d", sink.n, st.Lost, st.Gaps)
	}
	for k, n := range sink.seen {
		if n != 1 {
			t.Fatalf("record %v received %d times", k, n)
		}
	}
}

// startPair starts a publisher on shards loopback endpoints and a subscriber
// with cfg (Connect is filled in); it returns them and the sub's result.
func startPair(t *testing.T, shards int, pcfg PubConfig, cfg SubConfig, sink Sink) (*Publisher, *Subscriber, chan error, context.Context) {
	t.Helper()
	return pairOn(t, shards, pcfg, cfg, sink, 30*time.Second, nil)
}

// publishAll publishes src on pub to its end, closes pub and waits for
// the subscriber's Run (done) to end without error.
func publishAll(t *testing.T, ctx context.Context, pub *Publisher, done <-chan error, src feed.Source) {
	t.Helper()
	if err := pub.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// pairOn is startPair with the test's bound and wire, which fills in
// more of the subscriber's config from the publisher (its recovery
// endpoints) before the subscriber is made.
func pairOn(t *testing.T, shards int, pcfg PubConfig, cfg SubConfig, sink Sink, bound time.Duration, wire func(*Publisher, *SubConfig)) (*Publisher, *Subscriber, chan error, context.Context) {
	t.Helper()
	for i := 0; i < shards; i++ {
		pcfg.Binds = append(pcfg.Binds, "tcp://127.0.0.1:0")
	}
	pcfg.Logf = t.Logf
	pub, err := NewPublisher(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	cfg.Connect = pub.Endpoints()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	if wire != nil {
		wire(pub, &cfg)
	}
	sub, err := NewSubscriber(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return pub, sub, done, ctx
}

// TestGapDetectedUnderTopicFilter: a subscriber keeping about a quarter of
// the topics still sees every sequence number of its partitions, so a
// dropped frame is a gap even when it held none of its topics.
func TestGapDetectedUnderTopicFilter(t *testing.T) {
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 3, Records: 100000, Symbols: 1000})
	// A quarter of the alphabet: symbols starting with A-F (about 6/26).
	topics := []string{"A", "B", "C", "D", "E", "F", "G"}
	var dropped struct {
		sync.Mutex
		part, first uint64
		count       uint32
		done        bool
	}
	var squawks []Squawk
	var mu sync.Mutex
	cfg := SubConfig{ExitOnEOS: true, Topics: topics,
		dropFrame: func(shard int, h *feed.Header) bool {
			dropped.Lock()
			defer dropped.Unlock()
			// Drop the 50th data frame of partition 2.
			if dropped.done || h.Partition != 2 || h.Count == 0 || h.FirstSeq < 200 {
				return false
			}
			dropped.done, dropped.part, dropped.first, dropped.count = true, uint64(h.Partition), h.FirstSeq, h.Count
			return true
		},
		OnSquawk: func(q Squawk) { mu.Lock(); squawks = append(squawks, q); mu.Unlock() },
	}
	sink := &collect{seen: map[[2]uint64]int{}}
	pub, sub, done, ctx := startPair(t, 2, PubConfig{Partitions: 8}, cfg, sink)
	publishAll(t, ctx, pub, done, gen)
	st := sub.Stats()
	if !dropped.done {
		t.Fatal("the hook dropped nothing")
	}
	if st.Gaps != 1 || st.Lost != int64(dropped.count) {
		t.Fatalf("gaps %d, lost %d; want 1 gap of %d records", st.Gaps, st.Lost, dropped.count)
	}
	if len(squawks) != 1 || squawks[0].Kind != "gap" || uint64(squawks[0].Partition) != dropped.part ||
		squawks[0].Expected != dropped.first || squawks[0].Missing != uint64(dropped.count) {
		t.Fatalf("squawks %+v, want one gap at partition %d expected %d missing %d", squawks, dropped.part, dropped.first, dropped.count)
	}
	if st.Filtered == 0 || st.Received == 0 || st.Filtered < 2*st.Received {
		t.Fatalf("filter kept %d and dropped %d: not about a quarter", st.Received, st.Filtered)
	}
}

// TestRestartIsNotAGap: a publisher restarted with the same id and
// endpoints starts a new epoch; the subscriber starts over without a gap.
func TestRestartIsNotAGap(t *testing.T) {
	sink := &collect{seen: map[[2]uint64]int{}}
	pub, sub, done, ctx := startPair(t, 1, PubConfig{ID: 42, Partitions: 2}, SubConfig{Retry: 10 * time.Millisecond}, sink)
	ep := pub.Endpoints()[0]
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 5000})
	pub.Run(ctx, gen)
	pub.Close()
	pub2, err := NewPublisher(PubConfig{ID: 42, Partitions: 2, Binds: []string{ep}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub2.Close()
	if err := pub2.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gen2, _ := feed.NewGenerator(feed.GenConfig{Seed: 2, Records: 5000})
	pub2.Run(ctx, gen2)
	pub2.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for sub.Stats().Received < 10000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := sub.Stats()
	if st.Received != 10000 || st.Gaps != 0 || st.Lost != 0 || st.Restarts == 0 {
		t.Fatalf("received %d, gaps %d, lost %d, restarts %d; want 10000, 0, 0, >0", st.Received, st.Gaps, st.Lost, st.Restarts)
	}
	select {
	case err := <-done:
		t.Fatalf("subscriber stopped: %v", err)
	default:
	}
}

// TestLateWarn: with OnLate warn a slow sink makes records late; they are
// counted and squawked (rate-limited) and the subscriber carries on.
func TestLateWarn(t *testing.T) {
	slow := sinkFunc(func(shard int, b *feed.Batch) {
		time.Sleep(time.Millisecond)
		feed.PutBatch(b)
	})
	var squawks atomic.Int64
	cfg := SubConfig{MaxDelay: time.Millisecond, OnLate: LateWarn, ExitOnEOS: true,
		OnSquawk: func(q Squawk) {
			if q.Croak {
				t.Errorf("warn policy croaked: %v", q)
			}
			squawks.Add(1)
		}}
	pub, sub, done, ctx := startPair(t, 1, PubConfig{}, cfg, slow)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 5000, Rate: 50000})
	pub.Run(ctx, gen)
	pub.Close()
	if err := <-done; err != nil {
		t.Fatalf("warn policy ended with %v", err)
	}
	st := sub.Stats()
	if st.Received != 5000 || st.Late == 0 || squawks.Load() == 0 {
		t.Fatalf("received %d, late %d, squawks %d; want all, some, some", st.Received, st.Late, squawks.Load())
	}
}

// TestStalledCroak: a shard thread blocked handing records to a sink that
// takes nothing reads nothing, so no record is ever found late; the
// watchdog croaks it anyway, and the sink's Abort unblocks it.
func TestStalledCroak(t *testing.T) {
	sink := &blockSink{release: make(chan struct{})}
	pub, _, done, ctx := startPair(t, 1, PubConfig{}, SubConfig{MaxDelay: 50 * time.Millisecond}, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Rate: 20000})
	go pub.Run(ctx, gen)
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no croak from a subscriber whose sink never returns")
	}
	var ce *CroakError
	if !errors.As(err, &ce) || ce.Squawk.Kind != "stalled" || !ce.Squawk.Croak {
		t.Fatalf("err %v, want a stalled croak", err)
	}
	if !sink.aborted.Load() {
		t.Fatal("the sink was not aborted")
	}
}

type blockSink struct {
	release chan struct{}
	aborted atomic.Bool
	once    sync.Once
}

func (s *blockSink) Deliver(_ int, b *feed.Batch) {
	<-s.release
	feed.PutBatch(b)
}

func (s *blockSink) Abort() {
	s.aborted.Store(true)
	s.once.Do(func() { close(s.release) })
}

type sinkFunc func(int, *feed.Batch)

func (f sinkFunc) Deliver(shard int, b *feed.Batch) { f(shard, b) }

// TestLosslessWaitsForSlowSubscriber: with Lossless the publisher waits at
// the HWM instead of dropping, so a slow subscriber gets every record.
func TestLosslessWaitsForSlowSubscriber(t *testing.T) {
	var n atomic.Int64
	slow := sinkFunc(func(_ int, b *feed.Batch) {
		time.Sleep(200 * time.Microsecond)
		n.Add(int64(len(b.Recs)))
		feed.PutBatch(b)
	})
	pub, sub, done, ctx := startPair(t, 1, PubConfig{Lossless: true, HWM: 128 << 10}, SubConfig{ExitOnEOS: true}, slow)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 200000})
	publishAll(t, ctx, pub, done, gen)
	st, ps := sub.Stats(), pub.Stats()
	if n.Load() != 200000 || st.Gaps != 0 || ps.DroppedRecords != 0 {
		t.Fatalf("received %d of 200000, gaps %d, dropped %d", n.Load(), st.Gaps, ps.DroppedRecords)
	}
	if ps.Conns[0].BlockedMs == 0 {
		t.Fatalf("the publisher never waited: the test did not exercise the HWM (%+v)", ps.Conns[0])
	}
}

// TestMaxGapCroaks: with GapCroak, a gap larger than MaxGap croaks and
// names publisher, partition, expected and received sequence.
func TestMaxGapCroaks(t *testing.T) {
	var once sync.Once
	drop := func(shard int, h *feed.Header) bool {
		hit := false
		if h.Count > 5 && h.FirstSeq > 100 {
			once.Do(func() { hit = true })
		}
		return hit
	}
	sink := &collect{seen: map[[2]uint64]int{}}
	pub, _, done, ctx := startPair(t, 1, PubConfig{}, SubConfig{GapCroak: true, MaxGap: 5, dropFrame: drop}, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 100000})
	go pub.Run(ctx, gen)
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no croak on a gap over --max-gap")
	}
	var ce *CroakError
	if !errors.As(err, &ce) || ce.Squawk.Kind != "gap" || ce.Squawk.Missing <= 5 || ce.Squawk.Seq != ce.Squawk.Expected+ce.Squawk.Missing {
		t.Fatalf("err %v, want a gap croak of more than 5 records", err)
	}
	if !strings.Contains(err.Error(), "expected seq") || !strings.Contains(err.Error(), "partition") {
		t.Fatalf("croak reason %q does not name partition and sequences", err)
	}
}

// TestEOSPassesTheHWM: a subscriber so slow that its queue is at the
// high-water mark when the publisher closes still gets the end-of-stream,
// so the records dropped at the tail are a counted gap and the stream's
// end is known, not an end-of-stream dropped with them and a subscriber
// waiting for it.
func TestEOSPassesTheHWM(t *testing.T) {
	gate := make(chan struct{})
	var n atomic.Int64
	slow := sinkFunc(func(_ int, b *feed.Batch) {
		<-gate
		n.Add(int64(len(b.Recs)))
		feed.PutBatch(b)
	})
	const total = 200000
	pub, sub, done, ctx := startPair(t, 1, PubConfig{HWM: 64 << 10, Rewind: -1, WriteTimeout: 20 * time.Second, Drain: 20 * time.Second},
		SubConfig{ExitOnEOS: true}, slow)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: total})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { pub.Close(); close(closed) }()
	time.Sleep(100 * time.Millisecond) // Close has queued the end-of-stream behind a full queue
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-closed
	st, ps := sub.Stats(), pub.Stats()
	if ps.DroppedRecords == 0 {
		t.Fatalf("nothing dropped at the HWM: the test did not fill the queue (%+v)", ps.Conns)
	}
	// A partition whose first frames were all dropped shows them as
	// missed before its join: counted too, never as received.
	missed := st.Lost + st.JoinedLate
	if !st.Shards[0].EOS || st.Shards[0].Disconnected || n.Load()+missed != total || missed != ps.DroppedRecords {
		t.Fatalf("end-of-stream %v, down %v, received %d + lost %d + before join %d of %d, publisher dropped %d: want the end seen and every drop counted",
			st.Shards[0].EOS, st.Shards[0].Disconnected, n.Load(), st.Lost, st.JoinedLate, total, ps.DroppedRecords)
	}
}
