package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// Pick is the step a sweep's one-rate figures describe: the best, or the
// last step run if none held. nil for a sweep that ran nothing.
func (s *SweepResult) Pick() *SweepStep {
	if s.Best != nil {
		return s.Best
	}
	if len(s.Steps) == 0 {
		return nil
	}
	return &s.Steps[len(s.Steps)-1]
}

// sweepSummary is the JSON of a sweep whose first curve is bbox and the
// rest baselines, and the ratios max_rate_vs_PATH of bbox's highest rate
// under the SLA to each baseline's (nil when none held a rate).
func sweepSummary(curves []SweepCurve, sla time.Duration) (*SweepJSON, map[string]float64) {
	bb := curves[0].Result
	sj := &SweepJSON{SLAUS: float64(sla) / 1e3, MaxRateUnder: bb.MaxRate(), Steps: bb.StepsJSON()}
	if bb.Broke != nil {
		sj.BrokeAt = bb.Broke.Rate
	}
	ratios := map[string]float64{}
	for _, cv := range curves[1:] {
		sj.Baselines = append(sj.Baselines, SweepPathJSON{Path: cv.Name, MaxRateUnder: cv.Result.MaxRate(), Steps: cv.Result.StepsJSON()})
		if cv.Result.MaxRate() > 0 {
			ratios["max_rate_vs_"+cv.Name] = bb.MaxRate() / cv.Result.MaxRate()
		}
	}
	if len(ratios) == 0 {
		ratios = nil
	}
	return sj, ratios
}

// sweepWarnings adds to warnings those of bbox's steps (curves[0]) that
// are news: not already listed, and not the shortfalls and losses the
// sweep's table reports as a step breaking.
func sweepWarnings(curves []SweepCurve, warnings []string) []string {
	for _, st := range curves[0].Result.Steps {
		for _, w := range st.Result.Warnings {
			if !strings.HasPrefix(w, "target rate not reached") && !strings.Contains(w, "were lost") && !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
			}
		}
	}
	return warnings
}

// writeSweepReport writes the sweep's table, how bbox's rate under the
// SLA compares with each baseline's, and the warnings.
func writeSweepReport(w io.Writer, curves []SweepCurve, warnings []string) error {
	if err := WriteSweepTable(w, curves); err != nil {
		return err
	}
	bb := curves[0].Result
	for _, cv := range curves[1:] {
		if b := cv.Result.MaxRate(); b > 0 && bb.MaxRate() > 0 {
			fmt.Fprintf(w, "  bbox holds %.2fx the rate %s holds under the SLA\n", bb.MaxRate()/b, cv.Name)
		}
	}
	for _, wn := range warnings {
		fmt.Fprintf(w, "  warning: %s\n", wn)
	}
	return nil
}

// WriteSweepFiles writes a sweep's files: the report as sweep.txt, the
// latency-against-rate plot, one .hgrm per bbox step
// (sweep-bbox-RATE.hgrm) and the percentile plot of bbox's steps.
func (d *outDir) WriteSweepFiles(report []byte, curves []SweepCurve, notes []string, sla time.Duration) error {
	if err := d.Write("sweep.txt", func(w io.Writer) error { _, err := w.Write(report); return err }); err != nil {
		return err
	}
	if err := d.Write("sweep.svg", func(w io.Writer) error {
		return writeSweepPlot(w, "Latency against rate", notes, curves, sla)
	}); err != nil {
		return err
	}
	var pcurves []curve
	for _, st := range curves[0].Result.Steps {
		name := fmt.Sprintf("bbox %s/s", words.Rate(st.Rate))
		pcurves = append(pcurves, curve{Name: name, Hist: st.Result.Hist})
		if err := d.Write(fmt.Sprintf("sweep-bbox-%.0f.hgrm", st.Rate), func(w io.Writer) error { return writeHGRM(w, st.Result.Hist) }); err != nil {
			return err
		}
	}
	return d.Write("percentiles.svg", func(w io.Writer) error {
		return writePercentilePlot(w, "Latency by percentile at each rate (bbox)", notes, pcurves, float64(sla)/1e3)
	})
}
