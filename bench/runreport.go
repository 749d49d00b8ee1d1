package bench

import (
	"fmt"
	"io"
	"strings"

	"github.com/bbox-dev/bbox/internal/words"
)

// ratios compares a fixed-rate run of bbox (res) with its baselines,
// measured in the same invocation so the box's speed cancels out:
// p50_vs_PATH, p99_vs_PATH, throughput_vs_PATH and cpu_per_record_vs_PATH
// for each baseline that measured them (bbox's figure over the
// baseline's). nil when there is nothing to compare.
func ratios(res *LoadResult, bases []*LoadResult) map[string]float64 {
	out := map[string]float64{}
	lat := res.Latency()
	for _, b := range bases {
		name := string(b.Config.Path)
		bl := b.Latency()
		if bl.P50 > 0 {
			out["p50_vs_"+name] = lat.P50 / bl.P50
			out["p99_vs_"+name] = lat.P99 / bl.P99
		}
		if b.Throughput() > 0 {
			out["throughput_vs_"+name] = res.Throughput() / b.Throughput()
		}
		if c := cpuPerRecord(b); c > 0 && cpuPerRecord(res) > 0 {
			out["cpu_per_record_vs_"+name] = cpuPerRecord(res) / c
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cpuText is ", NAME x.xxx µs CPU/record" for each process of a process
// mode run, "" otherwise: the tail of a run's one-line result.
func cpuText(r *LoadResult) string {
	var b strings.Builder
	for _, c := range r.CPU {
		fmt.Fprintf(&b, ", %s %.3f µs CPU/record", c.Name, c.PerMillion)
	}
	return b.String()
}

// writeWarmupLines reports each run's warm-up, left out of the table.
func writeWarmupLines(w io.Writer, rs []*LoadResult) {
	for _, r := range rs {
		wj := warmupOf(r)
		if wj == nil {
			continue
		}
		l := wj.LatencyUS
		fmt.Fprintf(w, "  warm-up (first %v, not in the table) %s: %s records, p50 %s  p99 %s  max %s\n", r.Config.Warmup, r.Config.Path,
			words.Group(wj.Records), formatMicros(l.P50), formatMicros(l.P99), formatMicros(l.Max))
	}
}

// writeCPULines reports each process's CPU per record (process mode).
func writeCPULines(w io.Writer, rs []*LoadResult) {
	for _, r := range rs {
		if len(r.CPU) == 0 {
			continue
		}
		var parts []string
		for _, c := range r.CPU {
			parts = append(parts, fmt.Sprintf("%s %.2fs = %.3f µs/record", c.Name, c.Seconds, c.PerMillion))
		}
		fmt.Fprintf(w, "  cpu %-9s %s (total %.3f µs/record)\n", r.Config.Path, strings.Join(parts, ", "), cpuPerRecord(r))
	}
}
