package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// A ladder runs every path at each of a list of rates, interleaved (rate
// by rate, every path at one rate before the next), so a report puts bbox
// and its baselines side by side at each rate of one invocation. Rate 0
// is "max": as fast as the sender goes.

// WarmupJSON is the warm-up of a run in a JSON summary: left out of the
// main figures, reported apart.
type WarmupJSON struct {
	Seconds   float64     `json:"seconds"`
	Records   int64       `json:"records"`
	LatencyUS Percentiles `json:"latency_us"`
}

// warmupOf is r's warm-up for a summary, nil without one.
func warmupOf(r *LoadResult) *WarmupJSON {
	if r.Config.Warmup <= 0 || r.WarmupHist == nil {
		return nil
	}
	return &WarmupJSON{Seconds: r.Config.Warmup.Seconds(), Records: r.WarmupHist.TotalCount(), LatencyUS: Summarize(r.WarmupHist)}
}

// ladderStep is one rate of a ladder: each path's result, in path order.
type ladderStep struct {
	Rate    float64 // target; 0 is max
	Results []*LoadResult
	// Failed names the paths whose run failed at this rate, and why; the
	// ladder goes on without them.
	Failed []string
}

// ladderConfig shapes a ladder. Rates, Paths and Run are required; nil
// callbacks are not called.
type ladderConfig struct {
	Rates []float64 // records per second, in the order tried (0: as fast as it goes)
	Paths []Path
	// SLA is the p99 a rate must hold (with no loss and its rate reached)
	// for a path's highest holding rate.
	SLA time.Duration
	// Run runs one path at one rate.
	Run func(ctx context.Context, path Path, rate float64) (*LoadResult, error)
	// OnResult, if set, is called after each run; OnFail after a run that
	// failed (the ladder goes on).
	OnResult func(rate float64, r *LoadResult)
	OnFail   func(rate float64, p Path, err error)
}

// Validate checks c.
func (c ladderConfig) Validate() error {
	switch {
	case len(c.Rates) == 0 || len(c.Paths) == 0:
		return fmt.Errorf("a ladder of %d rates and %d paths: want at least one of each", len(c.Rates), len(c.Paths))
	case c.Run == nil:
		return errors.New("a ladder needs a Run function")
	case c.SLA < 0:
		return fmt.Errorf("ladder SLA %v must not be negative", c.SLA)
	}
	for _, r := range c.Rates {
		if !(r >= 0) || math.IsInf(r, 0) {
			return fmt.Errorf("ladder rate %v: want a positive rate, or 0 for as fast as it goes", r)
		}
	}
	return nil
}

// runLadder runs the ladder until its end or ctx ends; an interrupted run
// is kept, and nothing after it runs.
func runLadder(ctx context.Context, cfg ladderConfig) ([]ladderStep, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var steps []ladderStep
	for _, rate := range cfg.Rates {
		st := ladderStep{Rate: rate}
		for _, p := range cfg.Paths {
			if ctx.Err() != nil {
				break
			}
			r, err := cfg.Run(ctx, p, rate)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				st.Failed = append(st.Failed, fmt.Sprintf("%s at %s/s failed: %v", p, formatTarget(rate), err))
				if cfg.OnFail != nil {
					cfg.OnFail(rate, p, err)
				}
				continue
			}
			st.Results = append(st.Results, r)
			if cfg.OnResult != nil {
				cfg.OnResult(rate, r)
			}
		}
		if len(st.Results) > 0 || len(st.Failed) > 0 {
			steps = append(steps, st)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return steps, nil
}

// formatTarget prints a target rate, 0 as "max".
func formatTarget(rate float64) string {
	if rate <= 0 {
		return "max"
	}
	return words.Rate(rate)
}

// holds judges one run against an SLA: p99 within it, nothing lost, the
// target rate reached; otherwise it says why not.
func holds(r *LoadResult, sla time.Duration) (bool, string) {
	c := SweepConfig{SLA: sla}
	return c.judge(&SweepStep{Rate: r.Config.Rate, Result: r, Latency: r.Latency()})
}

// LadderJSON is a ladder in a JSON summary.
type LadderJSON struct {
	SLAUS float64          `json:"sla_us"`
	Rates []string         `json:"rates"` // "100k", "1M", "max"
	Paths []LadderPathJSON `json:"paths"`
	// Ratios per target rate: bbox's p50, p99 and CPU per record over each
	// baseline's ("p50_vs_tcp"), and its received rate over theirs.
	Ratios map[string]map[string]float64 `json:"ratios,omitempty"`
	// Failed lists the runs that failed, and why.
	Failed []string `json:"failed,omitempty"`
}

// LadderPathJSON is one path's runs of a ladder.
type LadderPathJSON struct {
	Path         string           `json:"path"`
	MaxRateUnder float64          `json:"max_rate_under_sla"`
	Steps        []LadderStepJSON `json:"steps"`
}

// LadderStepJSON is one run of a ladder.
type LadderStepJSON struct {
	Target        string      `json:"target"`
	Rate          float64     `json:"rate"` // 0: max
	SentRPS       float64     `json:"sent_rps"`
	ThroughputRPS float64     `json:"throughput_rps"`
	Published     int64       `json:"records_published"`
	Received      int64       `json:"records_received"`
	Lost          int64       `json:"records_lost"`
	LatencyUS     Percentiles `json:"latency_us"`
	CPU           []ProcCPU   `json:"cpu,omitempty"`
	Warmup        *WarmupJSON `json:"warmup,omitempty"`
	OK            bool        `json:"ok"`
	Reason        string      `json:"reason,omitempty"`
	Interrupted   bool        `json:"interrupted,omitempty"`
	Warnings      []string    `json:"warnings,omitempty"`
}

// cpuPerRecord is the µs of CPU per record of every process of r
// together (pub's per record sent plus sub's per record received), 0
// when r has no CPU figures.
func cpuPerRecord(r *LoadResult) float64 {
	var t float64
	for _, c := range r.CPU {
		t += c.PerMillion
	}
	return t
}

// ladderSummary builds the JSON of a ladder's steps.
func ladderSummary(steps []ladderStep, sla time.Duration) *LadderJSON {
	out := &LadderJSON{SLAUS: float64(sla) / 1e3, Ratios: map[string]map[string]float64{}}
	idx := map[Path]int{}
	for _, st := range steps {
		t := formatTarget(st.Rate)
		out.Rates = append(out.Rates, t)
		out.Failed = append(out.Failed, st.Failed...)
		var bb *LoadResult
		for _, r := range st.Results {
			p := r.Config.Path
			i, ok := idx[p]
			if !ok {
				i = len(out.Paths)
				idx[p] = i
				out.Paths = append(out.Paths, LadderPathJSON{Path: string(p)})
			}
			ok, why := holds(r, sla)
			lp := &out.Paths[i]
			lp.Steps = append(lp.Steps, LadderStepJSON{Target: t, Rate: st.Rate, SentRPS: r.AchievedRate(), ThroughputRPS: r.Throughput(),
				Published: r.Published, Received: r.Received, Lost: r.Lost, LatencyUS: r.Latency(), CPU: r.CPU, Warmup: warmupOf(r),
				OK: ok, Reason: why, Interrupted: r.Interrupted, Warnings: r.Warnings})
			if ok && st.Rate > lp.MaxRateUnder {
				lp.MaxRateUnder = st.Rate
			}
			if p == PathBBox {
				bb = r
			}
		}
		if bb == nil {
			continue
		}
		rt := map[string]float64{}
		bl := bb.Latency()
		for _, r := range st.Results {
			if r == bb {
				continue
			}
			name := string(r.Config.Path)
			l := r.Latency()
			if l.P50 > 0 && bl.P50 > 0 {
				rt["p50_vs_"+name] = bl.P50 / l.P50
				rt["p99_vs_"+name] = bl.P99 / l.P99
			}
			if tp := r.Throughput(); tp > 0 {
				rt["throughput_vs_"+name] = bb.Throughput() / tp
			}
			if c := cpuPerRecord(r); c > 0 && cpuPerRecord(bb) > 0 {
				rt["cpu_per_record_vs_"+name] = cpuPerRecord(bb) / c
			}
		}
		if len(rt) > 0 {
			out.Ratios[t] = rt
		}
	}
	return out
}

// writeLadderTable writes one row per run: target, sent and received
// rates, latency percentiles, loss, CPU per record of each process and
// the verdict against the SLA; then each path's highest holding rate and
// bbox's ratios to each baseline.
func writeLadderTable(w io.Writer, steps []ladderStep, sla time.Duration) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "  %-7s %-9s %9s %9s %8s %8s %8s %8s %8s %9s %7s %7s  %s\n", "target", "path", "sent/s", "recv/s",
		"p50", "p90", "p99", "p99.9", "max", "lost", "pub µs", "sub µs", "p99 ≤ "+formatMicros(float64(sla)/1e3)+"?")
	best := map[Path]float64{}
	var order []Path
	for _, st := range steps {
		for _, r := range st.Results {
			l := r.Latency()
			ok, why := holds(r, sla)
			verdict := "holds"
			if !ok {
				verdict = "no: " + why
			}
			if r.Interrupted {
				verdict += " (interrupted)"
			}
			cpu := [2]string{"-", "-"}
			for i, c := range r.CPU {
				if i < 2 && c.PerMillion > 0 {
					cpu[i] = fmt.Sprintf("%.3f", c.PerMillion)
				}
			}
			lat := []string{formatMicros(l.P50), formatMicros(l.P90), formatMicros(l.P99), formatMicros(l.P999), formatMicros(l.Max)}
			if r.Hist == nil || r.Hist.TotalCount() == 0 {
				lat = []string{"-", "-", "-", "-", "-"} // nothing arrived after the warm-up
			}
			fmt.Fprintf(bw, "  %-7s %-9s %9s %9s %8s %8s %8s %8s %8s %9s %7s %7s  %s\n", formatTarget(st.Rate), r.Config.Path,
				words.Rate(r.AchievedRate()), words.Rate(r.Throughput()), lat[0], lat[1], lat[2], lat[3], lat[4], words.Group(r.Lost), cpu[0], cpu[1], verdict)
			if _, seen := best[r.Config.Path]; !seen {
				order = append(order, r.Config.Path)
				best[r.Config.Path] = -1
			}
			if ok && st.Rate > 0 && st.Rate > best[r.Config.Path] {
				best[r.Config.Path] = st.Rate
			}
		}
	}
	for _, st := range steps {
		for _, f := range st.Failed {
			fmt.Fprintf(bw, "  %s\n", short(f, 300))
		}
	}
	fmt.Fprintf(bw, "  (pub µs, sub µs: CPU seconds per million records of each process = µs of CPU per record)\n")
	var parts []string
	for _, p := range order {
		if b := best[p]; b > 0 {
			parts = append(parts, fmt.Sprintf("%s %s/s", p, words.Rate(b)))
		} else {
			parts = append(parts, fmt.Sprintf("%s none", p))
		}
	}
	fmt.Fprintf(bw, "  highest rate holding p99 ≤ %s with no loss: %s\n", formatMicros(float64(sla)/1e3), strings.Join(parts, ", "))
	lj := ladderSummary(steps, sla)
	for _, t := range lj.Rates {
		rt := lj.Ratios[t]
		if len(rt) == 0 {
			continue
		}
		var b []string
		for _, p := range order[1:] {
			name := string(p)
			if v, ok := rt["p50_vs_"+name]; ok {
				s := fmt.Sprintf("%s: p50 %.2fx p99 %.2fx", name, v, rt["p99_vs_"+name])
				if c, ok := rt["cpu_per_record_vs_"+name]; ok {
					s += fmt.Sprintf(" cpu %.2fx", c)
				}
				if t == "max" {
					s += fmt.Sprintf(" rate %.2fx", rt["throughput_vs_"+name])
				}
				b = append(b, s)
			}
		}
		if len(b) > 0 {
			fmt.Fprintf(bw, "  bbox at %s/s vs %s\n", t, strings.Join(b, "; "))
		}
	}
	return bw.Flush()
}

// ladderCurves turns a ladder into sweep curves (one per path) for
// writeSweepPlot; a max step is drawn at the rate it received.
func ladderCurves(steps []ladderStep, sla time.Duration) []SweepCurve {
	idx := map[Path]int{}
	var out []SweepCurve
	for _, st := range steps {
		for _, r := range st.Results {
			p := r.Config.Path
			i, ok := idx[p]
			if !ok {
				i = len(out)
				idx[p] = i
				out = append(out, SweepCurve{Name: string(p), Result: &SweepResult{Config: SweepConfig{SLA: sla}}})
			}
			rate := st.Rate
			if rate <= 0 {
				rate = r.Throughput()
			}
			ok, why := holds(r, sla)
			sr := out[i].Result
			sr.Steps = append(sr.Steps, SweepStep{Rate: math.Max(rate, 1), Result: r, Latency: r.Latency(), OK: ok, Reason: why})
		}
	}
	for _, c := range out {
		sr := c.Result
		for k := range sr.Steps {
			if s := &sr.Steps[k]; s.OK && (sr.Best == nil || s.Rate > sr.Best.Rate) {
				sr.Best = s
			}
		}
	}
	return out
}
