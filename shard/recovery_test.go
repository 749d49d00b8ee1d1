package shard

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// ordered is a Sink that checks every partition's records arrive in
// sequence order, each once.
type ordered struct {
	mu       sync.Mutex
	last     map[uint32]uint64
	first    map[uint32]uint64
	n        int
	disorder []string // any sequence but the next one
	back     []string // a sequence at or below one handed over before
}

func newOrdered() *ordered {
	return &ordered{last: map[uint32]uint64{}, first: map[uint32]uint64{}}
}

func (o *ordered) Deliver(shard int, b *feed.Batch) {
	o.mu.Lock()
	for _, r := range b.Recs {
		if l, ok := o.last[r.Partition]; ok && r.Seq != l+1 && len(o.disorder) < 10 {
			o.disorder = append(o.disorder, fmt.Sprintf("partition %d: seq %d after %d", r.Partition, r.Seq, l))
		}
		if l, ok := o.last[r.Partition]; ok && r.Seq <= l && len(o.back) < 10 {
			o.back = append(o.back, fmt.Sprintf("partition %d: seq %d after %d", r.Partition, r.Seq, l))
		}
		if _, ok := o.first[r.Partition]; !ok {
			o.first[r.Partition] = r.Seq
		}
		o.last[r.Partition] = r.Seq
		o.n++
	}
	o.mu.Unlock()
	feed.PutBatch(b)
}

// recoveryPair starts a publisher and a recovering subscriber on it
// (RecoverWindow unless cfg says otherwise).
func recoveryPair(t *testing.T, shards int, pcfg PubConfig, cfg SubConfig, sink Sink) (*Publisher, *Subscriber, chan error, context.Context) {
	t.Helper()
	// A loaded box may leave the subscriber behind at the end; it must
	// still get the end-of-stream (which a cut connection would lose).
	pcfg.Drain = 20 * time.Second
	if cfg.Recover == RecoverOff {
		cfg.Recover = RecoverWindow
	}
	return pairOn(t, shards, pcfg, cfg, sink, 60*time.Second, func(pub *Publisher, c *SubConfig) { c.RecoveryConnect = pub.RecoveryEndpoints() })
}

// TestRecoveryFillsGaps: frames lost on the way (every 40th data frame)
// are recovered from the publisher's window and handed over in sequence
// order with the live records behind them, each exactly once.
func TestRecoveryFillsGaps(t *testing.T) {
	var n atomic.Int64
	cfg := SubConfig{ExitOnEOS: true, dropFrame: func(shard int, h *feed.Header) bool {
		return h.Count > 0 && n.Add(1)%40 == 0
	}}
	sink := newOrdered()
	const total = 300000
	pub, sub, done, ctx := recoveryPair(t, 2, PubConfig{Partitions: 8}, cfg, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 5, Records: total})
	publishAll(t, ctx, pub, done, gen)
	st := sub.Stats()
	t.Logf("received %d recovered %d requests %d unrecoverable %d gaps %d lost %d", st.Received, st.Recovered, st.RecoveryRequests, st.Unrecoverable, st.Gaps, st.Lost)
	if sink.n != total || st.Received != total || st.Lost != 0 || st.Unrecoverable != 0 {
		t.Fatalf("received %d (sink %d) of %d, lost %d, unrecoverable %d", st.Received, sink.n, total, st.Lost, st.Unrecoverable)
	}
	if st.Gaps == 0 || st.Recovered == 0 || st.RecoveryRequests == 0 {
		t.Fatalf("gaps %d recovered %d requests %d: the test dropped nothing?", st.Gaps, st.Recovered, st.RecoveryRequests)
	}
	if len(sink.disorder) > 0 {
		t.Fatalf("out of order: %v", sink.disorder)
	}
	if ps := pub.Stats(); ps.Window == nil || len(ps.Recovery) != 2 || ps.Recovery[0].Records+ps.Recovery[1].Records < st.Recovered {
		t.Fatalf("publisher's recovery stats %+v %+v", ps.Window, ps.Recovery)
	}
}

// TestRecoveryLateJoinUnrecoverable: a subscriber joining late with
// JoinFrom 1 gets what the (small) window still holds and is told exactly
// which ranges are gone, per partition; nothing is invented.
func TestRecoveryLateJoinUnrecoverable(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 2, Rewind: 1 << 20, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const before, after = 200000, 50000
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 7, Records: before})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	// What the window holds now, per partition, is what can be recovered.
	avail := map[uint32]uint64{}
	for p := uint32(0); p < 2; p++ {
		first, _ := pub.win.span(p)
		avail[p] = first
		if first <= 1 {
			t.Fatalf("partition %d: window starts at %d: too large for the test", p, first)
		}
	}
	sink := newOrdered()
	sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), RecoveryConnect: pub.RecoveryEndpoints(), Recover: RecoverWindow,
		JoinFrom: 1, ExitOnEOS: true, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The heartbeats tell the subscriber where each partition is; its
	// recoveries must end before more records move the window on.
	for sub.Stats().Recoveries < 2 {
		if ctx.Err() != nil {
			t.Fatal("recoveries did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	gen2, _ := feed.NewGenerator(feed.GenConfig{Seed: 8, Records: after})
	publishAll(t, ctx, pub, done, gen2)
	st := sub.Stats()
	t.Logf("received %d recovered %d unrecoverable %d ranges %+v", st.Received, st.Recovered, st.Unrecoverable, st.UnrecoverableRanges)
	var want int64
	for p, first := range avail {
		want += int64(first - 1)
		found := false
		for _, u := range st.UnrecoverableRanges {
			if u.Partition == p && u.First == 1 && u.Last == first-1 && u.Records == int64(first-1) {
				found = true
			}
		}
		if !found {
			t.Errorf("partition %d: no unrecoverable range 1..%d in %+v", p, first-1, st.UnrecoverableRanges)
		}
		if sink.first[p] != first {
			t.Errorf("partition %d: first record handed over is seq %d, want %d (the window's oldest)", p, sink.first[p], first)
		}
	}
	if st.Unrecoverable != want || st.Lost != want || len(st.UnrecoverableRanges) != 2 {
		t.Fatalf("unrecoverable %d lost %d in %d ranges, want %d in 2", st.Unrecoverable, st.Lost, len(st.UnrecoverableRanges), want)
	}
	if int64(sink.n) != before+after-want || st.Received != int64(sink.n) || st.JoinedLate != 0 {
		t.Fatalf("received %d (sink %d), before join %d: want %d, 0", st.Received, sink.n, st.JoinedLate, before+after-want)
	}
	if len(sink.disorder) > 0 {
		t.Fatalf("out of order: %v", sink.disorder)
	}
}

// TestRecoveryHostileClients: garbage, huge ranges and a flood of
// requests whose replies are never read are bounded and counted, and a
// live subscriber meanwhile gets every record.
func TestRecoveryHostileClients(t *testing.T) {
	sink := newOrdered()
	const total = 400000
	pub, sub, done, ctx := recoveryPair(t, 1, PubConfig{Partitions: 4, RecoveryLimits: RecoveryLimits{WriteTimeout: 500 * time.Millisecond}},
		SubConfig{ExitOnEOS: true}, sink)
	rep := pub.RecoveryEndpoints()[0]
	ep, _ := zmqx.ParseEndpoint(rep)
	hctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var sent atomic.Int64
	for h := 0; h < 3; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for hctx.Err() == nil {
				p, err := zmqx.Dial(hctx, ep, zmq4.Dealer, zmqx.Options{})
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				for i := 0; hctx.Err() == nil && i < 2000; i++ {
					var msg []byte
					switch i % 3 {
					case 0:
						msg = []byte("garbage, not a request")
					case 1: // the largest range there is, of every partition
						msg = AppendRecoveryRequest(nil, &RecoveryRequest{ID: uint64(i), Publisher: pub.ID(), Epoch: pub.Epoch(),
							Partition: uint32(i % 4), From: 1, Count: ^uint32(0)})
					default: // another publisher
						msg = AppendRecoveryRequest(nil, &RecoveryRequest{ID: uint64(i), Publisher: 1, Epoch: 2, From: 1, Count: 10})
					}
					if p.Send(msg) != nil {
						break
					}
					sent.Add(1)
					time.Sleep(time.Millisecond) // about 1,000 requests/s each, replies never read
				}
				p.Close()
			}
		}()
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 9, Records: total, Rate: 200000})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	rs := pub.Stats().Recovery[0]
	pub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := sub.Stats()
	t.Logf("hostile requests sent %d; server %+v; live sub received %d lost %d gaps %d", sent.Load(), rs, st.Received, st.Lost, st.Gaps)
	if st.Received != total || st.Lost != 0 || st.Gaps != 0 || sink.n != total || len(sink.disorder) > 0 {
		t.Fatalf("live subscriber: received %d of %d, lost %d, gaps %d, disorder %v", st.Received, total, st.Lost, st.Gaps, sink.disorder)
	}
	if rs.Bad == 0 || rs.Unknown == 0 || rs.Requests == 0 || rs.Busy+rs.Capped+rs.PeersCut == 0 {
		t.Fatalf("the hostile requests were not bounded and counted: %+v", rs)
	}
}

// TestRecoveryStaleCroaks: recovered records keep their send time, so a
// subscriber with MaxDelay that recovers records older than the limit
// croaks instead of handing stale data over.
func TestRecoveryStaleCroaks(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 2, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 7, Records: 10000})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // what the window holds is now older than the limit
	sink := newOrdered()
	sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), RecoveryConnect: pub.RecoveryEndpoints(), Recover: RecoverWindow,
		JoinFrom: 1, MaxDelay: 100 * time.Millisecond, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	err = sub.Run(ctx)
	ce, ok := err.(*CroakError)
	if !ok || ce.Squawk.Kind != "late" {
		t.Fatalf("Run: %v, want a croak for late (recovered) records", err)
	}
	if sink.n != 0 {
		t.Fatalf("%d stale records were handed over", sink.n)
	}
}

// TestRecoveryHoldLimit: live records held behind a recovery are bounded;
// past the bound the recovery is given up (its range counted lost, named
// with the reason) and recovery pauses, and still every record is either
// handed over once, in order, or counted lost.
func TestRecoveryHoldLimit(t *testing.T) {
	var n atomic.Int64
	cfg := SubConfig{ExitOnEOS: true, MaxHold: 1, dropFrame: func(shard int, h *feed.Header) bool {
		return h.Count > 0 && n.Add(1)%50 == 0
	}}
	sink := newOrdered()
	const total = 200000
	pub, sub, done, ctx := recoveryPair(t, 1, PubConfig{Partitions: 4}, cfg, sink)
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 5, Records: total})
	publishAll(t, ctx, pub, done, gen)
	st := sub.Stats()
	t.Logf("received %d recovered %d lost %d unrecoverable %d ranges %d", st.Received, st.Recovered, st.Lost, st.Unrecoverable, len(st.UnrecoverableRanges))
	if st.Received+st.Lost != total || int64(sink.n) != st.Received || st.Lost == 0 {
		t.Fatalf("received %d + lost %d != %d (sink %d)", st.Received, st.Lost, total, sink.n)
	}
	if len(st.UnrecoverableRanges) == 0 || !strings.Contains(st.UnrecoverableRanges[0].Reason, "hold limit") {
		t.Fatalf("ranges %+v: want the hold limit named", st.UnrecoverableRanges)
	}
	if len(sink.back) > 0 {
		t.Fatalf("out of order or twice: %v", sink.back)
	}
}
