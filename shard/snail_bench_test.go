package shard

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// BenchmarkSlowSubscriber measures the publisher's rate while a slow
// subscriber is connected and after it has gone, in the same run (issue 3:
// they must differ by less than 10%). B counts records; A spends 2ms per
// record and is kept alive (warn policy) so its effect lasts the window.
//
//	go test -run XXX -bench SlowSubscriber ./shard
func BenchmarkSlowSubscriber(b *testing.B) {
	for _, rate := range []float64{200000, 0} {
		name := "rate=200k"
		if rate == 0 {
			name = "rate=max"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				alive, after := slowSubscriberRun(b, rate, 2*time.Second)
				b.ReportMetric(alive, "rps_with_slow_sub")
				b.ReportMetric(after, "rps_after")
				b.ReportMetric(after/alive, "after/with")
				fmt.Printf("%s: publisher %.0f records/s with the slow subscriber, %.0f after it left (ratio %.3f)\n", name, alive, after, after/alive)
			}
		})
	}
}

func slowSubscriberRun(b *testing.B, rate float64, window time.Duration) (alive, after float64) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	fast := sinkFunc(func(_ int, bt *feed.Batch) { feed.PutBatch(bt) })
	slow := sinkFunc(func(_ int, bt *feed.Batch) {
		time.Sleep(2 * time.Millisecond * time.Duration(len(bt.Recs)))
		feed.PutBatch(bt)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slowCtx, slowGone := context.WithCancel(ctx)
	defer slowGone()
	for _, s := range []struct {
		sink Sink
		ctx  context.Context
	}{{fast, ctx}, {slow, slowCtx}} {
		sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), MaxDelay: 50 * time.Millisecond, OnLate: LateWarn}, s.sink)
		if err != nil {
			b.Fatal(err)
		}
		go sub.Run(s.ctx)
	}
	if err := pub.WaitSubscribers(ctx, 2); err != nil {
		b.Fatal(err)
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Rate: rate})
	go pub.Run(ctx, gen)
	measure := func() float64 {
		n0, t0 := pub.Stats().Records, time.Now()
		time.Sleep(window)
		return float64(pub.Stats().Records-n0) / time.Since(t0).Seconds()
	}
	time.Sleep(500 * time.Millisecond) // start-up
	alive = measure()
	slowGone()
	time.Sleep(500 * time.Millisecond) // let the publisher notice
	after = measure()
	return alive, after
}
