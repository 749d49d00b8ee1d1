package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/bbox-dev/bbox/internal/words"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "fixed-rate load through the pipeline, in this process or (--mode process) as separate bbox pub and bbox sub processes next to plain TCP and libzmq baselines, at one rate or a --rates ladder: latency histograms, percentile table, .hgrm, interval log, plots, JSON; SIGINT/SIGTERM stops it early and still writes the reports for what was measured (exit 0, \"interrupted\": true) (bbox bench compare A.json B.json: before/after)",
		usage:   "[flags] | bbox bench compare A.json B.json [--max-regress PCT]",
		run:     runBench,
	})
}

// benchOpts are the parsed flags of one bench invocation.
type benchOpts struct {
	load      bench.LoadConfig
	out       string
	asJSON    bool
	sweep     bool
	sla       time.Duration
	factor    float64
	sweepMax  float64
	sweepMin  float64
	refine    int
	baselines []bench.Path
	verbose   bool
	process   bool          // --mode process
	rates     []float64     // --rates: a ladder (0 is max)
	env       bench.ProcEnv // what process mode starts
	skipped   []string      // baselines that could not run, and why
	interrupt func() bool   // reports whether SIGINT/SIGTERM arrived
}

// benchSummary is the CLI.md summary plus bench's own keys.
type benchSummary struct {
	summary
	TargetRate  float64              `json:"target_rate"`
	DurationS   float64              `json:"duration_s"`
	LatencyFrom string               `json:"latency_from"` // "schedule" (coordinated omission corrected) or "send"
	MeasuredAt  string               `json:"measured_at"`  // "subscriber thread" or "worker"
	SentRPS     float64              `json:"sent_rps"`
	Topology    benchTopology        `json:"topology"`
	Baselines   []bench.PathResult   `json:"baselines,omitempty"`
	Ratios      map[string]float64   `json:"ratios,omitempty"`
	Sweep       *bench.SweepJSON     `json:"sweep,omitempty"`
	Intervals   []bench.IntervalStat `json:"intervals,omitempty"`
	// Warmup is the start of the run left out of latency_us (--warmup).
	Warmup *bench.WarmupJSON `json:"warmup,omitempty"`
	// Interrupted is set when SIGINT/SIGTERM ended the run early: the
	// figures are what was measured until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// Mode is "inprocess" or "process"; Ladder is the --rates ladder.
	Mode   string            `json:"mode"`
	CPU    []bench.ProcCPU   `json:"cpu,omitempty"` // process mode: each process's CPU time
	Ladder *bench.LadderJSON `json:"ladder,omitempty"`
	Files  []string          `json:"files,omitempty"`
}

type benchTopology struct {
	Shards     int   `json:"shards"`
	Partitions int   `json:"partitions"`
	Workers    int   `json:"workers"`
	CPUs       []int `json:"cpus"`
	Cores      int   `json:"cores"`
	Size       int   `json:"record_size"`
}

func runBench(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "compare" {
		return runBenchCompare(e, args[1:])
	}
	if len(args) > 0 && args[0] == "internal" {
		return runBenchInternal(ctx, e, args[1:])
	}
	c := commands["bench"]
	fs := newFlags(e, c)
	var ops opsFlags
	ops.register(fs)
	rate := rateFlag(100000)
	fs.Var(&rate, "rate", "target records per second (100000, 100k, 1M; max: as fast as it goes, --mode process only); with --sweep, the first rate (if it breaks the SLA, the ladder goes down)")
	duration := fs.Duration("duration", 5*time.Second, "how long to send (with --sweep: per rate)")
	out := fs.String("out", "", "write the reports into this directory: table.txt, latency.hgrm, latency.hlog, percentiles.svg, timeline.svg, summary.json")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	co := fs.String("co", "on", "on: measure latency from each record's scheduled send time, so a stalled sender cannot hide latency (coordinated omission); off: from the actual send time")
	sweep := fs.Bool("sweep", false, "run a ladder of rates from --rate up to the break point and report the highest rate that holds p99 under --sla with no loss")
	sla := fs.Duration("sla", time.Millisecond, "p99 latency a rate must hold in a --sweep")
	factor := fs.Float64("sweep-factor", 2, "each --sweep rate is this many times the last")
	var sweepMax rateFlag = 100e6
	fs.Var(&sweepMax, "sweep-max", "highest rate a --sweep tries")
	var sweepMin rateFlag
	fs.Var(&sweepMin, "sweep-min", "lowest rate a --sweep tries when --rate already breaks the SLA (default: --rate/1000)")
	refine := fs.Int("sweep-refine", 2, "bisection runs between the last rate that held and the first that broke (0: none)")
	var baseline listFlag
	fs.Var(&baseline, "baseline", "also run these paths with the same load, for ratios in the same report: tcp (plain Go TCP), zmq4 (naive zmq4 PUB/SUB, in-process mode only), libzmq and libzmq64 (libzmq C PUB/SUB, 1 or up to 64 records a message, process mode only), none (default: none in-process; tcp,libzmq,libzmq64 with --mode process)")
	mode := fs.String("mode", "inprocess", "inprocess: publisher, subscriber threads and workers in this process; process: bbox pub and bbox sub as separate processes of this binary (as users run them), baselines as separate processes too, CPU per record from each process's rusage")
	var rates listFlag
	fs.Var(&rates, "rates", "a ladder: run bbox and every baseline at each of these rates in turn (e.g. 100k,250k,500k,1M,2M,4M,max; max: as fast as the sender goes) and report them side by side, with the highest rate holding p99 ≤ --sla")
	warmup := fs.Duration("warmup", 0, "leave the first D of every run out of its latency figures (connections, caches, the runtime settle) and report it separately; part of --duration")
	shards := fs.Int("shards", 1, "shards: PUB endpoints and subscriber threads")
	partitions := fs.Int("partitions", 0, "total partitions (0: 4 per shard)")
	nworkers := fs.Int("workers", 1, "in-process workers behind the subscriber threads")
	at := fs.String("at", "sub", "where latency is recorded: sub (each subscriber thread, as it decodes a frame) or worker (each worker, as it takes a batch)")
	cpus := fs.String("cpus", "auto", "subscriber thread cores: auto (thread i on core i), none, or a list like 0,1 (--mode process: bbox sub's --cpus, unpinned unless given)")
	size := fs.Int("size", 100, "record size on the wire, bytes")
	symbols := fs.Int("symbols", 1000, "distinct symbols in the synthetic feed")
	seed := fs.Uint64("seed", 1, "seed of the synthetic feed")
	linger := fs.Duration("linger", 0, "publisher linger: longest a record waits in a partly filled frame while the source keeps producing (0: the publisher's default)")
	frameSize := fs.Int("frame-size", 0, "publisher batch frame size cap, bytes (0: the publisher's default)")
	interval := fs.Duration("interval", time.Second, "length of one interval histogram in the interval log")
	rcvbuf := fs.Int("rcvbuf", 0, "SO_RCVBUF bytes per socket (0: kernel default with autotuning)")
	sndbuf := fs.Int("sndbuf", 0, "SO_SNDBUF bytes per socket (0: kernel default with autotuning)")
	verbose := fs.Bool("verbose", false, "log connection events of the pipeline")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(e, c, "unexpected argument %q", fs.Arg(0))
	}
	var process bool
	switch *mode {
	case "inprocess":
	case "process":
		process = true
	default:
		return usageErr(e, c, "--mode %q: want inprocess or process", *mode)
	}
	var ladder []float64
	for _, r := range rates {
		var rf rateFlag
		if err := rf.Set(r); err != nil {
			return usageErr(e, c, "--rates %q: %v", r, err)
		}
		ladder = append(ladder, float64(rf))
	}
	if process && *sweep {
		return usageErr(e, c, "--sweep runs in-process; with --mode process give the rates: --rates 100k,250k,…,max")
	}
	if !process && slices.Contains(ladder, 0) {
		return usageErr(e, c, "--rates max: as fast as it goes needs --mode process (in-process runs are paced)")
	}
	if len(ladder) > 0 && *sweep {
		return usageErr(e, c, "--rates and --sweep: give one (a ladder of chosen rates, or a search for the break point)")
	}
	if rate == 0 && !process && len(ladder) == 0 {
		return usageErr(e, c, "--rate max: bench needs a fixed rate (records per second) in-process; use --mode process, --rates …,max or --sweep")
	}
	if *warmup < 0 || *warmup >= *duration {
		return usageErr(e, c, "--warmup %v: want at least 0 and less than --duration %v", *warmup, *duration)
	}
	if process && *at == "worker" {
		return usageErr(e, c, "--at worker: --mode process records latency on the subscriber thread (bbox sub --latency-out)")
	}
	var from bench.Stamp
	switch *co {
	case "on":
		from = bench.FromSource
	case "off":
		from = bench.FromSend
	default:
		return usageErr(e, c, "--co %q: want on or off", *co)
	}
	if process && from == bench.FromSend {
		return usageErr(e, c, "--co off: --mode process measures from the scheduled send time only (the baselines carry no send stamp)")
	}
	atWorker := false
	switch *at {
	case "sub":
	case "worker":
		atWorker = true
	default:
		return usageErr(e, c, "--at %q: want sub or worker", *at)
	}
	if *shards < 1 || *shards > 64 {
		return usageErr(e, c, "--shards %d: want 1..64", *shards)
	}
	if *nworkers < 1 || *nworkers > 4096 {
		return usageErr(e, c, "--workers %d: want 1..4096", *nworkers)
	}
	if *duration <= 0 {
		return usageErr(e, c, "--duration %v: want a positive duration", *duration)
	}
	if *interval < 10*time.Millisecond {
		return usageErr(e, c, "--interval %v: want at least 10ms", *interval)
	}
	if *sweep {
		if *sla <= 0 {
			return usageErr(e, c, "--sla %v: want a positive duration", *sla)
		}
		if !(*factor > 1.01) {
			return usageErr(e, c, "--sweep-factor %v: want more than 1.01", *factor)
		}
		if sweepMax == 0 || float64(sweepMax) < float64(rate) {
			return usageErr(e, c, "--sweep-max %v: want a rate of at least --rate %v", sweepMax.String(), rate.String())
		}
		if float64(sweepMin) > float64(rate) {
			return usageErr(e, c, "--sweep-min %v: want a rate of at most --rate %v", sweepMin.String(), rate.String())
		}
	}
	if process && len(baseline) == 0 {
		baseline = listFlag{"tcp", "libzmq", "libzmq64"}
	}
	var paths []bench.Path
	for _, b := range baseline {
		if b == "none" {
			continue
		}
		p := bench.Path(b)
		switch {
		case p == bench.PathTCP:
		case p == bench.PathZMQ4 && !process:
		case (p == bench.PathLibZMQ || p == bench.PathLibZMQ64) && process:
		default:
			if process {
				return usageErr(e, c, "--baseline %q: want tcp, libzmq, libzmq64 or none with --mode process", b)
			}
			return usageErr(e, c, "--baseline %q: want tcp, zmq4 or none in-process (libzmq needs --mode process)", b)
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	cpuList, err := cpuPlan(*cpus, *shards)
	if err != nil {
		return usageErr(e, c, "--cpus: %v", err)
	}
	o := benchOpts{
		load: bench.LoadConfig{Rate: float64(rate), Duration: *duration, From: from, Shards: *shards, Partitions: *partitions,
			Workers: *nworkers, AtWorker: atWorker, CPUs: cpuList, Linger: *linger, FrameSize: *frameSize,
			Size: *size, Symbols: *symbols, Seed: *seed, RcvBuf: *rcvbuf, SndBuf: *sndbuf, Interval: *interval,
			Cores: len(tuning.Online()), Warmup: *warmup},
		out: *out, asJSON: *asJSON, sweep: *sweep, sla: *sla, factor: *factor, sweepMax: float64(sweepMax), sweepMin: float64(sweepMin),
		refine: *refine, baselines: paths, verbose: *verbose, process: process, rates: ladder,
		interrupt: func() bool { return ctx.Err() != nil },
	}
	if process {
		// bbox sub's own default (unpinned) unless --cpus was given: a
		// thread pinned to a core that other work holds cannot move away.
		subCPUs := "none"
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "cpus" {
				subCPUs = *cpus
			}
		})
		if subCPUs == "none" {
			o.load.CPUs = nil // for the summary's shard lines
		}
		if code := o.setupProcess(e, c, subCPUs); code >= 0 {
			return code
		}
	}
	if o.refine == 0 {
		o.refine = -1 // the flag's 0 means none; the library's 0 means its default
	}
	vl := o.load
	if vl.Rate == 0 {
		vl.Rate = 1 // max: Validate wants a fixed rate, which process mode does not need
	}
	if err := vl.Validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	log, stopOps, opsCode, opsOK := ops.start(ctx, e, c)
	if !opsOK {
		return opsCode
	}
	defer stopOps()
	if o.verbose {
		o.load.Logf = log.Logf
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return fail(e, c, fmt.Errorf("--out: %w", err))
		}
	}
	var human io.Writer = e.stdout
	if o.asJSON {
		human = e.stderr
	}
	if e.stderrTTY {
		human = &breakFirst{w: human}
	}
	var s *benchSummary
	switch {
	case o.sweep:
		s, err = runSweep(ctx, &o, log, human)
	case len(o.rates) > 0:
		s, err = runLadder(ctx, &o, log, human)
	default:
		s, err = runFixed(ctx, &o, log, human)
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "bbox bench: interrupted before anything was measured: %v\n", err)
			return exitError
		}
		return fail(e, c, err)
	}
	if s.Interrupted {
		log.Logf("bbox bench: interrupted; the reports hold what was measured until then")
	}
	if o.asJSON {
		writeJSON(e.stdout, s)
	}
	return exitOK
}

// describe says in one line what a run measures.
func (o *benchOpts) describe(path bench.Path) string {
	l := o.load
	where := "the subscriber thread"
	if l.AtWorker {
		where = "the worker"
	}
	from := "its scheduled send time (coordinated omission corrected: --co on)"
	if l.From == bench.FromSend {
		from = "its actual send time (--co off: a stalled sender hides latency)"
	}
	if o.process {
		return o.describeProcess(path, from)
	}
	switch path {
	case bench.PathTCP:
		return "plain Go TCP over loopback (length-prefixed records, bufio), latency from " + from
	case bench.PathZMQ4:
		return "naive zmq4 PUB→SUB over loopback (one record per message), latency from " + from
	}
	return fmt.Sprintf("bbox over loopback (%s → %s → %s), latency from %s to %s",
		plural(l.Shards, "shard", "shards"), plural(l.Shards, "subscriber thread", "subscriber threads"), plural(l.Workers, "worker", "workers"), from, where)
}

func (o *benchOpts) fromText() string {
	if o.load.From == bench.FromSend {
		return "send time"
	}
	return "scheduled send time"
}

func (o *benchOpts) measuredAt() string {
	if o.load.AtWorker {
		return "worker"
	}
	return "subscriber thread"
}

// runPath runs one path at o's load, logging each interval and writing
// its interval log as it goes.
func runPath(ctx context.Context, o *benchOpts, log *logger, f *bench.OutDir, path bench.Path, rate float64, logName string) (*bench.LoadResult, error) {
	cfg := o.load
	cfg.Path, cfg.Rate = path, rate
	log.Logf("%s: %s/s for %v: %s", path, bench.FormatTarget(cfg.Rate), cfg.Duration, o.describe(path))
	if o.process {
		return runProcessPath(ctx, o, log, f, cfg, logName)
	}
	// The log's header needs the start time; intervals are stamped with
	// absolute times, so opening it just before the run is exact enough.
	hl, err := f.OpenHlog(logName, fmt.Sprintf("bbox bench path=%s rate=%.0f duration=%v latency_from=%s measured_at=%s",
		path, cfg.Rate, cfg.Duration, cfg.From, strings.ReplaceAll(o.measuredAt(), " ", "_")), time.Now())
	if err != nil {
		return nil, err
	}
	cfg.OnInterval = func(iv bench.IntervalStat, h *hdrhistogram.Histogram) {
		hl.Add(h, "")
		lat := "(nothing arrived)"
		if iv.Received > 0 {
			lat = fmt.Sprintf("p50 %8s  p99 %8s  max %8s", bench.FormatMicros(iv.Latency.P50),
				bench.FormatMicros(iv.Latency.P99), bench.FormatMicros(iv.Latency.Max))
		}
		log.Logf("  [%5.1fs] sent %8s/s  received %8s/s  %s", iv.End, words.Rate(iv.SendRate()), words.Rate(iv.RecvRate()), lat)
	}
	cfg.OnInterval = log.benchInterval(path, cfg.OnInterval)
	res, err := bench.RunLoad(ctx, cfg)
	if cerr := hl.Close(); err == nil {
		err = cerr
	}
	return res, err
}

func runFixed(ctx context.Context, o *benchOpts, log *logger, human io.Writer) (*benchSummary, error) {
	f := &bench.OutDir{Dir: o.out}
	res, err := runPath(ctx, o, log, f, bench.PathBBox, o.load.Rate, "latency.hlog")
	if err != nil {
		return nil, err
	}
	runtime.GC() // the next path should not pay for this one's garbage
	var bases []*bench.LoadResult
	for _, p := range o.baselines {
		if o.interrupt() {
			break
		}
		b, err := runPath(ctx, o, log, f, p, o.load.Rate, string(p)+".hlog")
		if err != nil {
			if o.interrupt() {
				break
			}
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		bases = append(bases, b)
		runtime.GC()
	}
	s := o.summarize(res)
	s.Interrupted = o.interrupt()
	cols := []bench.Column{{Name: "bbox", Hist: res.Hist}}
	curves := []bench.Curve{{Name: "bbox", Hist: res.Hist}}
	s.Ratios = bench.Ratios(res, bases)
	for _, b := range bases {
		name := string(b.Config.Path)
		cols = append(cols, bench.Column{Name: name, Hist: b.Hist})
		curves = append(curves, bench.Curve{Name: name, Hist: b.Hist})
		bj := b.JSON()
		bj.CPU, bj.Warmup = b.CPU, bench.WarmupOf(b)
		s.Baselines = append(s.Baselines, bj)
		for _, w := range b.Warnings {
			s.Warnings = append(s.Warnings, name+" baseline: "+w)
		}
	}
	s.Warnings = append(s.Warnings, o.skipped...)

	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench%s: %s records/s for %v; latency from each record's %s to the %s%s\n",
		o.modeText(), bench.FormatTarget(o.load.Rate), o.load.Duration, o.fromText(), o.measuredAt(), o.warmupText())
	if err := bench.WriteTable(&report, cols); err != nil {
		return nil, err
	}
	fmt.Fprintf(&report, "  throughput: bbox sent %s/s (target %s/s), received %s/s", words.Rate(res.AchievedRate()),
		bench.FormatTarget(o.load.Rate), words.Rate(res.Throughput()))
	for _, b := range bases {
		fmt.Fprintf(&report, "; %s sent %s/s, received %s/s", b.Config.Path, words.Rate(b.AchievedRate()), words.Rate(b.Throughput()))
	}
	fmt.Fprintf(&report, "\n  published %s   received %s   lost %s   gaps %d\n", commas(s.RecordsPublished), commas(s.RecordsReceived), commas(s.RecordsLost), s.Gaps)
	bench.WriteWarmupLines(&report, append([]*bench.LoadResult{res}, bases...))
	bench.WriteCPULines(&report, append([]*bench.LoadResult{res}, bases...))
	for _, sh := range s.Shards {
		fmt.Fprintf(&report, "  shard %d  %12s records", sh.ID, commas(sh.Records))
		if sh.CPU >= 0 {
			fmt.Fprintf(&report, "   subscriber thread on cpu %d", sh.CPU)
		}
		fmt.Fprintln(&report)
	}
	for _, w := range s.Workers {
		fmt.Fprintf(&report, "  worker %d %12s records\n", w.ID, commas(w.Records))
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&report, "  warning: %s\n", w)
	}

	notes := []string{o.describe(bench.PathBBox), fmt.Sprintf("%s records/s for %v, %d-byte records; %s", bench.FormatTarget(o.load.Rate),
		o.load.Duration, o.load.Size, time.Now().Format(time.RFC3339))}
	if err := f.WriteRunFiles(res, bases, report.Bytes(), curves, notes); err != nil {
		return nil, err
	}
	if err := finish(f, s, report.Bytes(), human, "  (add --out DIR for the .hgrm, interval log, plots and JSON)\n"); err != nil {
		return nil, err
	}
	return s, nil
}

// finish ends a run the same way for a fixed rate and a sweep: it writes
// summary.json (whose files list is what was written before it), sets
// s.Files to every file, prints the report and then the files written,
// or noFiles if there are none.
func finish(f *bench.OutDir, s *benchSummary, report []byte, human io.Writer, noFiles string) error {
	if err := f.Write("summary.json", func(w io.Writer) error { s.Files = f.Names; writeJSON(w, s); return nil }); err != nil {
		return err
	}
	s.Files = f.Names
	human.Write(report)
	if len(f.Names) > 0 {
		fmt.Fprintf(human, "  wrote %s\n", strings.Join(f.Names, ", "))
	} else {
		io.WriteString(human, noFiles)
	}
	return nil
}

// summarize fills the CLI.md summary from the bbox path's result.
func (o *benchOpts) summarize(res *bench.LoadResult) *benchSummary {
	s := &benchSummary{
		summary: summary{
			Command: "bench", RecordsPublished: res.Published, RecordsReceived: res.Received, RecordsLost: res.Lost,
			Gaps: res.Gaps, ThroughputRPS: res.Throughput(), LatencyUS: res.Latency(), Seconds: res.Elapsed.Seconds(),
			FramesMalformed: res.Malformed, Shards: []shardSummary{}, Workers: []workers.WorkerStats{},
			Warnings: append([]string(nil), res.Warnings...),
		},
		TargetRate: o.load.Rate, DurationS: o.load.Duration.Seconds(), LatencyFrom: o.load.From.String(),
		MeasuredAt: o.measuredAt(), SentRPS: res.AchievedRate(), Intervals: res.Intervals, Warmup: bench.WarmupOf(res),
		Mode: o.modeName(), CPU: res.CPU, Interrupted: res.Interrupted,
		Topology: benchTopology{Shards: o.load.Shards, Partitions: res.Partitions, Workers: o.load.Workers,
			CPUs: o.load.CPUs, Cores: o.load.Cores, Size: o.load.Size},
	}
	for _, sh := range res.Shards {
		cpu := -1
		if len(o.load.CPUs) > 0 {
			cpu = o.load.CPUs[sh.ID%len(o.load.CPUs)]
		}
		s.Shards = append(s.Shards, shardSummary{ID: sh.ID, Records: sh.Records, CPU: cpu})
	}
	for _, w := range res.Workers {
		s.Workers = append(s.Workers, workers.WorkerStats{ID: w.ID, Records: w.Records, Batches: w.Batches})
	}
	return s
}

func runSweep(ctx context.Context, o *benchOpts, log *logger, human io.Writer) (*benchSummary, error) {
	f := &bench.OutDir{Dir: o.out}
	hl, err := f.OpenHlog("sweep.hlog", fmt.Sprintf("bbox bench sweep sla=%v duration=%v latency_from=%s; one tag per path and rate",
		o.sla, o.load.Duration, o.load.From), time.Now())
	if err != nil {
		return nil, err
	}
	var tag string
	sweepOne := func(path bench.Path) (*bench.SweepResult, error) {
		lc := o.load
		lc.Path = path
		lc.OnInterval = log.benchInterval(path, func(iv bench.IntervalStat, h *hdrhistogram.Histogram) { hl.Add(h, tag) })
		log.Logf("sweep %s: from %s/s, ×%g per step, up to %s/s or until p99 > %v: %s", path, words.Rate(lc.Rate), o.factor,
			words.Rate(o.sweepMax), o.sla, o.describe(path))
		return bench.Sweep(ctx, bench.SweepConfig{Load: lc, Factor: o.factor, Max: o.sweepMax, Min: o.sweepMin, SLA: o.sla, Refine: o.refine,
			OnStart: func(rate float64) { tag = fmt.Sprintf("%s-%.0f", path, rate) },
			OnStep: func(st bench.SweepStep) {
				l := st.Latency
				verdict := "holds"
				if !st.OK {
					verdict = "breaks: " + st.Reason
				}
				log.Logf("  %s %9s/s: sent %9s/s  p50 %8s  p99 %8s  p99.9 %8s  lost %s  %s", path, words.Rate(st.Rate),
					words.Rate(st.Result.AchievedRate()), bench.FormatMicros(l.P50), bench.FormatMicros(l.P99),
					bench.FormatMicros(l.P999), commas(st.Result.Lost), verdict)
				runtime.GC()
			}})
	}
	bb, err := sweepOne(bench.PathBBox)
	if err != nil {
		hl.Close()
		return nil, err
	}
	curves := []bench.SweepCurve{{Name: "bbox", Result: bb}}
	if len(bb.Steps) == 0 {
		hl.Close()
		return nil, ctx.Err()
	}
	for _, p := range o.baselines {
		if o.interrupt() {
			break
		}
		r, err := sweepOne(p)
		if err != nil {
			hl.Close()
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		curves = append(curves, bench.SweepCurve{Name: string(p), Result: r})
	}
	if err := hl.Close(); err != nil {
		return nil, err
	}

	// The CLI.md keys describe the best step (the last one if none held).
	pick := bb.Pick()
	s := o.summarize(pick.Result)
	s.TargetRate = pick.Rate
	s.Intervals = nil
	s.Interrupted = o.interrupt()
	s.Sweep, s.Ratios = bench.SweepSummary(curves, o.sla)
	s.Warnings = bench.SweepWarnings(curves, s.Warnings)

	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench --sweep: %v per rate, SLA p99 ≤ %v, latency from each record's %s to the %s\n",
		o.load.Duration, o.sla, o.fromText(), o.measuredAt())
	if err := bench.WriteSweepReport(&report, curves, s.Warnings); err != nil {
		return nil, err
	}
	notes := []string{o.describe(bench.PathBBox), fmt.Sprintf("%v per rate, %d-byte records; %s", o.load.Duration, o.load.Size, time.Now().Format(time.RFC3339))}
	if err := f.WriteSweepFiles(report.Bytes(), curves, notes, o.sla); err != nil {
		return nil, err
	}
	if err := finish(f, s, report.Bytes(), human, ""); err != nil {
		return nil, err
	}
	return s, nil
}
