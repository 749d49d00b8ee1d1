package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/bench"
)

// latencyFlags are bbox sub's --latency-* flags: the subscriber writes its
// latency histograms to a file, which is how `bbox bench --mode process`
// (or a user's own tooling) reads the latency of a real subscriber process.
type latencyFlags struct {
	out      string
	from     bench.Stamp
	warmup   time.Duration
	interval time.Duration
}

func (l *latencyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.out, "latency-out", "", "write to FILE the subscriber threads' latency as an HdrHistogram interval log: one histogram per --latency-interval, then the whole run's, tagged total (after --latency-warmup) and warmup")
	fs.Func("latency-from", "what --latency-out measures latency from: send (the publisher's send stamp, the default) or schedule (each record's source time; for bbox pub --source gen --rate R that is its scheduled send time, so a publisher behind its schedule cannot hide latency)", func(s string) error {
		switch s {
		case "send":
			l.from = bench.FromSend
		case "schedule":
			l.from = bench.FromSource
		default:
			return errors.New("want send or schedule")
		}
		return nil
	})
	fs.Func("latency-warmup", "keep the latencies of the first D of the stream (from the first record's stamp) apart, in --latency-out's warmup histogram (default 0)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return errors.New("want a duration ≥ 0 such as 1s")
		}
		l.warmup = d
		return nil
	})
	l.interval = time.Second
	fs.Func("latency-interval", "length D of one interval histogram in --latency-out (default 1s)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 10*time.Millisecond {
			return errors.New("want a duration of at least 10ms")
		}
		l.interval = d
		return nil
	})
}

// latencyOut is an open --latency-out; the zero value (no flag) does nothing.
type latencyOut struct {
	rec *bench.Recorder
	log *bench.LatencyLog
}

// open starts the log for n subscriber threads; without --latency-out it
// returns an inert latencyOut.
func (l *latencyFlags) open(n int) (*latencyOut, error) {
	if l.out == "" {
		return &latencyOut{}, nil
	}
	rec := bench.NewRecorder(n, l.from)
	rec.SetWarmup(l.warmup)
	lg, err := bench.CreateLatencyLog(l.out, rec, l.interval, fmt.Sprintf("bbox sub latency_from=%s warmup=%v; values in ns", l.from, l.warmup))
	if err != nil {
		return nil, fmt.Errorf("--latency-out: %w", err)
	}
	return &latencyOut{rec: rec, log: lg}, nil
}

// recorder is the recorder the subscriber threads use (nil: their default).
func (o *latencyOut) recorder() *bench.Recorder { return o.rec }

// close writes the whole run's histograms and closes the file.
func (o *latencyOut) close() error {
	if o.log == nil {
		return nil
	}
	err := o.log.Close()
	o.log = nil
	return err
}
