package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "fixed-rate load through the pipeline, in this process or (--mode process) as separate bbox pub and bbox sub processes next to plain TCP and libzmq baselines, at one rate or a --rates ladder: latency histograms, percentile table, .hgrm, interval log, plots, JSON; SIGINT/SIGTERM stops it early and still writes the reports for what was measured (exit 0, \"interrupted\": true) (bbox bench compare A.json B.json: before/after)",
		usage:   "[flags] | bbox bench compare A.json B.json [--max-regress PCT]",
		run:     runBench,
	})
}

func runBench(ctx context.Context, e *env, c *command, args []string) int {
	if len(args) > 0 && args[0] == "compare" {
		return runBenchCompare(e, args[1:])
	}
	if len(args) > 0 && args[0] == "internal" {
		return runBenchInternal(ctx, e, args[1:])
	}
	fs, ops := newOpsFlags(e, c)
	o := bench.Options{Load: bench.LoadConfig{Rate: 100000, From: bench.FromSource, Cores: len(tuning.Online())}, SweepMax: 100e6}
	l := &o.Load
	rate, sweepMax, sweepMin := (*cli.Rate)(&l.Rate), (*cli.Rate)(&o.SweepMax), (*cli.Rate)(&o.SweepMin)
	fs.Var(rate, "rate", "target records per second (100000, 100k, 1M; max: as fast as it goes, --mode process only); with --sweep, the first rate (if it breaks the SLA, the ladder goes down)")
	fs.DurationVar(&l.Duration, "duration", 5*time.Second, "how long to send (with --sweep: per rate)")
	fs.StringVar(&o.Out, "out", "", "write the reports into this directory: table.txt, latency.hgrm, latency.hlog, percentiles.svg, timeline.svg, summary.json")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	co := fs.String("co", "on", "on: measure latency from each record's scheduled send time, so a stalled sender cannot hide latency (coordinated omission); off: from the actual send time")
	fs.BoolVar(&o.Sweep, "sweep", false, "run a ladder of rates from --rate up to the break point and report the highest rate that holds p99 under --sla with no loss")
	fs.DurationVar(&o.SLA, "sla", time.Millisecond, "p99 latency a rate must hold in a --sweep")
	fs.Float64Var(&o.Factor, "sweep-factor", 2, "each --sweep rate is this many times the last")
	fs.Var(sweepMax, "sweep-max", "highest rate a --sweep tries")
	fs.Var(sweepMin, "sweep-min", "lowest rate a --sweep tries when --rate already breaks the SLA (default: --rate/1000)")
	fs.IntVar(&o.Refine, "sweep-refine", 2, "bisection runs between the last rate that held and the first that broke (0: none)")
	var baseline cli.List
	fs.Var(&baseline, "baseline", "also run these paths with the same load, for ratios in the same report: tcp (plain Go TCP), zmq4 (naive zmq4 PUB/SUB, in-process mode only), libzmq and libzmq64 (libzmq C PUB/SUB, 1 or up to 64 records a message, process mode only), none (default: none in-process; tcp,libzmq,libzmq64 with --mode process)")
	mode := fs.String("mode", "inprocess", "inprocess: publisher, subscriber threads and workers in this process; process: bbox pub and bbox sub as separate processes of this binary (as users run them), baselines as separate processes too, CPU per record from each process's rusage")
	var rates cli.List
	fs.Var(&rates, "rates", "a ladder: run bbox and every baseline at each of these rates in turn (e.g. 100k,250k,500k,1M,2M,4M,max; max: as fast as the sender goes) and report them side by side, with the highest rate holding p99 ≤ --sla")
	fs.DurationVar(&l.Warmup, "warmup", 0, "leave the first D of every run out of its latency figures (connections, caches, the runtime settle) and report it separately; part of --duration")
	fs.IntVar(&l.Shards, "shards", 1, "shards: PUB endpoints and subscriber threads")
	fs.IntVar(&l.Partitions, "partitions", 0, "total partitions (0: 4 per shard)")
	fs.IntVar(&l.Workers, "workers", 1, "in-process workers behind the subscriber threads")
	at := fs.String("at", "sub", "where latency is recorded: sub (each subscriber thread, as it decodes a frame) or worker (each worker, as it takes a batch)")
	cpus := fs.String("cpus", "auto", "subscriber thread cores: auto (thread i on core i), none, or a list like 0,1 (--mode process: bbox sub's --cpus, unpinned unless given)")
	fs.IntVar(&o.SubGoMaxProcs, "sub-gomaxprocs", 0, "--mode process: bbox sub's --gomaxprocs (0: its default); 1 runs its reader and workers on one Go P, which saves hand-off wake-ups where the publisher shares the cores")
	idle := fs.String("idle", "park", "what a subscriber thread does with no data: park (block), yield (sched_yield, then park) or spin (poll, yield, then park: dedicated cores only); --mode process: bbox sub's --idle")
	fs.IntVar(&l.Size, "size", 100, "record size on the wire, bytes")
	fs.IntVar(&l.Symbols, "symbols", 1000, "distinct symbols in the synthetic feed")
	fs.Uint64Var(&l.Seed, "seed", 1, "seed of the synthetic feed")
	fs.DurationVar(&l.Linger, "linger", 0, "publisher linger: longest a record waits in a partly filled frame while the source keeps producing (0: the publisher's default)")
	fs.IntVar(&l.FrameSize, "frame-size", 0, "publisher batch frame size cap, bytes (0: the publisher's default)")
	fs.DurationVar(&l.Interval, "interval", time.Second, "length of one interval histogram in the interval log")
	fs.IntVar(&l.RcvBuf, "rcvbuf", 0, "SO_RCVBUF bytes per socket (0: kernel default with autotuning)")
	fs.IntVar(&l.SndBuf, "sndbuf", 0, "SO_SNDBUF bytes per socket (0: kernel default with autotuning)")
	verbose := fs.Bool("verbose", false, "log connection events of the pipeline")
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	o.Process, l.AtWorker = *mode == "process", *at == "worker"
	if *co == "off" {
		l.From = bench.FromSend
	}
	var rateErr, idleErr error
	o.Rates, rateErr = cli.Rates(rates)
	l.Idle, idleErr = shard.ParseIdle(*idle)
	var badBase string
	o.Baselines, badBase = bench.Baselines(baseline, o.Process)
	// The flag checks, in the order they are reported.
	for _, u := range []struct {
		bad bool
		msg string
	}{
		{*mode != "inprocess" && !o.Process, fmt.Sprintf("--mode %q: want inprocess or process", *mode)},
		{rateErr != nil, fmt.Sprintf("--rates %v", rateErr)},
		{o.Process && o.Sweep, "--sweep runs in-process; with --mode process give the rates: --rates 100k,250k,…,max"},
		{!o.Process && slices.Contains(o.Rates, 0), "--rates max: as fast as it goes needs --mode process (in-process runs are paced)"},
		{len(o.Rates) > 0 && o.Sweep, "--rates and --sweep: give one (a ladder of chosen rates, or a search for the break point)"},
		{l.Rate == 0 && !o.Process && len(o.Rates) == 0, "--rate max: bench needs a fixed rate (records per second) in-process; use --mode process, --rates …,max or --sweep"},
		{l.Warmup >= l.Duration, fmt.Sprintf("--warmup %v: want at least 0 and less than --duration %v", l.Warmup, l.Duration)}, // also --duration 0
		{o.Process && l.AtWorker, "--at worker: --mode process records latency on the subscriber thread (bbox sub --latency-out)"},
		{*co != "on" && *co != "off", fmt.Sprintf("--co %q: want on or off", *co)},
		{o.Process && l.From == bench.FromSend, "--co off: --mode process measures from the scheduled send time only (the baselines carry no send stamp)"},
		{*at != "sub" && !l.AtWorker, fmt.Sprintf("--at %q: want sub or worker", *at)},
		{idleErr != nil, fmt.Sprintf("--idle: %v", idleErr)},
		{o.SubGoMaxProcs > 0 && !o.Process, "--sub-gomaxprocs: needs --mode process (in-process there is no separate bbox sub)"},
		{l.Workers < 1 || l.Workers > 4096, fmt.Sprintf("--workers %d: want 1..4096", l.Workers)},
		{o.Sweep && o.SLA <= 0, fmt.Sprintf("--sla %v: want a positive duration", o.SLA)},
		{o.Sweep && !(o.Factor > 1.01), fmt.Sprintf("--sweep-factor %v: want more than 1.01", o.Factor)},
		{o.Sweep && (o.SweepMax == 0 || o.SweepMax < l.Rate), fmt.Sprintf("--sweep-max %v: want a rate of at least --rate %v", sweepMax.String(), rate.String())},
		{o.Sweep && o.SweepMin > l.Rate, fmt.Sprintf("--sweep-min %v: want a rate of at most --rate %v", sweepMin.String(), rate.String())},
		{badBase != "" && o.Process, fmt.Sprintf("--baseline %q: want tcp, libzmq, libzmq64 or none with --mode process", badBase)},
		{badBase != "", fmt.Sprintf("--baseline %q: want tcp, zmq4 or none in-process (libzmq needs --mode process)", badBase)},
	} {
		if u.bad {
			return usageErr(e, c, "%s", u.msg)
		}
	}
	var err error
	if l.CPUs, err = tuning.ShardCPUs(*cpus, l.Shards); err != nil {
		return usageErr(e, c, "--cpus: %v", err)
	}
	if o.Process {
		// bbox sub's own default (unpinned) unless --cpus was given: a
		// thread pinned to a core that other work holds cannot move away.
		if cli.Given(fs, "cpus") != "" && *cpus != "none" {
			o.SubCPUs = *cpus
		}
		if o.Exe, err = os.Executable(); err != nil {
			return fail(e, c, fmt.Errorf("--mode process: finding this binary to run bbox pub and bbox sub: %w", err))
		}
	}
	if err := o.Validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		o.Logf, o.Stderr = log.Logf, e.stderr
		o.Observe = log.benchObserver
		o.WriteJSON = func(w io.Writer, r *bench.Report) { writeJSON(w, report.Bench(r)) }
		if *verbose {
			l.Logf = log.Logf
		}
		if o.Out != "" {
			if err := os.MkdirAll(o.Out, 0o755); err != nil {
				return fail(e, c, fmt.Errorf("--out: %w", err))
			}
		}
		o.Human = afterStatus(e, humanOut(e, *asJSON))
		r, err := bench.Run(ctx, o)
		if err != nil {
			return fail(e, c, err)
		}
		if *asJSON {
			writeJSON(e.stdout, report.Bench(r))
		}
		return exitOK
	})
}
