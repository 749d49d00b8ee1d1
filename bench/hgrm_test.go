package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// The .hgrm reader is the tests' check that writeHGRM writes what
// HdrHistogram's tools read; nothing in bbox reads .hgrm files.

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

// ReadHGRM parses a percentile distribution written by writeHGRM or by
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
