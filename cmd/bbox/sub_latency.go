package main

import (
	"flag"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/cli"
)

// latencyFlags are bbox sub's --latency-* flags: the subscriber writes its
// latency histograms to a file, which is how `bbox bench --mode process`
// (or a user's own tooling) reads the latency of a real subscriber process.
type latencyFlags struct{ bench.SubLatencyConfig }

func (l *latencyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.Path, "latency-out", "", "write to FILE the subscriber threads' latency as an HdrHistogram interval log: one histogram per --latency-interval, then the whole run's, tagged total (after --latency-warmup) and warmup")
	fs.Func("latency-from", "what --latency-out measures latency from: send (the publisher's send stamp, the default) or schedule (each record's source time; for bbox pub --source gen --rate R that is its scheduled send time, so a publisher behind its schedule cannot hide latency)", l.From.Set)
	fs.Func("latency-warmup", "keep the latencies of the first D of the stream (from the first record's stamp) apart, in --latency-out's warmup histogram (default 0)",
		cli.DurationAtLeast(0, &l.Warmup))
	l.Interval = time.Second
	fs.Func("latency-interval", "length D of one interval histogram in --latency-out (default 1s)", cli.DurationAtLeast(10*time.Millisecond, &l.Interval))
}
