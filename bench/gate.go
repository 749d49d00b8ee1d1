package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
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

// Comparison is `bbox bench compare`: summary A (before) against B
// (after), metric by metric.
type Comparison struct {
	NameA, NameB string
	A, B         *RunSummary
	Deltas       []Delta
}

// CompareFiles reads the bench JSON summaries in files a (before) and b
// (after) and compares them; two summaries with nothing in common (a
// sweep and a fixed-rate run) are an error.
func CompareFiles(a, b string) (*Comparison, error) {
	var sums [2]*RunSummary
	for i, name := range []string{a, b} {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if sums[i], err = parseSummary(name, data); err != nil {
			return nil, err
		}
	}
	c := &Comparison{NameA: a, NameB: b, A: sums[0], B: sums[1]}
	if c.Deltas = compareRuns(c.A, c.B); len(c.Deltas) == 0 {
		return nil, errors.New("nothing to compare: one summary is a sweep and the other a fixed-rate run")
	}
	return c, nil
}

// WriteReport prints the comparison: which file is A and which B, then
// the table of deltas.
func (c *Comparison) WriteReport(w io.Writer) error {
	fmt.Fprintf(w, "bbox bench compare: A = %s, B = %s\n", c.NameA, c.NameB)
	return writeCompare(w, "A", "B", c.A, c.B, c.Deltas)
}
