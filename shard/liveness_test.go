package shard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/go-zeromq/zmq4"
)

// fakePub is a PUB endpoint the test scripts frame by frame: each
// connection gets script(conn number, peer) and is then held open, silent,
// until the test ends (a publisher whose link died without a reset).
type fakePub struct {
	ln    *zmqx.Listener
	conns atomic.Int64
	quit  chan struct{}
	wg    sync.WaitGroup
}

func newFakePub(t *testing.T, script func(n int, p *zmqx.Peer)) *fakePub {
	t.Helper()
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePub{ln: ln, quit: make(chan struct{})}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		ln.Serve(zmq4.Pub, func(p *zmqx.Peer) {
			n := int(f.conns.Add(1))
			if _, err := p.RecvMsg(); err != nil { // the subscription
				p.Close()
				return
			}
			script(n, p)
			<-f.quit // say nothing more, answer nothing (no PONG)
			p.Close()
		})
	}()
	t.Cleanup(func() { close(f.quit); ln.Close(); f.wg.Wait() })
	return f
}

// sendFrame sends records first..first+count-1 (count 0: a heartbeat
// announcing first) of partition 0 from publisher 7, epoch 1.
func sendFrame(t *testing.T, p *zmqx.Peer, first uint64, count int) {
	var enc feed.Encoder
	h := feed.Header{Shards: 1, Partitions: 1, Publisher: 7, Epoch: 1, FirstSeq: first}
	if count == 0 {
		h.Flags = feed.FlagHeartbeat
	}
	enc.Reset(nil, h)
	for i := 0; i < count; i++ {
		enc.Append(&feed.Record{Topic: []byte("AAPL"), Payload: []byte("x"), SendTS: time.Now().UnixNano()})
	}
	frame := append([]byte(nil), enc.Finish()...)
	if err := p.Send(feed.PartitionPrefix(nil, 0), frame); err != nil {
		t.Errorf("fake publisher: %v", err)
	}
}

// squawks collects squawks by kind.
type squawks struct {
	mu sync.Mutex
	qs []Squawk
}

func (s *squawks) add(q Squawk) { s.mu.Lock(); s.qs = append(s.qs, q); s.mu.Unlock() }
func (s *squawks) of(kind string) []Squawk {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Squawk
	for _, q := range s.qs {
		if q.Kind == kind {
			out = append(out, q)
		}
	}
	return out
}

// TestSilentPublisherStallsAndGapOnReconnect: a publisher that sends ten
// records and then nothing (no heartbeat, no PONG) is found silent within
// the heartbeat timeout, named, counted and redialled; on the new
// connection it announces seq 21, and the ten records it published in the
// silence are reported as exactly that gap.
func TestSilentPublisherStallsAndGapOnReconnect(t *testing.T) {
	f := newFakePub(t, func(n int, p *zmqx.Peer) {
		if n == 1 {
			sendFrame(t, p, 1, 10)
		} else if n == 2 {
			sendFrame(t, p, 21, 0)
		}
	})
	var sq squawks
	sink := &collect{seen: map[[2]uint64]int{}}
	sub, err := NewSubscriber(SubConfig{Connect: []string{f.ln.Endpoint()}, HeartbeatTimeout: 200 * time.Millisecond,
		Retry: 10 * time.Millisecond, OnSquawk: sq.add, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	waitFor(t, "the gap after the reconnect", func() bool { return len(sq.of("gap")) > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := sub.Stats()
	silent := sq.of("silent")
	if st.Stalls < 1 || len(silent) < 1 {
		t.Fatalf("stalls %d, silent squawks %v", st.Stalls, silent)
	}
	q := silent[0]
	if q.Peer == "" || q.Endpoint != f.ln.Endpoint() || q.Croak || q.Delay < 200*time.Millisecond || q.Seq != 10 {
		t.Fatalf("silent squawk %+v: want the peer, the endpoint, no croak, at least the timeout, last seq 10", q)
	}
	g := sq.of("gap")[0]
	if g.Expected != 11 || g.Seq != 21 || g.Missing != 10 || st.Lost != 10 || st.Gaps != 1 {
		t.Fatalf("gap %+v, lost %d gaps %d: want seq 11..20 missing", g, st.Lost, st.Gaps)
	}
	if sink.n != 10 || st.Shards[0].Reconnects < 1 {
		t.Fatalf("received %d, reconnects %d", sink.n, st.Shards[0].Reconnects)
	}
}

// TestSilentFeedCroaksWithMaxDelay: stale data is late data.
func TestSilentFeedCroaksWithMaxDelay(t *testing.T) {
	f := newFakePub(t, func(n int, p *zmqx.Peer) { sendFrame(t, p, 1, 3) })
	sub, err := NewSubscriber(SubConfig{Connect: []string{f.ln.Endpoint()}, HeartbeatTimeout: 150 * time.Millisecond,
		MaxDelay: 50 * time.Millisecond, Logf: t.Logf}, &collect{seen: map[[2]uint64]int{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = sub.Run(ctx)
	var ce *CroakError
	if !errors.As(err, &ce) || ce.Squawk.Kind != "silent" || !ce.Squawk.Croak {
		t.Fatalf("Run: %v, want a croak for a silent feed", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the croak came only at the test's deadline")
	}
	if st := sub.Stats(); st.Stalls != 1 || !st.Shards[0].Silent {
		t.Fatalf("stats %+v", st)
	}
}

// TestLongSilenceCroaksPastMaxDelay: with a delay limit longer than the
// heartbeat timeout, the stall first reconnects, and the croak comes when
// the silence (across reconnects) passes the limit.
func TestLongSilenceCroaksPastMaxDelay(t *testing.T) {
	f := newFakePub(t, func(n int, p *zmqx.Peer) {
		if n == 1 {
			sendFrame(t, p, 1, 3)
		}
	})
	var sq squawks
	sub, err := NewSubscriber(SubConfig{Connect: []string{f.ln.Endpoint()}, HeartbeatTimeout: 100 * time.Millisecond,
		MaxDelay: 400 * time.Millisecond, Retry: 10 * time.Millisecond, OnSquawk: sq.add, Logf: t.Logf}, &collect{seen: map[[2]uint64]int{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = sub.Run(ctx)
	var ce *CroakError
	if !errors.As(err, &ce) || ce.Squawk.Kind != "silent" || ce.Squawk.Delay <= 400*time.Millisecond || ctx.Err() != nil {
		t.Fatalf("Run: %v, want a croak once silent past 400ms", err)
	}
	if st := sub.Stats(); st.Stalls < 1 || f.conns.Load() < 2 {
		t.Fatalf("stalls %d, connections %d: want a stall and a reconnect before the croak", st.Stalls, f.conns.Load())
	}
	for _, q := range sq.of("silent") {
		if !q.Croak && q.Delay > 400*time.Millisecond {
			t.Fatalf("a silence past the limit only warned: %v", q)
		}
	}
}

// TestQuietPublisherAnswersPings: a bbox publisher with heartbeats off
// and nothing to publish stays alive through the subscriber's PINGs.
func TestQuietPublisherAnswersPings(t *testing.T) {
	var sq squawks
	_, sub, done, ctx := startPair(t, 1, PubConfig{Heartbeat: -1},
		SubConfig{HeartbeatTimeout: 500 * time.Millisecond, OnSquawk: sq.add}, &collect{seen: map[[2]uint64]int{}})
	// The timeout leaves a PONG ~330ms to come back: with 150ms a loaded
	// box under -race missed it about once in 20 runs.
	select {
	case <-time.After(2500 * time.Millisecond): // five timeouts of silence but for PONGs
	case <-ctx.Done():
	}
	if st := sub.Stats(); st.Stalls != 0 || len(sq.of("silent")) != 0 {
		t.Fatalf("a publisher answering PINGs was declared silent: %+v", sq.of("silent"))
	}
	_ = done
}

// TestOneDeliveryPerRead: frames that queue up while the sink is busy
// reach it a read at a time, many frames per delivery, in order, whole.
func TestOneDeliveryPerRead(t *testing.T) {
	var deliveries atomic.Int64
	gate := make(chan struct{})
	var once sync.Once
	sink := &countingSink{collect: collect{seen: map[[2]uint64]int{}}, onDeliver: func() {
		deliveries.Add(1)
		once.Do(func() { <-gate })
	}}
	pub, sub, done, ctx := startPair(t, 1, PubConfig{Partitions: 4, Lossless: true, FrameSize: 2048}, SubConfig{ExitOnEOS: true}, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 5, Records: 20000})
	pubDone := make(chan error, 1)
	var ran atomic.Bool
	go func() { err := pub.Run(ctx, gen); ran.Store(true); pubDone <- err }()
	// Let frames queue behind the blocked sink: a fifth of the stream (or
	// all of it) published while the subscriber cannot read.
	waitFor(t, "frames to queue behind the blocked sink", func() bool { return ran.Load() || pub.Stats().Frames >= 200 })
	close(gate)
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := sub.Stats()
	if sink.n != 20000 || st.Lost != 0 {
		t.Fatalf("received %d of 20000, lost %d", sink.n, st.Lost)
	}
	for k, n := range sink.seen {
		if n != 1 {
			t.Fatalf("record %v received %d times", k, n)
		}
	}
	if d := deliveries.Load(); d*2 > st.Shards[0].Frames {
		t.Fatalf("%d deliveries for %d frames: want several frames per read", d, st.Shards[0].Frames)
	}
	t.Logf("%d frames in %d deliveries", st.Shards[0].Frames, deliveries.Load())
}

type countingSink struct {
	collect
	onDeliver func()
}

func (c *countingSink) Deliver(shard int, b *feed.Batch) {
	c.onDeliver()
	c.collect.Deliver(shard, b)
}

// TestOnePartitionSplits: a mixed batch reaches the wrapped sink as runs
// of one origin, sharing the buffer, none lost.
func TestOnePartitionSplits(t *testing.T) {
	var got [][]uint32
	sink := OnePartition(sinkFunc(func(_ int, b *feed.Batch) {
		var parts []uint32
		for _, r := range b.Recs {
			parts = append(parts, r.Partition)
		}
		got = append(got, parts)
		feed.PutBatch(b)
	}))
	buf := feed.GetBuffer(10)
	b := feed.GetBatch()
	b.Buf = buf
	for _, p := range []uint32{1, 1, 2, 2, 2, 1, 3} {
		b.Recs = append(b.Recs, feed.Record{Partition: p})
	}
	sink.Deliver(0, b)
	want := [][]uint32{{1, 1}, {2, 2, 2}, {1}, {3}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) || got[i][0] != want[i][0] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	one := feed.GetBatch()
	one.Recs = append(one.Recs, feed.Record{Partition: 4}, feed.Record{Partition: 4})
	got = nil
	sink.Deliver(0, one)
	if len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("one-origin batch: %v", got)
	}
}

func TestParseIdle(t *testing.T) {
	for in, want := range map[string]IdleStrategy{"spin": IdleSpin, "yield": IdleYield, "park": IdlePark, "": IdlePark} {
		if got, err := ParseIdle(in); err != nil || got != want {
			t.Errorf("ParseIdle(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseIdle("busy"); err == nil {
		t.Error("ParseIdle(busy) accepted")
	}
}

// TestSpinIdleDelivers: with the spin strategy a pinned-thread subscriber
// still gets every record, and still exits on end-of-stream.
func TestSpinIdleDelivers(t *testing.T) {
	sink := &collect{seen: map[[2]uint64]int{}}
	pub, sub, done, ctx := startPair(t, 1, PubConfig{}, SubConfig{ExitOnEOS: true, Idle: IdleStrategy{Spin: 100, Yield: 10}}, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 6, Records: 50000, Rate: 200000})
	publishAll(t, ctx, pub, done, gen)
	if st := sub.Stats(); sink.n != 50000 || st.Lost != 0 {
		t.Fatalf("received %d of 50000, lost %d", sink.n, st.Lost)
	}
}

// TestPinnedThreadDelivers: a pinned shard thread (which waits for data
// in the kernel, not in Go's poller) gets every record of a paced feed
// with quiet spells longer than its kernel wait, stays connected through
// them (PINGs and PONGs go both ways), and exits on end-of-stream.
func TestPinnedThreadDelivers(t *testing.T) {
	for _, idle := range []IdleStrategy{IdlePark, {Spin: 100, Yield: 10}} {
		sink := &collect{seen: map[[2]uint64]int{}}
		pub, sub, done, ctx := startPair(t, 1, PubConfig{Heartbeat: -1},
			SubConfig{ExitOnEOS: true, CPUs: []int{tuning.Online()[0]}, Idle: idle, HeartbeatTimeout: time.Second}, sink)
		for i := 0; i < 3; i++ {
			gen, _ := feed.NewGenerator(feed.GenConfig{Seed: uint64(7 + i), Records: 20000, Rate: 200000})
			if err := pub.Run(ctx, gen); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * threadPollForTest) // nothing to read for a while
		}
		pub.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := sub.Stats(); sink.n != 60000 || st.Lost != 0 || st.Stalls != 0 || st.Shards[0].CPU != tuning.Online()[0] {
			t.Fatalf("idle %+v: received %d of 60000, lost %d, stalls %d, cpu %d", idle, sink.n, st.Lost, st.Stalls, st.Shards[0].CPU)
		}
	}
}

// threadPollForTest is longer than zmqx's bound on one kernel wait.
const threadPollForTest = 50 * time.Millisecond

// vanishingPub is a publisher that sends records 1..5 on its first
// connection, then, once gone is called, closes its listener and that
// connection with no end-of-stream: no redial can succeed after.
func vanishingPub(t *testing.T) (f *fakePub, sent <-chan struct{}, gone func()) {
	s, closed := make(chan struct{}), make(chan struct{})
	f = newFakePub(t, func(n int, p *zmqx.Peer) {
		if n == 1 {
			sendFrame(t, p, 1, 5)
			close(s)
			<-closed
		}
		p.Close()
	})
	return f, s, func() { f.ln.Close(); close(closed) }
}

// TestPublisherGoneIsDisconnected: a publisher that drops the connection
// without an end-of-stream leaves the shard disconnected in the stats
// (what it published after is unknown); one that ends its stream does not.
func TestPublisherGoneIsDisconnected(t *testing.T) {
	f, sent, gone := vanishingPub(t)
	sink := &collect{seen: map[[2]uint64]int{}}
	sub, err := NewSubscriber(SubConfig{Connect: []string{f.ln.Endpoint()}, Retry: 10 * time.Millisecond, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st := sub.Stats(); !st.Shards[0].Disconnected || st.Shards[0].Reached {
		t.Fatalf("before Run: %+v, want disconnected, never reached", st.Shards[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	<-sent
	gone()
	waitFor(t, "the shard to be down", func() bool {
		st := sub.Stats().Shards[0]
		return st.Reached && st.Records == 5 && st.Disconnected
	})
	cancel()
	<-done
	if st := sub.Stats().Shards[0]; !st.Disconnected || !st.Reached || st.Records != 5 {
		t.Fatalf("after: %+v", st)
	}

	// A publisher that ends its stream and goes: not disconnected, even
	// for a subscriber that stays on after end-of-stream.
	pub, sub2, done2, ctx2 := startPair(t, 1, PubConfig{}, SubConfig{Retry: 10 * time.Millisecond}, &collect{seen: map[[2]uint64]int{}})
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 7, Records: 1000})
	if err := pub.Run(ctx2, gen); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	waitFor(t, "the publisher's connection to close", func() bool { return !sub2.Stats().Shards[0].Connected })
	time.Sleep(50 * time.Millisecond) // a few failed redials
	if st := sub2.Stats().Shards[0]; st.Disconnected || st.Records != 1000 {
		t.Fatalf("after end-of-stream: %+v", st)
	}
	_ = done2
}

// TestExitOnEOSGivesUpOnAGonePublisher: with ExitOnEOS, a publisher that
// hangs up before its end-of-stream and stays away ends Run after
// EOSWait, the shard down (its end unknown); EOSWait 0 keeps waiting.
func TestExitOnEOSGivesUpOnAGonePublisher(t *testing.T) {
	for _, wait := range []time.Duration{200 * time.Millisecond, 0} {
		f, sent, gone := vanishingPub(t)
		sub, err := NewSubscriber(SubConfig{Connect: []string{f.ln.Endpoint()}, ExitOnEOS: true, EOSWait: wait,
			Retry: 10 * time.Millisecond, Logf: t.Logf}, &collect{seen: map[[2]uint64]int{}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if wait == 0 {
			ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		}
		done := make(chan error, 1)
		go func() { done <- sub.Run(ctx) }()
		<-sent
		gone()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		gaveUp := ctx.Err() == nil
		cancel()
		if gaveUp != (wait > 0) {
			t.Fatalf("EOS wait %v: Run returned before its deadline %v, want %v", wait, gaveUp, wait > 0)
		}
		if st := sub.Stats().Shards[0]; !st.Disconnected || !st.Reached || st.Records != 5 || st.EOS {
			t.Fatalf("EOS wait %v: %+v, want 5 records, reached, down, no end-of-stream", wait, st)
		}
	}
	if (SubConfig{Connect: []string{"tcp://127.0.0.1:1"}, EOSWait: -1}).Validate() == nil {
		t.Fatal("Validate accepts a negative EOS wait")
	}
}

// TestHeartbeatTimeoutBounds: a positive timeout under the minimum would
// make every quiet feed a stall; negative (off) and the minimum are fine.
func TestHeartbeatTimeoutBounds(t *testing.T) {
	for d, ok := range map[time.Duration]bool{time.Nanosecond: false, MinHeartbeatTimeout - 1: false,
		MinHeartbeatTimeout: true, -1: true, 0: true} {
		err := (SubConfig{Connect: []string{"tcp://127.0.0.1:1"}, HeartbeatTimeout: d}).Validate()
		if (err == nil) != ok {
			t.Errorf("heartbeat timeout %v: Validate says %v, want ok %v", d, err, ok)
		}
	}
}
