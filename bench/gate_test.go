package bench

import (
	"strings"
	"testing"
)

// The gate judges latency percentiles, CPU and rates that got worse past
// the limit, and leaves max, p99.99, counts, ratios and unmeasured
// metrics alone.
func TestRegressions(t *testing.T) {
	ds := []Delta{
		{Metric: "p99", A: 100, B: 130, Change: 30, Better: -1, Unit: "us"},
		{Metric: "p50", A: 100, B: 105, Change: 5, Better: -1, Unit: "us"},
		{Metric: "max", A: 100, B: 300, Change: 200, Better: -1, Unit: "us"},
		{Metric: "p99.99", A: 100, B: 300, Change: 200, Better: -1, Unit: "us"},
		{Metric: "throughput_rps", A: 1e6, B: 5e5, Change: -50, Better: -1, Unit: "rps"},
		{Metric: "records_lost", A: 0, B: 10, Better: -1, Unit: "records"},
		{Metric: "p50 / tcp p50", A: 2, B: 4, Change: 100, Better: -1, Unit: "x"},
		{Metric: "cpu_us_per_record", A: 0, B: 1, Better: -1, Unit: "us"},
		{Metric: "p90", A: 100, B: 50, Change: -50, Better: 1, Unit: "us"},
	}
	if got := strings.Join(Regressions(ds, 10), ", "); got != "p99 +30.0%, throughput_rps -50.0%" {
		t.Fatalf("regressions %q", got)
	}
	if got := Regressions(ds, 0); got != nil {
		t.Fatalf("a gate of 0 judged %q", got)
	}
}
