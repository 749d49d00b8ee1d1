package bench

import (
	"fmt"
	"math"
	"strings"
)

// Regressions is the regression gate of `bbox bench compare`: the deltas
// of ds that got worse by more than maxPct percent, as "metric +x.y%".
// Judged are the latency percentiles (not max or p99.99, too noisy to gate
// on), CPU per record, throughput and the max rate under the SLA; a
// metric A did not measure (0) is not judged. maxPct <= 0 gates nothing.
func Regressions(ds []Delta, maxPct float64) []string {
	if maxPct <= 0 {
		return nil
	}
	var out []string
	for _, d := range ds {
		judged := d.Unit == "us" && !strings.HasSuffix(d.Metric, "max") && !strings.HasSuffix(d.Metric, "p99.99") || d.Unit == "rps"
		if judged && d.Better < 0 && d.A != 0 && math.Abs(d.Change) > maxPct {
			out = append(out, fmt.Sprintf("%s %+.1f%%", d.Metric, d.Change))
		}
	}
	return out
}
