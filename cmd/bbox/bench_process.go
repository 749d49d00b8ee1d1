package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/words"
)

// This file holds bench's process mode (bbox pub and bbox sub as separate
// processes, the lean TCP and libzmq baselines as processes too) and the
// --rates ladder; bench.go holds the flags and the in-process runs.

// setupProcess finds this binary and builds the libzmq baseline; a
// baseline that cannot run is dropped with the reason in o.skipped. It
// returns an exit code, or -1 to go on.
func (o *benchOpts) setupProcess(e *env, c *command, cpus string) int {
	exe, err := os.Executable()
	if err != nil {
		return fail(e, c, fmt.Errorf("--mode process: finding this binary to run bbox pub and bbox sub: %w", err))
	}
	o.env = bench.ProcEnv{Exe: exe}
	if cpus != "none" {
		o.env.CPUs = cpus
	}
	wantZMQ := false
	for _, p := range o.baselines {
		wantZMQ = wantZMQ || p == bench.PathLibZMQ || p == bench.PathLibZMQ64
	}
	if !wantZMQ {
		return -1
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	zmq, err := bench.BuildLibZMQ(filepath.Join(dir, "bbox"))
	if err != nil {
		var keep []bench.Path
		for _, p := range o.baselines {
			if p != bench.PathLibZMQ && p != bench.PathLibZMQ64 {
				keep = append(keep, p)
			}
		}
		o.baselines = keep
		o.skipped = append(o.skipped, "libzmq baseline skipped: "+err.Error())
		fmt.Fprintf(e.stderr, "bbox bench: libzmq baseline skipped: %v\n", err)
		return -1
	}
	o.env.ZMQ = zmq
	return -1
}

func (o *benchOpts) modeName() string {
	if o.process {
		return "process"
	}
	return "inprocess"
}

func (o *benchOpts) modeText() string {
	if o.process {
		return " --mode process (separate processes)"
	}
	return ""
}

func (o *benchOpts) warmupText() string {
	if o.load.Warmup > 0 {
		return fmt.Sprintf("; the first %v is warm-up, left out of the figures", o.load.Warmup)
	}
	return ""
}

func (o *benchOpts) describeProcess(path bench.Path, from string) string {
	l := o.load
	switch path {
	case bench.PathTCP:
		return "plain TCP between two processes (bbox bench internal tcp-send → tcp-recv: bufio, length-prefixed records, a clock read per read), latency from " + from
	case bench.PathLibZMQ:
		return "libzmq C PUB→SUB between two processes, one record per message, latency from " + from
	case bench.PathLibZMQ64:
		return "libzmq C PUB→SUB between two processes, up to 64 records (those due) per message, latency from " + from
	}
	return fmt.Sprintf("bbox pub → bbox sub as separate processes over loopback (%s, %s), latency from %s to the subscriber thread",
		plural(l.Shards, "shard", "shards"), plural(l.Workers, "worker", "workers"), from)
}

// runProcessPath runs one path in process mode, keeping the receiver's
// interval log as logName (bbox and tcp) and logging its intervals.
func runProcessPath(ctx context.Context, o *benchOpts, log *logger, f *bench.OutDir, cfg bench.LoadConfig, logName string) (*bench.LoadResult, error) {
	env := o.env
	keep := f.Dir != "" && (cfg.Path == bench.PathBBox || cfg.Path == bench.PathTCP)
	if keep {
		env.Log = f.Path(logName)
	}
	res, err := bench.RunProcess(ctx, cfg, env)
	if err != nil {
		return nil, err
	}
	if keep {
		f.Add(env.Log)
	}
	for _, iv := range res.Intervals {
		lat := "(nothing arrived)"
		if iv.Received > 0 {
			lat = fmt.Sprintf("p50 %8s  p99 %8s  max %8s", bench.FormatMicros(iv.Latency.P50), bench.FormatMicros(iv.Latency.P99), bench.FormatMicros(iv.Latency.Max))
		}
		log.Logf("  [%5.1fs] received %8s/s  %s", iv.End, words.Rate(iv.RecvRate()), lat)
	}
	log.Logf("  %s: sent %s/s, received %s/s, p99 %s, lost %s%s", cfg.Path, words.Rate(res.AchievedRate()), words.Rate(res.Throughput()),
		bench.FormatMicros(res.Latency().P99), commas(res.Lost), bench.CPUText(res))
	return res, nil
}

// runLadder runs bbox and every baseline at each --rates rate, rate by
// rate, and writes the ladder's table, plots, .hgrm files and JSON.
func runLadder(ctx context.Context, o *benchOpts, log *logger, human io.Writer) (*benchSummary, error) {
	f := &bench.OutDir{Dir: o.out}
	paths := append([]bench.Path{bench.PathBBox}, o.baselines...)
	steps, err := bench.RunLadder(ctx, bench.LadderConfig{Rates: o.rates, Paths: paths, SLA: o.sla,
		Run: func(ctx context.Context, p bench.Path, rate float64) (*bench.LoadResult, error) {
			defer runtime.GC()
			return runPath(ctx, o, log, f, p, rate, fmt.Sprintf("ladder-%s-%s.hlog", p, bench.FormatTarget(rate)))
		},
		OnFail: func(rate float64, p bench.Path, err error) {
			log.Logf("  %s at %s/s failed, going on without it: %v", p, bench.FormatTarget(rate), err)
		}})
	if err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("nothing measured")
	}
	// The CLI.md keys describe bbox at its highest rate that held p99 ≤
	// --sla (else its last run).
	var pick *bench.LoadResult
	for _, st := range steps {
		for _, r := range st.Results {
			if r.Config.Path != bench.PathBBox {
				continue
			}
			if ok, _ := bench.Holds(r, o.sla); ok || pick == nil {
				pick = r
			}
		}
	}
	if pick == nil {
		return nil, fmt.Errorf("bbox did not run")
	}
	s := o.summarize(pick)
	s.TargetRate = pick.Config.Rate
	s.Intervals = nil
	s.Ladder = bench.LadderSummary(steps, o.sla)
	s.Interrupted = o.interrupt()
	for _, sk := range o.skipped {
		s.Warnings = append(s.Warnings, sk)
	}
	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench%s --rates: %v per run, latency from each record's %s to the %s%s\n",
		o.modeText(), o.load.Duration, o.fromText(), o.measuredAt(), o.warmupText())
	if err := bench.WriteLadderTable(&report, steps, o.sla); err != nil {
		return nil, err
	}
	if o.process {
		fmt.Fprintf(&report, "  every process shares this box's %d cores with the others of its run\n", o.load.Cores)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&report, "  warning: %s\n", w)
	}
	notes := []string{o.describe(bench.PathBBox), fmt.Sprintf("%v per rate, %d-byte records, %d cores; %s", o.load.Duration, o.load.Size,
		o.load.Cores, time.Now().Format(time.RFC3339))}
	if err := f.Write("table.txt", func(w io.Writer) error { _, err := w.Write(report.Bytes()); return err }); err != nil {
		return nil, err
	}
	if err := f.Write("ladder.svg", func(w io.Writer) error {
		return bench.WriteSweepPlot(w, "Latency against rate, every path (max drawn at the rate it received)", notes, bench.LadderCurves(steps, o.sla), o.sla)
	}); err != nil {
		return nil, err
	}
	var curves []bench.Curve
	for _, st := range steps {
		for _, r := range st.Results {
			name := fmt.Sprintf("ladder-%s-%s.hgrm", r.Config.Path, bench.FormatTarget(st.Rate))
			if err := f.Write(name, func(w io.Writer) error { return bench.WriteHGRM(w, r.Hist) }); err != nil {
				return nil, err
			}
			if r.Config.Path == bench.PathBBox {
				curves = append(curves, bench.Curve{Name: "bbox " + bench.FormatTarget(st.Rate) + "/s", Hist: r.Hist})
			}
		}
	}
	if err := f.Write("latency.hgrm", func(w io.Writer) error { return bench.WriteHGRM(w, pick.Hist) }); err != nil {
		return nil, err
	}
	if err := f.Write("percentiles.svg", func(w io.Writer) error {
		return bench.WritePercentilePlot(w, "Latency by percentile at each rate (bbox)", notes, curves, float64(o.sla)/1e3)
	}); err != nil {
		return nil, err
	}
	if err := f.Write("timeline.svg", func(w io.Writer) error {
		return bench.WriteTimelinePlot(w, fmt.Sprintf("Throughput over time (bbox at %s/s)", bench.FormatTarget(pick.Config.Rate)), notes, pick.Intervals, pick.Config.Rate)
	}); err != nil {
		return nil, err
	}
	if err := finish(f, s, report.Bytes(), human, "  (add --out DIR for the .hgrm files, plots and JSON)\n"); err != nil {
		return nil, err
	}
	return s, nil
}
