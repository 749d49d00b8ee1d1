package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
)

// Measured is what a receiving command measured of its run, besides what
// its Receiver counted.
type Measured struct {
	// Latency is the recorder the subscriber threads observed into; nil
	// leaves the summary's latency empty.
	Latency *bench.Recorder
	// Elapsed is how long the run took: the summary's seconds.
	Elapsed time.Duration
	// Sending, if set, is the time throughput is measured over (an
	// in-process run's publishing, without the drain); 0 means Elapsed.
	Sending time.Duration
	// Interrupted: a signal, not the run's own end (its duration, the
	// stream's end), stopped the run.
	Interrupted bool
	// Pub, if set, is the publisher's count when it ran in this process
	// (bbox demo): the summary takes its exact numbers (InProcess).
	Pub *shard.PubStats
	// Warnings come first among the summary's (the box's: its core plan);
	// Capped, if set, comes last: the caller's words for the sockets
	// whose buffers the kernel capped (they name its settings).
	Warnings []string
	Capped   string
}

// Finish is the judged summary of a receiving run (bbox sub, bbox demo):
// Received, completed with what m says and only the command knows.
func Finish(cmd string, rx *pipeline.Receiver, m Measured) Summary {
	var lat bench.Percentiles
	if m.Latency != nil {
		lat = bench.Summarize(m.Latency.Merged())
	}
	s := Received(cmd, rx, lat)
	s.Warnings = slices.Concat(m.Warnings, s.Warnings)
	if m.Pub != nil {
		s.InProcess(m.Pub, m.Interrupted)
	} else {
		s.In.Interrupted = m.Interrupted
		s.Judge()
	}
	if m.Capped != "" {
		s.Warnings = append(s.Warnings, m.Capped)
	}
	over := m.Sending
	if over == 0 {
		over = m.Elapsed
	}
	s.Seconds = m.Elapsed.Seconds()
	s.ThroughputRPS = float64(s.RecordsReceived) / over.Seconds()
	return s
}

// DemoBanner is bbox demo's first line: the synthetic feed g (its
// symbols, record size and rate; 0 is full speed) for d through shards
// shards, one subscriber thread each, to workers workers.
func DemoBanner(g feed.GenConfig, d time.Duration, shards, workers int) string {
	rate := "max"
	if g.Rate > 0 {
		rate = words.RateFixed(g.Rate) + "/s"
	}
	return fmt.Sprintf("bbox demo: synthetic feed (%s, ~%d-byte records) at %s for %v → %s → %s → %s",
		words.Count(g.Symbols, "symbol", "symbols"), g.Size, rate, d, words.Count(shards, "shard", "shards"),
		words.Count(shards, "subscriber thread", "subscriber threads"), words.Count(workers, "worker", "workers"))
}

// FinishLoop is Finish for a run of loop that went as res (bbox demo):
// the publisher's exact counts, throughput over the sending time, the
// run's own elapsed time and interruption.
func FinishLoop(cmd string, loop *pipeline.Loop, res pipeline.Result, m Measured) Summary {
	ps := loop.Publisher().Stats()
	m.Elapsed, m.Sending, m.Interrupted, m.Pub = res.Elapsed, res.Sending, res.Interrupted, &ps
	return Finish(cmd, loop.Receiver(), m)
}
