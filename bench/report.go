package bench

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// tablePercentiles are the rows of the percentile table.
var tablePercentiles = []float64{50, 90, 99, 99.9, 99.99}

// column is one histogram (ns) in a percentile table.
type column struct {
	Name string
	Hist *hdrhistogram.Histogram
}

// writeTable writes the percentile table (p50 … p99.99, max, mean, count)
// of cols in µs. With more than one column it adds the ratio of the first
// column to each other one, so a report carries its own comparison.
func writeTable(w io.Writer, cols []column) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "  %-10s", "percentile")
	for _, c := range cols {
		fmt.Fprintf(bw, " %12s", c.Name)
	}
	for _, c := range cols[min(1, len(cols)):] {
		fmt.Fprintf(bw, " %12s", cols[0].Name+"/"+c.Name)
	}
	fmt.Fprintln(bw)
	row := func(label string, v func(h *hdrhistogram.Histogram) float64, unit bool) {
		fmt.Fprintf(bw, "  %-10s", label)
		vals := make([]float64, len(cols))
		for i, c := range cols {
			vals[i] = v(c.Hist)
			if c.Hist.TotalCount() == 0 {
				fmt.Fprintf(bw, " %12s", "-")
			} else if unit {
				fmt.Fprintf(bw, " %12s", formatMicros(vals[i]))
			} else {
				fmt.Fprintf(bw, " %12d", int64(vals[i]))
			}
		}
		for i := 1; i < len(cols); i++ {
			if unit && vals[i] > 0 && cols[0].Hist.TotalCount() > 0 {
				fmt.Fprintf(bw, " %11.2fx", vals[0]/vals[i])
			} else {
				fmt.Fprintf(bw, " %12s", "-")
			}
		}
		fmt.Fprintln(bw)
	}
	for _, p := range tablePercentiles {
		row(fmt.Sprintf("p%g", p), func(h *hdrhistogram.Histogram) float64 { return float64(h.ValueAtQuantile(p)) / 1e3 }, true)
	}
	row("max", func(h *hdrhistogram.Histogram) float64 { return float64(h.Max()) / 1e3 }, true)
	row("mean", func(h *hdrhistogram.Histogram) float64 { return h.Mean() / 1e3 }, true)
	row("count", func(h *hdrhistogram.Histogram) float64 { return float64(h.TotalCount()) }, false)
	return bw.Flush()
}

// formatMicros prints a latency in µs with a unit that suits it.
func formatMicros(us float64) string {
	switch {
	case us < 10:
		return fmt.Sprintf("%.1fµs", us)
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	case us < 1e6:
		return fmt.Sprintf("%.2fms", us/1e3)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}

// hgrmScale is the value unit of bbox's .hgrm files: values are recorded
// in ns and written in µs.
const hgrmScale = 1e3

// writeHGRM writes h (ns) as an HdrHistogram percentile distribution in
// µs: the ".hgrm" text that HdrHistogram's plotter and tools read, ending
// with the #[Mean …], #[Max …, Total count …] and #[Buckets …] footer.
func writeHGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	bw := bufio.NewWriter(w)
	if _, err := h.PercentilesPrint(bw, 5, hgrmScale); err != nil {
		return err
	}
	return bw.Flush()
}

// intervalLog writes an HdrHistogram interval log (format 1.3, the one
// HdrHistogram's HistogramLogProcessor, HistogramLogAnalyzer and the
// other implementations read): a header, then one line per interval with
// its start (s, relative to the BaseTime line), length (s), max (ms) and
// the compressed histogram.
type intervalLog struct {
	lw *hdrhistogram.HistogramLogWriter
}

// newIntervalLog writes the log's header for a run that started at start.
func newIntervalLog(w io.Writer, start time.Time, comment string) (*intervalLog, error) {
	lw := hdrhistogram.NewHistogramLogWriter(w)
	// The BaseTime line holds whole seconds, so the base is start rounded
	// down to one: interval times stay exact relative to what is written.
	base := start.Unix() * 1000
	lw.SetBaseTime(base)
	for _, f := range []func() error{
		lw.OutputLogFormatVersion,
		func() error { return lw.OutputComment("[" + strings.ReplaceAll(comment, "\n", " ") + "]") },
		func() error { return lw.OutputStartTime(start.UnixMilli()) },
		func() error { return lw.OutputBaseTime(base) },
		func() error { return lw.OutputComment("[values in ns; Interval_Max in ms]") },
		lw.OutputLegend,
	} {
		if err := f(); err != nil {
			return nil, err
		}
	}
	return &intervalLog{lw: lw}, nil
}

// Write logs h, whose start and end times (ms since the epoch) must be set.
func (l *intervalLog) Write(h *hdrhistogram.Histogram) error { return l.lw.OutputIntervalHistogram(h) }

// readIntervalLog reads every interval histogram of an HdrHistogram
// interval log, with absolute start and end times set.
func readIntervalLog(r io.Reader) ([]*hdrhistogram.Histogram, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var out []*hdrhistogram.Histogram
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return out, fmt.Errorf("interval log, histogram %d: %w", len(out)+1, err)
		}
		if h == nil {
			return out, nil
		}
		out = append(out, h)
	}
}
