package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// SweepConfig shapes a rate sweep: a ladder of fixed-rate runs from From,
// each Factor times the last, until a run breaks the SLA (or loses
// records, or cannot reach its rate) or Max is passed; then Refine runs
// bisect between the last rate that held and the first that broke. If
// From itself breaks, the ladder goes down instead, dividing by Factor
// until a rate holds or Min is passed.
type SweepConfig struct {
	// Load is the run template; its Rate is set per step.
	Load LoadConfig
	// From is the first rate. 0 means Load.Rate.
	From float64
	// Factor multiplies the rate from step to step. 0 means 2.
	Factor float64
	// Max is the highest rate tried. 0 means 100M records/s.
	Max float64
	// Min is the lowest rate tried when From breaks. 0 means From/1000
	// (at least 1 record/s).
	Min float64
	// SLA is the p99 latency a rate must hold. Required.
	SLA time.Duration
	// Refine is the number of bisection runs after the break point.
	// 0 means 2; negative means none.
	Refine int
	// OnStart, if set, is called before each step's run with its rate.
	OnStart func(rate float64)
	// OnStep, if set, is called after each step.
	OnStep func(SweepStep)

	// runLoad, a test hook, replaces RunLoad.
	runLoad func(ctx context.Context, cfg LoadConfig) (*LoadResult, error)
}

// SweepStep is one rate of a sweep.
type SweepStep struct {
	Rate    float64 // target
	Result  *LoadResult
	Latency Percentiles // Result.Latency(), read once by Sweep
	OK      bool        // p99 within the SLA, nothing lost, rate reached
	Reason  string      // why not, when !OK
}

// SweepResult is a sweep's steps in rate order.
type SweepResult struct {
	Config SweepConfig
	Steps  []SweepStep
	// Best is the highest rate that held, nil if none did.
	Best *SweepStep
	// Broke is the lowest rate that did not hold, nil if none broke.
	Broke *SweepStep
}

// judge decides whether a step held.
func (c *SweepConfig) judge(st *SweepStep) (bool, string) {
	r := st.Result
	p99 := time.Duration(st.Latency.P99 * 1e3)
	switch {
	case r.Lost > 0 || r.Gaps > 0:
		return false, "lost " + words.Count(r.Lost, "record", "records")
	case r.AchievedRate() < r.Config.Rate*(1-RateShortfall):
		return false, fmt.Sprintf("sent only %s/s", words.Rate(r.AchievedRate()))
	case r.Hist.TotalCount() == 0:
		return false, "nothing received"
	case p99 > c.SLA:
		return false, fmt.Sprintf("p99 %s over the SLA", formatMicros(float64(p99)/1e3))
	}
	return true, ""
}

// withDefaults fills in the documented zero values.
func (c SweepConfig) withDefaults() SweepConfig {
	if c.From == 0 {
		c.From = c.Load.Rate
	}
	if c.Factor == 0 {
		c.Factor = 2
	}
	if c.Max == 0 {
		c.Max = 100e6
	}
	if c.Refine == 0 {
		c.Refine = 2
	}
	if c.Min == 0 {
		c.Min = max(c.From/1000, 1)
	}
	return c
}

// Validate checks c's values as Sweep will use them (zero values are
// defaults), the run template at the first rate included.
func (c SweepConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.SLA <= 0:
		return errors.New("sweep needs a positive SLA")
	case !(c.From > 0) || math.IsInf(c.From, 0):
		return fmt.Errorf("sweep start rate %v: want a positive rate", c.From)
	case !(c.Factor > 1.01) || math.IsInf(c.Factor, 0):
		return fmt.Errorf("sweep factor %v: want more than 1.01", c.Factor)
	case c.Max < c.From:
		return fmt.Errorf("sweep maximum %v is below its start %v", c.Max, c.From)
	}
	load := c.Load
	load.Rate = c.From
	return load.Validate()
}

// Sweep runs the ladder and returns every step.
func Sweep(ctx context.Context, cfg SweepConfig) (*SweepResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	out := &SweepResult{Config: cfg}
	run := func(rate float64) (*SweepStep, error) {
		if cfg.OnStart != nil {
			cfg.OnStart(rate)
		}
		lc := cfg.Load
		lc.Rate = rate
		runLoad := RunLoad
		if cfg.runLoad != nil {
			runLoad = cfg.runLoad
		}
		r, err := runLoad(ctx, lc)
		if err != nil {
			return nil, fmt.Errorf("sweep at %s/s: %w", words.Rate(rate), err)
		}
		st := SweepStep{Rate: rate, Result: r, Latency: r.Latency()}
		st.OK, st.Reason = cfg.judge(&st)
		if r.Interrupted {
			st.OK, st.Reason = false, "interrupted"
		}
		out.Steps = append(out.Steps, st)
		if cfg.OnStep != nil {
			cfg.OnStep(st)
		}
		return &out.Steps[len(out.Steps)-1], nil
	}
	// An interrupt (ctx ending) keeps the steps run so far, the last one
	// partial, and runs no more.
	stopped := func() bool { return ctx.Err() != nil }
	var good, bad float64
	for rate := cfg.From; rate <= cfg.Max*(1+1e-9) && !stopped(); rate *= cfg.Factor {
		st, err := run(rate)
		if err != nil {
			return out, err
		}
		if !st.OK {
			bad = rate
			break
		}
		good = rate
	}
	if good == 0 {
		// The first rate broke: walk down to one that holds.
		for rate := math.Round(cfg.From / cfg.Factor); rate >= cfg.Min*(1-1e-9) && !stopped(); rate = math.Round(rate / cfg.Factor) {
			st, err := run(rate)
			if err != nil {
				return out, err
			}
			if st.OK {
				good = rate
				break
			}
			bad = rate
		}
	}
	for k := 0; k < cfg.Refine && good > 0 && bad > 0 && !stopped(); k++ {
		mid := math.Round(math.Sqrt(good * bad))
		if mid <= good || mid >= bad {
			break
		}
		st, err := run(mid)
		if err != nil {
			return out, err
		}
		if st.OK {
			good = mid
		} else {
			bad = mid
		}
	}
	sort.SliceStable(out.Steps, func(i, j int) bool { return out.Steps[i].Rate < out.Steps[j].Rate })
	for i := range out.Steps {
		s := &out.Steps[i]
		if s.OK && s.Rate == good {
			out.Best = s
		}
		if !s.OK && s.Rate == bad {
			out.Broke = s
		}
	}
	return out, nil
}

// WriteSweepTable writes one row per step of each path's sweep: target
// and achieved rate, latency percentiles, loss and whether the step held;
// then each path's highest rate that held.
func WriteSweepTable(w io.Writer, curves []SweepCurve) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "  %-6s %10s %10s %9s %9s %9s %9s %9s %8s  %s\n", "path", "target/s", "sent/s", "p50", "p90", "p99", "p99.9", "max", "lost", "verdict")
	for _, c := range curves {
		s := c.Result
		for i := range s.Steps {
			st := &s.Steps[i]
			r, l := st.Result, st.Latency
			verdict := "holds"
			if !st.OK {
				verdict = "breaks: " + st.Reason
			}
			if s.Best == st {
				verdict += " (best)"
			}
			fmt.Fprintf(bw, "  %-6s %10s %10s %9s %9s %9s %9s %9s %8d  %s\n", c.Name, words.Rate(st.Rate), words.Rate(r.AchievedRate()),
				formatMicros(l.P50), formatMicros(l.P90), formatMicros(l.P99), formatMicros(l.P999), formatMicros(l.Max), r.Lost, verdict)
		}
	}
	for _, c := range curves {
		s := c.Result
		if s.Best != nil {
			fmt.Fprintf(bw, "  %s: highest rate holding p99 ≤ %v with no loss: %s records/s\n", c.Name, s.Config.SLA, words.Rate(s.Best.Rate))
		} else {
			fmt.Fprintf(bw, "  %s: no rate tried held p99 ≤ %v with no loss\n", c.Name, s.Config.SLA)
		}
	}
	return bw.Flush()
}

// SweepCurve is one path's sweep on a sweep plot.
type SweepCurve struct {
	Name   string
	Result *SweepResult
}

// writeSweepPlot draws latency (p50, p99, p99.9) against target rate, both
// on log scales, with the SLA and each path's best rate marked.
func writeSweepPlot(w io.Writer, title string, notes []string, curves []SweepCurve, sla time.Duration) error {
	loR, hiR := math.Inf(1), 0.0
	loL, hiL := float64(sla)/1e3, float64(sla)/1e3
	for _, c := range curves {
		for _, st := range c.Result.Steps {
			loR, hiR = math.Min(loR, st.Rate), math.Max(hiR, st.Rate)
			if st.Result.Hist.TotalCount() > 0 {
				loL, hiL = math.Min(loL, st.Latency.P50), math.Max(hiL, st.Latency.P999)
			}
		}
	}
	ch := &chart{title: title, notes: notes, x: logAxis("target rate, records per second (log scale)", loR, hiR, words.Rate),
		y: logAxis("latency (log scale)", loL, hiL, fmtTickMicros)}
	dashes := []string{"", "6,3", "2,3"}
	for i, c := range curves {
		for k, q := range []struct {
			name string
			get  func(Percentiles) float64
		}{{"p50", func(p Percentiles) float64 { return p.P50 }}, {"p99", func(p Percentiles) float64 { return p.P99 }},
			{"p99.9", func(p Percentiles) float64 { return p.P999 }}} {
			s := series{name: c.Name + " " + q.name, color: palette[(3*i+k)%len(palette)], dash: dashes[i%len(dashes)], dots: true}
			for _, st := range c.Result.Steps {
				if st.Result.Hist.TotalCount() == 0 {
					continue
				}
				s.xs = append(s.xs, st.Rate)
				s.ys = append(s.ys, q.get(st.Latency))
			}
			ch.series = append(ch.series, s)
		}
		if b := c.Result.Best; b != nil {
			ch.vlines = append(ch.vlines, vline{x: b.Rate, label: c.Name + " best " + words.Rate(b.Rate) + "/s", color: palette[(3*i)%len(palette)]})
		}
	}
	ch.hlines = append(ch.hlines, hline{y: float64(sla) / 1e3, label: "SLA p99 " + formatMicros(float64(sla)/1e3), color: "#d62728"})
	return writeSVG(w, ch)
}
