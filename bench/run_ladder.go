package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/internal/words"
)

// This file holds Run's sweep, its ladder and its process-mode runs;
// run.go the options, the fixed-rate run and the summary.

// runProcessPath runs one path in process mode, keeping the receiver's
// interval log as logName (bbox and tcp) and logging its intervals.
func (r *runner) runProcessPath(ctx context.Context, cfg LoadConfig, logName string) (*LoadResult, error) {
	env := r.env
	keep := r.out.Dir != "" && (cfg.Path == PathBBox || cfg.Path == PathTCP)
	if keep {
		env.Log = r.out.Path(logName)
	}
	res, err := runProcess(ctx, cfg, env)
	if err != nil {
		return nil, err
	}
	if keep {
		r.out.Add(env.Log)
	}
	for _, iv := range res.Intervals {
		r.Logf("  [%5.1fs] received %8s/s  %s", iv.End, words.Rate(iv.RecvRate()), intervalLine(iv))
	}
	r.Logf("  %s: sent %s/s, received %s/s, p99 %s, lost %s%s", cfg.Path, words.Rate(res.AchievedRate()), words.Rate(res.Throughput()),
		formatMicros(res.Latency().P99), words.Group(res.Lost), cpuText(res))
	return res, nil
}

func (r *runner) sweep() (*Report, error) {
	hl, err := r.out.OpenHlog("sweep.hlog", fmt.Sprintf("bbox bench sweep sla=%v duration=%v latency_from=%s; one tag per path and rate",
		r.SLA, r.Load.Duration, r.Load.From), time.Now())
	if err != nil {
		return nil, err
	}
	refine := r.Refine
	if refine == 0 {
		refine = -1 // Options' 0 means none; SweepConfig's 0 means its default
	}
	var tag string
	sweepOne := func(path Path) (*SweepResult, error) {
		lc := r.Load
		lc.Path = path
		lc.OnInterval = r.observe(path, func(iv IntervalStat, h *hdrhistogram.Histogram) { hl.Add(h, tag) })
		r.Logf("sweep %s: from %s/s, ×%g per step, up to %s/s or until p99 > %v: %s", path, words.Rate(lc.Rate), r.Factor,
			words.Rate(r.SweepMax), r.SLA, r.describe(path))
		return Sweep(r.ctx, SweepConfig{Load: lc, Factor: r.Factor, Max: r.SweepMax, Min: r.SweepMin, SLA: r.SLA, Refine: refine,
			OnStart: func(rate float64) { tag = fmt.Sprintf("%s-%.0f", path, rate) },
			OnStep: func(st SweepStep) {
				l := st.Latency
				verdict := "holds"
				if !st.OK {
					verdict = "breaks: " + st.Reason
				}
				r.Logf("  %s %9s/s: sent %9s/s  p50 %8s  p99 %8s  p99.9 %8s  lost %s  %s", path, words.Rate(st.Rate),
					words.Rate(st.Result.AchievedRate()), formatMicros(l.P50), formatMicros(l.P99),
					formatMicros(l.P999), words.Group(st.Result.Lost), verdict)
				runtime.GC()
			}})
	}
	bb, err := sweepOne(PathBBox)
	if err != nil {
		hl.Close()
		return nil, err
	}
	curves := []SweepCurve{{Name: "bbox", Result: bb}}
	if len(bb.Steps) == 0 {
		hl.Close()
		return nil, r.ctx.Err()
	}
	for _, p := range r.Baselines {
		if r.interrupted() {
			break
		}
		res, err := sweepOne(p)
		if err != nil {
			hl.Close()
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		curves = append(curves, SweepCurve{Name: string(p), Result: res})
	}
	if err := hl.Close(); err != nil {
		return nil, err
	}

	// The summary's counts describe the best step (the last one if none held).
	pick := bb.Pick()
	s := r.summarize(pick.Result)
	s.TargetRate = pick.Rate
	s.Intervals = nil
	s.Interrupted = r.interrupted()
	s.Summary.Sweep, s.Ratios = sweepSummary(curves, r.SLA)
	s.Warnings = sweepWarnings(curves, s.Warnings)

	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench --sweep: %v per rate, SLA p99 ≤ %v, latency from each record's %s to the %s\n",
		r.Load.Duration, r.SLA, r.fromText(), r.measuredAt())
	if err := writeSweepReport(&report, curves, s.Warnings); err != nil {
		return nil, err
	}
	notes := []string{r.describe(PathBBox), fmt.Sprintf("%v per rate, %d-byte records; %s", r.Load.Duration, r.Load.Size, time.Now().Format(time.RFC3339))}
	if err := r.out.WriteSweepFiles(report.Bytes(), curves, notes, r.SLA); err != nil {
		return nil, err
	}
	if err := r.finish(s, report.Bytes(), ""); err != nil {
		return nil, err
	}
	return s, nil
}

// ladder runs bbox and every baseline at each of Rates, rate by rate,
// and writes the ladder's table, plots, .hgrm files and JSON.
func (r *runner) ladder() (*Report, error) {
	paths := append([]Path{PathBBox}, r.Baselines...)
	steps, err := runLadder(r.ctx, ladderConfig{Rates: r.Rates, Paths: paths, SLA: r.SLA,
		Run: func(ctx context.Context, p Path, rate float64) (*LoadResult, error) {
			defer runtime.GC()
			return r.runPath(ctx, p, rate, fmt.Sprintf("ladder-%s-%s.hlog", p, formatTarget(rate)))
		},
		OnFail: func(rate float64, p Path, err error) {
			r.Logf("  %s at %s/s failed, going on without it: %v", p, formatTarget(rate), err)
		}})
	if err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("nothing measured")
	}
	// The summary's counts describe bbox at its highest rate that held
	// p99 ≤ SLA (else its last run).
	var pick *LoadResult
	for _, st := range steps {
		for _, res := range st.Results {
			if res.Config.Path != PathBBox {
				continue
			}
			if ok, _ := holds(res, r.SLA); ok || pick == nil {
				pick = res
			}
		}
	}
	if pick == nil {
		return nil, fmt.Errorf("bbox did not run")
	}
	s := r.summarize(pick)
	s.TargetRate = pick.Config.Rate
	s.Intervals = nil
	s.Ladder = ladderSummary(steps, r.SLA)
	s.Interrupted = r.interrupted()
	s.Warnings = append(s.Warnings, r.skipped...)
	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench%s --rates: %v per run, latency from each record's %s to the %s%s\n",
		r.modeText(), r.Load.Duration, r.fromText(), r.measuredAt(), r.warmupText())
	if err := writeLadderTable(&report, steps, r.SLA); err != nil {
		return nil, err
	}
	if r.Process {
		fmt.Fprintf(&report, "  every process shares this box's %d cores with the others of its run\n", r.Load.Cores)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&report, "  warning: %s\n", w)
	}
	notes := []string{r.describe(PathBBox), fmt.Sprintf("%v per rate, %d-byte records, %d cores; %s", r.Load.Duration, r.Load.Size,
		r.Load.Cores, time.Now().Format(time.RFC3339))}
	if err := r.writeLadderFiles(steps, pick, report.Bytes(), notes); err != nil {
		return nil, err
	}
	if err := r.finish(s, report.Bytes(), "  (add --out DIR for the .hgrm files, plots and JSON)\n"); err != nil {
		return nil, err
	}
	return s, nil
}

// writeLadderFiles writes a ladder's table.txt, ladder.svg, an .hgrm per
// run, latency.hgrm of pick, and the percentile and timeline plots.
func (r *runner) writeLadderFiles(steps []ladderStep, pick *LoadResult, report []byte, notes []string) error {
	f := r.out
	if err := f.Write("table.txt", func(w io.Writer) error { _, err := w.Write(report); return err }); err != nil {
		return err
	}
	if err := f.Write("ladder.svg", func(w io.Writer) error {
		return writeSweepPlot(w, "Latency against rate, every path (max drawn at the rate it received)", notes, ladderCurves(steps, r.SLA), r.SLA)
	}); err != nil {
		return err
	}
	var curves []curve
	for _, st := range steps {
		for _, res := range st.Results {
			name := fmt.Sprintf("ladder-%s-%s.hgrm", res.Config.Path, formatTarget(st.Rate))
			if err := f.Write(name, func(w io.Writer) error { return writeHGRM(w, res.Hist) }); err != nil {
				return err
			}
			if res.Config.Path == PathBBox {
				curves = append(curves, curve{Name: "bbox " + formatTarget(st.Rate) + "/s", Hist: res.Hist})
			}
		}
	}
	if err := f.Write("latency.hgrm", func(w io.Writer) error { return writeHGRM(w, pick.Hist) }); err != nil {
		return err
	}
	if err := f.Write("percentiles.svg", func(w io.Writer) error {
		return writePercentilePlot(w, "Latency by percentile at each rate (bbox)", notes, curves, float64(r.SLA)/1e3)
	}); err != nil {
		return err
	}
	return f.Write("timeline.svg", func(w io.Writer) error {
		return writeTimelinePlot(w, fmt.Sprintf("Throughput over time (bbox at %s/s)", formatTarget(pick.Config.Rate)), notes, pick.Intervals, pick.Config.Rate)
	})
}
