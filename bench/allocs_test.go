package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// pipelineAllocs pushes n records through the whole in-process pipeline
// (publisher → fan-out → PUB → subscriber thread → worker pool) in frames
// of at most frameSize bytes and returns the heap allocations (every
// goroutine's, from runtime.MemStats) per frame the publisher sent.
func pipelineAllocs(tb testing.TB, n int64, frameSize int) (float64, int64) {
	tb.Helper()
	recs := Records(4096, 100, 1)
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Heartbeat: -1, Lossless: true, FrameSize: frameSize})
	if err != nil {
		tb.Fatal(err)
	}
	defer pub.Close()
	counter := &countSink{want: n, done: make(chan struct{})}
	pool, err := workers.NewPool(workers.PoolConfig{Workers: 1, NewHandler: func(int) workers.Handler {
		return workers.HandlerFunc(func(recs []feed.Record) { counter.add(int64(len(recs))) })
	}})
	if err != nil {
		tb.Fatal(err)
	}
	defer pool.Close()
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints()}, pool)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go sub.Run(ctx)
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		tb.Fatal(err)
	}
	// Warm the pools and buffers first, so the figure is the steady state.
	if err := pub.Run(ctx, &loopSource{recs: recs, left: 20000, chunk: 64}); err != nil {
		tb.Fatal(err)
	}
	for counter.n.Load() < 20000 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	counter.n.Store(0)
	frames0 := pub.Stats().Frames
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if err := pub.Run(ctx, &loopSource{recs: recs, left: n, chunk: 64}); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-counter.done:
	case <-ctx.Done():
		tb.Fatalf("%d of %d records arrived", counter.n.Load(), n)
	}
	runtime.ReadMemStats(&m1)
	frames := pub.Stats().Frames - frames0
	return float64(m1.Mallocs-m0.Mallocs) / float64(max(frames, 1)), frames
}

// maxAllocsPerFrame pins the end-to-end allocations per frame (publish →
// fan-out → subscriber thread → pool) at what was measured when it was
// set (2026-12-02: 4.00 per frame of 5 records in six runs, 4.05 at 64
// KiB frames; 4.5–5.2 and 4.8 when first pinned), with room for the
// runtime's own background allocations. A change that allocates more per
// frame fails here; one that allocates less should lower it.
const maxAllocsPerFrame = 5.0

func TestPipelineAllocsPerFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole pipeline")
	}
	if raceOn {
		t.Skip("the race detector allocates for itself")
	}
	per, frames := pipelineAllocs(t, 200000, 600) // 5 records a frame, as a paced feed sends them
	t.Logf("%.2f allocations per frame over %d frames", per, frames)
	if frames < 1000 {
		t.Fatalf("only %d frames: the frame size cap was not applied", frames)
	}
	if per > maxAllocsPerFrame {
		t.Fatalf("%.2f allocations per frame end to end, pinned at ≤ %.1f: something on the per-frame path allocates more", per, maxAllocsPerFrame)
	}
}

// BenchmarkPipelineAllocs reports allocations per frame end to end at
// small (paced-feed) and large (max-rate) frames.
//
//	go test -run XXX -bench PipelineAllocs ./bench
func BenchmarkPipelineAllocs(b *testing.B) {
	for _, fs := range []int{600, 64 << 10} {
		b.Run(fmt.Sprintf("frame-%dB", fs), func(b *testing.B) {
			var per float64
			for i := 0; i < b.N; i++ {
				per, _ = pipelineAllocs(b, 200000, fs)
			}
			b.ReportMetric(per, "allocs/frame")
			b.ReportMetric(0, "ns/op")
		})
	}
}
