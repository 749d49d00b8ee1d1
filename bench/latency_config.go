package bench

import (
	"fmt"
	"time"
)

// validLatencyLog is the check shared by the configs that write a latency
// log (SubLatencyConfig, LeanRecvConfig): a path, a known stamp, and no
// negative durations (0 is each one's default).
func validLatencyLog(what, path string, from Stamp, warmup, interval time.Duration) error {
	switch {
	case path == "":
		return fmt.Errorf("%s: no latency log to write", what)
	case from != FromSend && from != FromSource:
		return fmt.Errorf("%s: unknown latency stamp %d", what, from)
	case warmup < 0 || interval < 0:
		return fmt.Errorf("%s: warmup and interval must not be negative", what)
	}
	return nil
}

// Validate reports the first unusable field.
func (c SubLatencyConfig) Validate() error {
	return validLatencyLog("subscriber latency log", c.Path, c.From, c.Warmup, c.Interval)
}

// Validate reports the first unusable field.
func (c LeanRecvConfig) Validate() error {
	return validLatencyLog("tcp baseline receiver", c.Out, c.From, c.Warmup, c.Interval)
}
