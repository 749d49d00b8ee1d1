package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "fixed-rate load through the pipeline: latency histograms, percentile table, .hgrm, interval log, plots (bbox bench compare A.json B.json: before/after)",
		usage:   "[flags] | bbox bench compare A.json B.json",
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
	Files       []string             `json:"files,omitempty"`
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
	c := commands["bench"]
	fs := newFlags(e, c)
	var ops opsFlags
	ops.register(fs)
	rate := rateFlag(100000)
	fs.Var(&rate, "rate", "target records per second (100000, 100k, 1M); with --sweep, the first rate (if it breaks the SLA, the ladder goes down)")
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
	fs.Var(&baseline, "baseline", "also run these paths with the same load, for ratios in the same report: tcp (plain Go TCP), zmq4 (naive zmq4 PUB/SUB)")
	shards := fs.Int("shards", 1, "shards: PUB endpoints and subscriber threads")
	partitions := fs.Int("partitions", 0, "total partitions (0: 4 per shard)")
	nworkers := fs.Int("workers", 1, "in-process workers behind the subscriber threads")
	at := fs.String("at", "sub", "where latency is recorded: sub (each subscriber thread, as it decodes a frame) or worker (each worker, as it takes a batch)")
	cpus := fs.String("cpus", "auto", "subscriber thread cores: auto (thread i on core i), none, or a list like 0,1")
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
	if rate == 0 {
		return usageErr(e, c, "--rate max: bench needs a fixed rate (records per second); use --sweep to find the highest rate that holds")
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
	var paths []bench.Path
	for _, b := range baseline {
		p, err := bench.ParsePath(b)
		if err != nil || p == bench.PathBBox {
			return usageErr(e, c, "--baseline %q: want tcp or zmq4", b)
		}
		paths = append(paths, p)
	}
	cpuList, err := cpuPlan(*cpus, *shards)
	if err != nil {
		return usageErr(e, c, "--cpus: %v", err)
	}
	o := benchOpts{
		load: bench.LoadConfig{Rate: float64(rate), Duration: *duration, From: from, Shards: *shards, Partitions: *partitions,
			Workers: *nworkers, AtWorker: atWorker, CPUs: cpuList, Linger: *linger, FrameSize: *frameSize,
			Size: *size, Symbols: *symbols, Seed: *seed, RcvBuf: *rcvbuf, SndBuf: *sndbuf, Interval: *interval,
			Cores: len(tuning.Online())},
		out: *out, asJSON: *asJSON, sweep: *sweep, sla: *sla, factor: *factor, sweepMax: float64(sweepMax), sweepMin: float64(sweepMin),
		refine: *refine, baselines: paths, verbose: *verbose,
	}
	if o.refine == 0 {
		o.refine = -1 // the flag's 0 means none; the library's 0 means its default
	}
	if err := o.load.Validate(); err != nil {
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
	human := e.stdout
	if o.asJSON {
		human = e.stderr
	}
	var s *benchSummary
	if o.sweep {
		s, err = runSweep(ctx, &o, log, human)
	} else {
		s, err = runFixed(ctx, &o, log, human)
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "bbox bench: interrupted\n")
			return exitError
		}
		return fail(e, c, err)
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
	switch path {
	case bench.PathTCP:
		return "plain Go TCP over loopback (length-prefixed records, bufio), latency from " + from
	case bench.PathZMQ4:
		return "naive zmq4 PUB→SUB over loopback (one record per message), latency from " + from
	}
	return fmt.Sprintf("bbox over loopback (%d shard(s) → %d subscriber thread(s) → %d worker(s)), latency from %s to %s",
		l.Shards, l.Shards, l.Workers, from, where)
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

// files collects what a run wrote, for the report and the summary.
type files struct {
	dir   string
	names []string
}

func (f *files) path(name string) string { return filepath.Join(f.dir, name) }

// write creates dir/name with what fill writes; errors name the file.
func (f *files) write(name string, fill func(w io.Writer) error) error {
	if f.dir == "" {
		return nil
	}
	p := f.path(name)
	fh, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := fill(fh); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	f.names = append(f.names, p)
	return nil
}

// hlog is an interval log being written during a run.
type hlog struct {
	fh   *os.File
	log  *bench.IntervalLog
	err  error
	path string
}

func openHlog(f *files, name, comment string, start time.Time) (*hlog, error) {
	if f.dir == "" {
		return &hlog{}, nil
	}
	p := f.path(name)
	fh, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	l, err := bench.NewIntervalLog(fh, start, comment)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return &hlog{fh: fh, log: l, path: p}, nil
}

func (h *hlog) add(hist *hdrhistogram.Histogram, tag string) {
	if h.log == nil || h.err != nil {
		return
	}
	hist.SetTag(tag)
	if err := h.log.Write(hist); err != nil {
		h.err = fmt.Errorf("writing %s: %w", h.path, err)
	}
}

func (h *hlog) close(f *files) error {
	if h.fh == nil {
		return nil
	}
	err := h.fh.Close()
	if h.err != nil {
		return h.err
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", h.path, err)
	}
	f.names = append(f.names, h.path)
	return nil
}

// runPath runs one path at o's load, logging each interval and writing
// its interval log as it goes.
func runPath(ctx context.Context, o *benchOpts, log *logger, f *files, path bench.Path, logName string) (*bench.LoadResult, error) {
	cfg := o.load
	cfg.Path = path
	log.Logf("%s: %s/s for %v: %s", path, bench.FormatRate(cfg.Rate), cfg.Duration, o.describe(path))
	// The log's header needs the start time; intervals are stamped with
	// absolute times, so opening it just before the run is exact enough.
	hl, err := openHlog(f, logName, fmt.Sprintf("bbox bench path=%s rate=%.0f duration=%v latency_from=%s measured_at=%s",
		path, cfg.Rate, cfg.Duration, cfg.From, strings.ReplaceAll(o.measuredAt(), " ", "_")), time.Now())
	if err != nil {
		return nil, err
	}
	cfg.OnInterval = func(iv bench.IntervalStat, h *hdrhistogram.Histogram) {
		hl.add(h, "")
		lat := "(nothing arrived)"
		if iv.Received > 0 {
			lat = fmt.Sprintf("p50 %8s  p99 %8s  max %8s", bench.FormatMicros(iv.Latency.P50),
				bench.FormatMicros(iv.Latency.P99), bench.FormatMicros(iv.Latency.Max))
		}
		log.Logf("  [%5.1fs] sent %8s/s  received %8s/s  %s", iv.End, bench.FormatRate(iv.SendRate()), bench.FormatRate(iv.RecvRate()), lat)
	}
	cfg.OnInterval = log.benchInterval(path, cfg.OnInterval)
	res, err := bench.RunLoad(ctx, cfg)
	if cerr := hl.close(f); err == nil {
		err = cerr
	}
	return res, err
}

func runFixed(ctx context.Context, o *benchOpts, log *logger, human io.Writer) (*benchSummary, error) {
	f := &files{dir: o.out}
	res, err := runPath(ctx, o, log, f, bench.PathBBox, "latency.hlog")
	if err != nil {
		return nil, err
	}
	runtime.GC() // the next path should not pay for this one's garbage
	var bases []*bench.LoadResult
	for _, p := range o.baselines {
		b, err := runPath(ctx, o, log, f, p, string(p)+".hlog")
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		bases = append(bases, b)
		runtime.GC()
	}
	s := o.summarize(res)
	cols := []bench.Column{{Name: "bbox", Hist: res.Hist}}
	curves := []bench.Curve{{Name: "bbox", Hist: res.Hist}}
	s.Ratios = map[string]float64{}
	for _, b := range bases {
		name := string(b.Config.Path)
		cols = append(cols, bench.Column{Name: name, Hist: b.Hist})
		curves = append(curves, bench.Curve{Name: name, Hist: b.Hist})
		s.Baselines = append(s.Baselines, b.JSON())
		bl := b.Latency()
		if bl.P50 > 0 {
			s.Ratios["p50_vs_"+name] = s.LatencyUS.P50 / bl.P50
			s.Ratios["p99_vs_"+name] = s.LatencyUS.P99 / bl.P99
		}
		if b.Throughput() > 0 {
			s.Ratios["throughput_vs_"+name] = res.Throughput() / b.Throughput()
		}
		for _, w := range b.Warnings {
			s.Warnings = append(s.Warnings, name+" baseline: "+w)
		}
	}
	if len(s.Ratios) == 0 {
		s.Ratios = nil
	}

	var report bytes.Buffer
	fmt.Fprintf(&report, "\nbbox bench: %s records/s for %v; latency from each record's %s to the %s\n",
		bench.FormatRate(o.load.Rate), o.load.Duration, o.fromText(), o.measuredAt())
	if err := bench.WriteTable(&report, cols); err != nil {
		return nil, err
	}
	fmt.Fprintf(&report, "  throughput: bbox sent %s/s (target %s/s), received %s/s", bench.FormatRate(res.AchievedRate()),
		bench.FormatRate(o.load.Rate), bench.FormatRate(res.Throughput()))
	for _, b := range bases {
		fmt.Fprintf(&report, "; %s sent %s/s, received %s/s", b.Config.Path, bench.FormatRate(b.AchievedRate()), bench.FormatRate(b.Throughput()))
	}
	fmt.Fprintf(&report, "\n  published %s   received %s   lost %s   gaps %d\n", commas(s.RecordsPublished), commas(s.RecordsReceived), commas(s.RecordsLost), s.Gaps)
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

	notes := []string{o.describe(bench.PathBBox), fmt.Sprintf("%s records/s for %v, %d-byte records; %s", bench.FormatRate(o.load.Rate),
		o.load.Duration, o.load.Size, time.Now().Format(time.RFC3339))}
	if err := writeRunFiles(f, res, bases, report.Bytes(), curves, notes); err != nil {
		return nil, err
	}
	if err := f.finish(s, report.Bytes(), human, "  (add --out DIR for the .hgrm, interval log, plots and JSON)\n"); err != nil {
		return nil, err
	}
	return s, nil
}

// finish ends a run the same way for a fixed rate and a sweep: it writes
// summary.json (whose files list is what was written before it), sets
// s.Files to every file, prints the report and then the files written,
// or noFiles if there are none.
func (f *files) finish(s *benchSummary, report []byte, human io.Writer, noFiles string) error {
	if err := f.write("summary.json", func(w io.Writer) error { s.Files = f.names; writeJSON(w, s); return nil }); err != nil {
		return err
	}
	s.Files = f.names
	human.Write(report)
	if len(f.names) > 0 {
		fmt.Fprintf(human, "  wrote %s\n", strings.Join(f.names, ", "))
	} else {
		io.WriteString(human, noFiles)
	}
	return nil
}

func writeRunFiles(f *files, res *bench.LoadResult, bases []*bench.LoadResult, report []byte, curves []bench.Curve, notes []string) error {
	if err := f.write("table.txt", func(w io.Writer) error { _, err := w.Write(report); return err }); err != nil {
		return err
	}
	if err := f.write("latency.hgrm", func(w io.Writer) error { return bench.WriteHGRM(w, res.Hist) }); err != nil {
		return err
	}
	for _, b := range bases {
		if err := f.write(string(b.Config.Path)+".hgrm", func(w io.Writer) error { return bench.WriteHGRM(w, b.Hist) }); err != nil {
			return err
		}
	}
	if err := f.write("percentiles.svg", func(w io.Writer) error {
		return bench.WritePercentilePlot(w, "Latency by percentile", notes, curves, 0)
	}); err != nil {
		return err
	}
	return f.write("timeline.svg", func(w io.Writer) error {
		return bench.WriteTimelinePlot(w, "Throughput over time (bbox)", notes, res.Intervals, res.Config.Rate)
	})
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
		MeasuredAt: o.measuredAt(), SentRPS: res.AchievedRate(), Intervals: res.Intervals,
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
		s.Workers = append(s.Workers, workers.WorkerStats{ID: w.ID, Records: w.Records})
	}
	return s
}

func runSweep(ctx context.Context, o *benchOpts, log *logger, human io.Writer) (*benchSummary, error) {
	f := &files{dir: o.out}
	hl, err := openHlog(f, "sweep.hlog", fmt.Sprintf("bbox bench sweep sla=%v duration=%v latency_from=%s; one tag per path and rate",
		o.sla, o.load.Duration, o.load.From), time.Now())
	if err != nil {
		return nil, err
	}
	var tag string
	sweepOne := func(path bench.Path) (*bench.SweepResult, error) {
		lc := o.load
		lc.Path = path
		lc.OnInterval = log.benchInterval(path, func(iv bench.IntervalStat, h *hdrhistogram.Histogram) { hl.add(h, tag) })
		log.Logf("sweep %s: from %s/s, ×%g per step, up to %s/s or until p99 > %v: %s", path, bench.FormatRate(lc.Rate), o.factor,
			bench.FormatRate(o.sweepMax), o.sla, o.describe(path))
		return bench.Sweep(ctx, bench.SweepConfig{Load: lc, Factor: o.factor, Max: o.sweepMax, Min: o.sweepMin, SLA: o.sla, Refine: o.refine,
			OnStart: func(rate float64) { tag = fmt.Sprintf("%s-%.0f", path, rate) },
			OnStep: func(st bench.SweepStep) {
				l := st.Latency
				verdict := "holds"
				if !st.OK {
					verdict = "breaks: " + st.Reason
				}
				log.Logf("  %s %9s/s: sent %9s/s  p50 %8s  p99 %8s  p99.9 %8s  lost %d  %s", path, bench.FormatRate(st.Rate),
					bench.FormatRate(st.Result.AchievedRate()), bench.FormatMicros(l.P50), bench.FormatMicros(l.P99),
					bench.FormatMicros(l.P999), st.Result.Lost, verdict)
				runtime.GC()
			}})
	}
	bb, err := sweepOne(bench.PathBBox)
	if err != nil {
		hl.close(f)
		return nil, err
	}
	curves := []bench.SweepCurve{{Name: "bbox", Result: bb}}
	for _, p := range o.baselines {
		r, err := sweepOne(p)
		if err != nil {
			hl.close(f)
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		curves = append(curves, bench.SweepCurve{Name: string(p), Result: r})
	}
	if err := hl.close(f); err != nil {
		return nil, err
	}

	// The CLI.md keys describe the best step (the last one if none held).
	pick := bb.Best
	if pick == nil {
		pick = &bb.Steps[len(bb.Steps)-1]
	}
	s := o.summarize(pick.Result)
	s.TargetRate = pick.Rate
	s.Intervals = nil
	sj := &bench.SweepJSON{SLAUS: float64(o.sla) / 1e3, MaxRateUnder: bb.MaxRate(), Steps: bb.StepsJSON()}
	if bb.Broke != nil {
		sj.BrokeAt = bb.Broke.Rate
	}
	s.Ratios = map[string]float64{}
	for _, cv := range curves[1:] {
		sj.Baselines = append(sj.Baselines, bench.SweepPathJSON{Path: cv.Name, MaxRateUnder: cv.Result.MaxRate(), Steps: cv.Result.StepsJSON()})
		if cv.Result.MaxRate() > 0 {
			s.Ratios["max_rate_vs_"+cv.Name] = bb.MaxRate() / cv.Result.MaxRate()
		}
	}
	if len(s.Ratios) == 0 {
		s.Ratios = nil
	}
	s.Sweep = sj

	var report bytes.Buffer
	fmt.Fprintf(&report, "\nbbox bench --sweep: %v per rate, SLA p99 ≤ %v, latency from each record's %s to the %s\n",
		o.load.Duration, o.sla, o.fromText(), o.measuredAt())
	if err := bench.WriteSweepTable(&report, curves); err != nil {
		return nil, err
	}
	for _, cv := range curves[1:] {
		if b := cv.Result.MaxRate(); b > 0 && bb.MaxRate() > 0 {
			fmt.Fprintf(&report, "  bbox holds %.2fx the rate %s holds under the SLA\n", bb.MaxRate()/b, cv.Name)
		}
	}
	for _, st := range bb.Steps {
		for _, w := range st.Result.Warnings {
			if !strings.HasPrefix(w, "target rate not reached") && !strings.Contains(w, "were lost") && !slices.Contains(s.Warnings, w) {
				s.Warnings = append(s.Warnings, w)
			}
		}
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&report, "  warning: %s\n", w)
	}
	notes := []string{o.describe(bench.PathBBox), fmt.Sprintf("%v per rate, %d-byte records; %s", o.load.Duration, o.load.Size, time.Now().Format(time.RFC3339))}
	if err := f.write("sweep.txt", func(w io.Writer) error { _, err := w.Write(report.Bytes()); return err }); err != nil {
		return nil, err
	}
	if err := f.write("sweep.svg", func(w io.Writer) error {
		return bench.WriteSweepPlot(w, "Latency against rate", notes, curves, o.sla)
	}); err != nil {
		return nil, err
	}
	var pcurves []bench.Curve
	for _, st := range bb.Steps {
		name := fmt.Sprintf("bbox %s/s", bench.FormatRate(st.Rate))
		pcurves = append(pcurves, bench.Curve{Name: name, Hist: st.Result.Hist})
		if err := f.write(fmt.Sprintf("sweep-bbox-%.0f.hgrm", st.Rate), func(w io.Writer) error { return bench.WriteHGRM(w, st.Result.Hist) }); err != nil {
			return nil, err
		}
	}
	if err := f.write("percentiles.svg", func(w io.Writer) error {
		return bench.WritePercentilePlot(w, "Latency by percentile at each rate (bbox)", notes, pcurves, float64(o.sla)/1e3)
	}); err != nil {
		return nil, err
	}
	if err := f.finish(s, report.Bytes(), human, ""); err != nil {
		return nil, err
	}
	return s, nil
}

func runBenchCompare(e *env, args []string) int {
	c := &command{name: "bench compare", summary: "compare two bench JSON summaries (before/after a change)", usage: "[flags] A.json B.json"}
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the differences as one JSON object on the last line of stdout")
	maxRegress := fs.Float64("max-regress", 0, "exit 1 if p50, p90, p99, p99.9, the throughput or the max rate under the SLA got worse by more than this many percent (0: never; max and p99.99 are too noisy to gate on)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 {
		return usageErr(e, c, "want two JSON summaries (A is before, B after), got %d arguments", fs.NArg())
	}
	if *maxRegress < 0 {
		return usageErr(e, c, "--max-regress %v: want a percentage ≥ 0", *maxRegress)
	}
	var sums [2]*bench.RunSummary
	for i, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return fail(e, c, err)
		}
		if sums[i], err = bench.ParseSummary(name, data); err != nil {
			return fail(e, c, err)
		}
	}
	ds := bench.Compare(sums[0], sums[1])
	if len(ds) == 0 {
		return fail(e, c, errors.New("nothing to compare: one summary is a sweep and the other a fixed-rate run"))
	}
	human := e.stdout
	if *asJSON {
		human = e.stderr
	}
	fmt.Fprintf(human, "bbox bench compare: A = %s, B = %s\n", fs.Arg(0), fs.Arg(1))
	bench.WriteCompare(human, "A", "B", sums[0], sums[1], ds)
	var regress []string
	if *maxRegress > 0 {
		for _, d := range ds {
			judged := d.Unit == "us" && d.Metric != "max" && !strings.HasSuffix(d.Metric, "p99.99") || d.Unit == "rps"
			if judged && d.Better < 0 && d.A != 0 && math.Abs(d.Change) > *maxRegress {
				regress = append(regress, fmt.Sprintf("%s %+.1f%%", d.Metric, d.Change))
			}
		}
	}
	if *asJSON {
		writeJSON(e.stdout, map[string]any{"a": fs.Arg(0), "b": fs.Arg(1), "deltas": ds, "regressions": regress})
	}
	if len(regress) > 0 {
		fmt.Fprintf(e.stderr, "bbox bench compare: worse by more than %g%%: %s\n", *maxRegress, strings.Join(regress, ", "))
		return exitError
	}
	return exitOK
}
