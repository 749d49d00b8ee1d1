package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TablePercentiles are the rows of the percentile table.
var TablePercentiles = []float64{50, 90, 99, 99.9, 99.99}

// Column is one histogram (ns) in a percentile table.
type Column struct {
	Name string
	Hist *hdrhistogram.Histogram
}

// WriteTable writes the percentile table (p50 … p99.99, max, mean, count)
// of cols in µs. With more than one column it adds the ratio of the first
// column to each other one, so a report carries its own comparison.
func WriteTable(w io.Writer, cols []Column) error {
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
				fmt.Fprintf(bw, " %12s", FormatMicros(vals[i]))
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
	for _, p := range TablePercentiles {
		row(fmt.Sprintf("p%g", p), func(h *hdrhistogram.Histogram) float64 { return float64(h.ValueAtQuantile(p)) / 1e3 }, true)
	}
	row("max", func(h *hdrhistogram.Histogram) float64 { return float64(h.Max()) / 1e3 }, true)
	row("mean", func(h *hdrhistogram.Histogram) float64 { return h.Mean() / 1e3 }, true)
	row("count", func(h *hdrhistogram.Histogram) float64 { return float64(h.TotalCount()) }, false)
	return bw.Flush()
}

// FormatMicros prints a latency in µs with a unit that suits it.
func FormatMicros(us float64) string {
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

// HGRMScale is the value unit of bbox's .hgrm files: values are recorded
// in ns and written in µs.
const HGRMScale = 1e3

// WriteHGRM writes h (ns) as an HdrHistogram percentile distribution in
// µs: the ".hgrm" text that HdrHistogram's plotter and tools read, ending
// with the #[Mean …], #[Max …, Total count …] and #[Buckets …] footer.
func WriteHGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	bw := bufio.NewWriter(w)
	if _, err := h.PercentilesPrint(bw, 5, HGRMScale); err != nil {
		return err
	}
	return bw.Flush()
}

// HGRMRow is one line of a percentile distribution.
type HGRMRow struct {
	Value      float64
	Percentile float64 // 0..1
	TotalCount int64
}

// HGRM is a parsed percentile distribution.
type HGRM struct {
	Rows       []HGRMRow
	Mean       float64
	StdDev     float64
	Max        float64
	TotalCount int64
	Buckets    int64
	SubBuckets int64
}

var (
	hgrmMean    = regexp.MustCompile(`^#\[Mean\s*=\s*(\S+),\s*StdDeviation\s*=\s*(\S+)\]$`)
	hgrmMax     = regexp.MustCompile(`^#\[Max\s*=\s*(\S+),\s*Total count\s*=\s*(\S+)\]$`)
	hgrmBuckets = regexp.MustCompile(`^#\[Buckets\s*=\s*(\S+),\s*SubBuckets\s*=\s*(\S+)\]$`)
)

// ReadHGRM parses a percentile distribution written by WriteHGRM or by
// another HdrHistogram implementation. It requires the footer's Max and
// Total count line; errors name the line.
func ReadHGRM(r io.Reader) (*HGRM, error) {
	out := &HGRM{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	sawMax := false
	bad := func(format string, args ...any) error {
		return fmt.Errorf("hgrm line %d: %s", line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "":
			continue
		case strings.HasPrefix(s, "#"):
			var err error
			if m := hgrmMean.FindStringSubmatch(s); m != nil {
				out.Mean, err = parseFloat(m[1])
				if err == nil {
					out.StdDev, err = parseFloat(m[2])
				}
			} else if m := hgrmMax.FindStringSubmatch(s); m != nil {
				out.Max, err = parseFloat(m[1])
				if err == nil {
					out.TotalCount, err = strconv.ParseInt(m[2], 10, 64)
				}
				sawMax = err == nil
			} else if m := hgrmBuckets.FindStringSubmatch(s); m != nil {
				out.Buckets, err = strconv.ParseInt(m[1], 10, 64)
				if err == nil {
					out.SubBuckets, err = strconv.ParseInt(m[2], 10, 64)
				}
			}
			if err != nil {
				return nil, bad("%v", err)
			}
			continue
		case strings.HasPrefix(s, "Value"):
			continue // the column header
		}
		f := strings.Fields(s)
		if len(f) != 4 {
			return nil, bad("want 4 columns (Value Percentile TotalCount 1/(1-Percentile)), got %d", len(f))
		}
		v, err := parseFloat(f[0])
		if err != nil {
			return nil, bad("value: %v", err)
		}
		p, err := parseFloat(f[1])
		if err != nil || p < 0 || p > 1 {
			return nil, bad("percentile %q: want a fraction in [0, 1]", f[1])
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || n < 0 {
			return nil, bad("total count %q: want a count", f[2])
		}
		if k := len(out.Rows); k > 0 && (n < out.Rows[k-1].TotalCount || p < out.Rows[k-1].Percentile) {
			return nil, bad("percentiles and counts must not decrease")
		}
		out.Rows = append(out.Rows, HGRMRow{Value: v, Percentile: p, TotalCount: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hgrm line %d: %w", line+1, err)
	}
	if !sawMax {
		return nil, errors.New("hgrm: no #[Max = …, Total count = …] footer (truncated file?)")
	}
	if k := len(out.Rows); k > 0 && out.Rows[k-1].TotalCount != out.TotalCount {
		return nil, fmt.Errorf("hgrm: last row counts %d records, footer says %d", out.Rows[k-1].TotalCount, out.TotalCount)
	}
	return out, nil
}

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// IntervalLog writes an HdrHistogram interval log (format 1.3, the one
// HdrHistogram's HistogramLogProcessor, HistogramLogAnalyzer and the
// other implementations read): a header, then one line per interval with
// its start (s, relative to the BaseTime line), length (s), max (ms) and
// the compressed histogram.
type IntervalLog struct {
	lw *hdrhistogram.HistogramLogWriter
}

// NewIntervalLog writes the log's header for a run that started at start.
func NewIntervalLog(w io.Writer, start time.Time, comment string) (*IntervalLog, error) {
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
	return &IntervalLog{lw: lw}, nil
}

// Write logs h, whose start and end times (ms since the epoch) must be set.
func (l *IntervalLog) Write(h *hdrhistogram.Histogram) error { return l.lw.OutputIntervalHistogram(h) }

// ReadIntervalLog reads every interval histogram of an HdrHistogram
// interval log, with absolute start and end times set.
func ReadIntervalLog(r io.Reader) ([]*hdrhistogram.Histogram, error) {
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
