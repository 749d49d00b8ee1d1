package bench

import (
	"errors"
	"fmt"
	"time"
)

// SubLatencyConfig is what `bbox sub --latency-out` writes: the latency
// of a subscriber process's threads, as an interval log at Path, which is
// how process-mode bench (or a user's own tooling) reads a real
// subscriber's latency.
type SubLatencyConfig struct {
	Path     string        // the interval log to create; required
	From     Stamp         // what latency is measured from (zero: FromSend)
	Warmup   time.Duration // the first Warmup of the stream goes to the warmup histogram (0: none)
	Interval time.Duration // one interval histogram per Interval (0: 1s)
}

// ParseStamp reads a Stamp the way reports name it: send or schedule.
func ParseStamp(s string) (Stamp, error) {
	switch s {
	case "send":
		return FromSend, nil
	case "schedule":
		return FromSource, nil
	}
	return 0, errors.New("want send or schedule")
}

// OpenSubLatency starts cfg's log for n subscriber threads: the Recorder
// they observe into and the log writing its intervals (closed by the
// caller, which writes the whole run's histograms).
func OpenSubLatency(cfg SubLatencyConfig, n int) (*Recorder, *LatencyLog, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	rec := NewRecorder(n, cfg.From)
	rec.SetWarmup(cfg.Warmup)
	lg, err := CreateLatencyLog(cfg.Path, rec, cfg.Interval, fmt.Sprintf("bbox sub latency_from=%s warmup=%v; values in ns", cfg.From, cfg.Warmup))
	if err != nil {
		return nil, nil, err
	}
	return rec, lg, nil
}
