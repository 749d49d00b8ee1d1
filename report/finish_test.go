package report

import (
	"context"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

// runLoop runs n records through a pipeline in this process, its
// subscriber threads observing latency into the recorder it returns.
func runLoop(t *testing.T, n int64) (*pipeline.Loop, *bench.Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec := bench.NewRecorder(1, bench.FromSend)
	loop, err := pipeline.Start(ctx, pipeline.LoopConfig{Pub: shard.PubConfig{Lossless: true},
		Receiver: pipeline.ReceiverConfig{Sub: shard.SubConfig{ExitOnEOS: true, Observe: rec.Observe}, Pool: workers.PoolConfig{Workers: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loop.Close)
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 20, Seed: 3, Records: n})
	if err != nil {
		t.Fatal(err)
	}
	res, err := loop.Run(ctx, g, 0)
	if err != nil || res.SubErr != nil {
		t.Fatalf("run: %v, receiver: %v", err, res.SubErr)
	}
	return loop, rec
}

// Finish completes a subscriber's summary (the publisher elsewhere) and
// an in-process one (the publisher's exact count; FinishLoop) alike: seconds,
// throughput over the sending time, the box's warnings first and the
// capped-buffer warning last, the verdict judged.
func TestFinish(t *testing.T) {
	const n = 5000
	loop, rec := runLoop(t, n)
	rx := loop.Receiver()

	s := Finish("sub", rx, Measured{Latency: rec, Elapsed: 2 * time.Second, Interrupted: true, Warnings: []string{"box"}, Capped: "capped"})
	if s.Command != "sub" || s.RecordsReceived != n || s.Seconds != 2 || s.ThroughputRPS != n/2 || !s.Interrupted || s.Verdict == "" {
		t.Fatalf("sub summary %+v", s)
	}
	if len(s.Warnings) != 2 || s.Warnings[0] != "box" || s.Warnings[1] != "capped" {
		t.Fatalf("warnings %q", s.Warnings)
	}
	if s.LatencyUS != bench.Summarize(rec.Merged()) || s.LatencyUS.Max == 0 {
		t.Fatalf("latency %+v, want the recorder's", s.LatencyUS)
	}
	if s.PubLoss != nil || s.RecordsPublished == n && s.In.PublishedExact {
		t.Fatalf("a subscriber's summary took a publisher's count: %+v", s.In)
	}

	ps := loop.Publisher().Stats()
	d := Finish("demo", rx, Measured{Latency: rec, Elapsed: 4 * time.Second, Sending: time.Second, Pub: &ps})
	if d.RecordsPublished != n || d.PubLoss == nil || d.Seconds != 4 || d.ThroughputRPS != n || d.Interrupted || d.Warnings != nil {
		t.Fatalf("demo summary %+v", d)
	}
	if d.Verdict != verdict.ExactlyOnce {
		t.Fatalf("demo verdict %s: %s", d.Verdict, d.VerdictDetail)
	}
	l := FinishLoop("demo", loop, pipeline.Result{Sending: time.Second, Elapsed: 4 * time.Second, Interrupted: true}, Measured{Latency: rec})
	if l.RecordsPublished != n || l.PubLoss == nil || l.Seconds != 4 || l.ThroughputRPS != n || !l.Interrupted {
		t.Fatalf("loop summary %+v", l)
	}
	if e := Finish("sub", rx, Measured{Elapsed: time.Second}); e.LatencyUS != (bench.Percentiles{}) {
		t.Fatalf("no recorder, latency %+v", e.LatencyUS)
	}
}

func TestDemoBanner(t *testing.T) {
	f := func(g feed.GenConfig, d time.Duration, shards, workers int, want string) {
		t.Helper()
		if got := DemoBanner(g, d, shards, workers); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
	f(feed.GenConfig{Symbols: 1000, Size: 100, Rate: 20000}, 300*time.Millisecond, 2, 2,
		"bbox demo: synthetic feed (1,000 symbols, ~100-byte records) at 20.0k/s for 300ms → 2 shards → 2 subscriber threads → 2 workers")
	f(feed.GenConfig{Symbols: 1, Size: 64}, 5*time.Second, 1, 1,
		"bbox demo: synthetic feed (1 symbol, ~64-byte records) at max for 5s → 1 shard → 1 subscriber thread → 1 worker")
}
