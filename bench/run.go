package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/workers"
)

// Options is one `bbox bench` invocation: a fixed-rate run (the default),
// a sweep to the break point (Sweep) or a ladder of chosen rates (Rates),
// of bbox and its baselines, in this process or as separate processes
// (Process). Run measures it, writes its files into Out and prints its
// report to Human.
type Options struct {
	// Load is the load of every run; its Path and (in a sweep or a
	// ladder) its Rate are set per run. Rate 0 (as fast as it goes) needs
	// Process or a ladder of Rates.
	Load LoadConfig
	// Out is the directory the reports are written into (it must exist);
	// "" writes none.
	Out string
	// Sweep runs a ladder from Load.Rate up by Factor per step (to
	// SweepMax, or down to SweepMin when Load.Rate already breaks the
	// SLA) and reports the highest rate that holds p99 within SLA with no
	// loss; Refine is the bisection runs after it (0: none). In-process only.
	Sweep              bool
	SLA                time.Duration // also the mark of a ladder's table and plots
	Factor             float64
	SweepMax, SweepMin float64 // SweepMin 0: Load.Rate/1000
	Refine             int
	// Baselines also run with the same load, for ratios in the report:
	// PathTCP, and PathZMQ4 in-process or PathLibZMQ, PathLibZMQ64 in
	// process mode. A libzmq baseline that cannot be built is dropped,
	// with the reason in the warnings.
	Baselines []Path
	// Process runs bbox pub and bbox sub (Exe, this binary) as separate
	// processes, the baselines as processes too; SubCPUs is bbox sub's
	// core list ("": unpinned).
	Process bool
	Exe     string
	SubCPUs string
	// SubGoMaxProcs is bbox sub's GOMAXPROCS in process mode (0: its
	// default): 1 runs its reader and workers on one Go P, which on a box
	// whose cores the publisher shares saves the hand-off wake-ups.
	SubGoMaxProcs int
	// Rates is a ladder: bbox and every baseline at each rate in turn (0:
	// as fast as the sender goes, process mode only).
	Rates []float64

	// Human receives the report; Stderr a note on a baseline that cannot
	// run (nil: io.Discard for both).
	Human, Stderr io.Writer
	// Logf logs each run and its intervals as they go (nil: nothing).
	// It and Observe's functions are also called from the load's
	// interval goroutine, so they must be safe for that.
	Logf func(format string, args ...any)
	// Observe, if set, gives each in-process run of path a function that
	// is also called with every interval (bbox serves them as metrics);
	// it may return nil.
	Observe func(path Path) func(IntervalStat, *hdrhistogram.Histogram)
	// WriteJSON encodes the JSON summary of r into summary.json (nil:
	// no summary.json). The command owns the summary's shape: bench's
	// keys (Report.Summary) next to those every bbox summary has.
	WriteJSON func(w io.Writer, r *Report)
}

// Summary is bench's own keys of the JSON summary (CLI.md); the keys
// every bbox summary carries come from Report's other fields.
type Summary struct {
	TargetRate  float64            `json:"target_rate"`
	DurationS   float64            `json:"duration_s"`
	LatencyFrom string             `json:"latency_from"` // "schedule" (coordinated omission corrected) or "send"
	MeasuredAt  string             `json:"measured_at"`  // "subscriber thread" or "worker"
	SentRPS     float64            `json:"sent_rps"`
	Topology    Topology           `json:"topology"`
	Baselines   []PathResult       `json:"baselines,omitempty"`
	Ratios      map[string]float64 `json:"ratios,omitempty"`
	Sweep       *SweepJSON         `json:"sweep,omitempty"`
	Intervals   []IntervalStat     `json:"intervals,omitempty"`
	// Warmup is the start of the run left out of latency_us.
	Warmup *WarmupJSON `json:"warmup,omitempty"`
	// Mode is "inprocess" or "process"; Ladder is the Rates ladder.
	Mode   string      `json:"mode"`
	CPU    []ProcCPU   `json:"cpu,omitempty"` // process mode: each process's CPU time
	Ladder *LadderJSON `json:"ladder,omitempty"`
	Files  []string    `json:"files,omitempty"`
}

// Topology is the summary's description of the pipeline measured.
type Topology struct {
	Shards     int   `json:"shards"`
	Partitions int   `json:"partitions"`
	Workers    int   `json:"workers"`
	CPUs       []int `json:"cpus"`
	Cores      int   `json:"cores"`
	Size       int   `json:"record_size"`
}

// Report is what Run measured: the bbox run the summary's counts describe
// (a sweep's best step, a ladder's highest rate that held the SLA, else
// its last run) and bench's keys.
type Report struct {
	Summary
	Result   *LoadResult
	Shards   []ShardCount
	Workers  []workers.WorkerStats
	Warnings []string
	// Interrupted is set when ctx ended the run early: the figures are
	// what was measured until then.
	Interrupted bool
}

// ShardCount is one shard's records and its subscriber thread's core (-1:
// unpinned).
type ShardCount struct {
	ID      int
	Records int64
	CPU     int
}

// Validate reports the first option Run cannot use. Errors name the
// option, not a flag.
func (o *Options) Validate() error {
	l := o.Load
	if l.Rate == 0 && (o.Process || len(o.Rates) > 0) {
		l.Rate = 1 // as fast as it goes (or set per run): LoadConfig wants a fixed rate, which these runs do not need
	}
	if err := l.Validate(); err != nil {
		return err
	}
	_, idleNamed := o.Load.Idle.Name()
	switch {
	case o.Process && !idleNamed:
		return fmt.Errorf("idle strategy %+v: process mode passes it to bbox sub by name (park, yield or spin)", o.Load.Idle)
	case o.SubGoMaxProcs < 0:
		return fmt.Errorf("subscriber GOMAXPROCS %d: want 0 (its default) or more", o.SubGoMaxProcs)
	case o.SubGoMaxProcs > 0 && !o.Process:
		return errors.New("a subscriber GOMAXPROCS applies to process mode only (bbox sub is this process in-process)")
	case o.Process && o.Sweep:
		return errors.New("a sweep runs in-process; in process mode give a ladder of rates")
	case !o.Process && slices.Contains(o.Rates, 0):
		return errors.New("rate 0 (as fast as it goes) in a ladder needs process mode")
	case len(o.Rates) > 0 && o.Sweep:
		return errors.New("a ladder of rates and a sweep: give one")
	case o.Process && o.Load.AtWorker:
		return errors.New("process mode records latency on the subscriber thread, not the worker")
	case o.Process && o.Load.From == FromSend:
		return errors.New("process mode measures from the scheduled send time only")
	case o.Process && o.Exe == "":
		return errors.New("process mode needs Exe, the bbox binary")
	}
	for _, p := range o.Baselines {
		ok := p == PathTCP || (p == PathZMQ4 && !o.Process) || ((p == PathLibZMQ || p == PathLibZMQ64) && o.Process)
		if !ok {
			return fmt.Errorf("baseline %q: not a baseline in %s mode", p, o.modeName())
		}
	}
	if o.Sweep {
		switch {
		case o.SLA <= 0:
			return fmt.Errorf("SLA %v: want a positive duration", o.SLA)
		case !(o.Factor > 1.01):
			return fmt.Errorf("sweep factor %v: want more than 1.01", o.Factor)
		case o.SweepMax < o.Load.Rate:
			return fmt.Errorf("sweep max %v: want at least the first rate %v", o.SweepMax, o.Load.Rate)
		case o.SweepMin > o.Load.Rate:
			return fmt.Errorf("sweep min %v: want at most the first rate %v", o.SweepMin, o.Load.Rate)
		}
	}
	return nil
}

// Run validates o and measures it: the runs, their interval logs, the
// report printed to Human, the files in Out and summary.json. An error
// with nothing measured is returned as such (a run failed, or ctx ended
// first: then it says it was interrupted before anything was measured);
// an interrupted run that measured something returns its report with
// Interrupted set.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Human == nil {
		o.Human = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Process && o.SubCPUs == "" {
		o.Load.CPUs = nil // bbox sub runs unpinned: the summary's shards show no core
	}
	r := &runner{Options: o, ctx: ctx, out: &outDir{Dir: o.Out}}
	if o.Process {
		r.setupProcess()
	}
	var rep *Report
	var err error
	switch {
	case o.Sweep:
		rep, err = r.sweep()
	case len(o.Rates) > 0:
		rep, err = r.ladder()
	default:
		rep, err = r.fixed()
	}
	if err == nil && rep.Interrupted {
		r.Logf("bbox bench: interrupted; the reports hold what was measured until then")
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted before anything was measured: %w", err)
	}
	return rep, err
}

// runner is one Run: its options with the defaults filled in, and what
// it found out on the way.
type runner struct {
	Options
	ctx     context.Context
	out     *outDir
	env     procEnv  // what process mode starts
	skipped []string // baselines that could not run, and why
}

func (r *runner) interrupted() bool { return r.ctx.Err() != nil }

// setupProcess builds the libzmq baseline; a baseline that cannot run is
// dropped with the reason in r.skipped.
func (r *runner) setupProcess() {
	r.env = procEnv{Exe: r.Exe, CPUs: r.SubCPUs, GoMaxProcs: r.SubGoMaxProcs}
	wantZMQ := false
	for _, p := range r.Baselines {
		wantZMQ = wantZMQ || p == PathLibZMQ || p == PathLibZMQ64
	}
	if !wantZMQ {
		return
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	zmq, err := buildLibZMQ(filepath.Join(dir, "bbox"))
	if err != nil {
		var keep []Path
		for _, p := range r.Baselines {
			if p != PathLibZMQ && p != PathLibZMQ64 {
				keep = append(keep, p)
			}
		}
		r.Baselines = keep
		r.skipped = append(r.skipped, "libzmq baseline skipped: "+err.Error())
		fmt.Fprintf(r.Stderr, "bbox bench: libzmq baseline skipped: %v\n", err)
		return
	}
	r.env.ZMQ = zmq
}

// describe says in one line what a run of path measures.
func (o *Options) describe(path Path) string {
	l := o.Load
	where := "the subscriber thread"
	if l.AtWorker {
		where = "the worker"
	}
	from := "its scheduled send time (coordinated omission corrected: --co on)"
	if l.From == FromSend {
		from = "its actual send time (--co off: a stalled sender hides latency)"
	}
	if o.Process {
		return o.describeProcess(path, from)
	}
	switch path {
	case PathTCP:
		return "plain Go TCP over loopback (length-prefixed records, bufio), latency from " + from
	case PathZMQ4:
		return "naive zmq4 PUB→SUB over loopback (one record per message), latency from " + from
	}
	return fmt.Sprintf("bbox over loopback (%s → %s → %s), latency from %s to %s",
		words.Count(l.Shards, "shard", "shards"), words.Count(l.Shards, "subscriber thread", "subscriber threads"), words.Count(l.Workers, "worker", "workers"), from, where)
}

func (o *Options) describeProcess(path Path, from string) string {
	l := o.Load
	switch path {
	case PathTCP:
		return "plain TCP between two processes (bbox bench internal tcp-send → tcp-recv: bufio, length-prefixed records, a clock read per read), latency from " + from
	case PathLibZMQ:
		return "libzmq C PUB→SUB between two processes, one record per message, latency from " + from
	case PathLibZMQ64:
		return "libzmq C PUB→SUB between two processes, up to 64 records (those due) per message, latency from " + from
	}
	set := ""
	if o.SubGoMaxProcs > 0 {
		set = fmt.Sprintf(", bbox sub --gomaxprocs %d", o.SubGoMaxProcs)
	}
	return fmt.Sprintf("bbox pub → bbox sub as separate processes over loopback (%s, %s%s), latency from %s to the subscriber thread",
		words.Count(l.Shards, "shard", "shards"), words.Count(l.Workers, "worker", "workers"), set, from)
}

func (o *Options) fromText() string {
	if o.Load.From == FromSend {
		return "send time"
	}
	return "scheduled send time"
}

func (o *Options) measuredAt() string {
	if o.Load.AtWorker {
		return "worker"
	}
	return "subscriber thread"
}

func (o *Options) modeName() string {
	if o.Process {
		return "process"
	}
	return "inprocess"
}

func (o *Options) modeText() string {
	if o.Process {
		return " --mode process (separate processes)"
	}
	return ""
}

func (o *Options) warmupText() string {
	if o.Load.Warmup > 0 {
		return fmt.Sprintf("; the first %v is warm-up, left out of the figures", o.Load.Warmup)
	}
	return ""
}

// intervalLine is one interval of a run as the log shows it.
func intervalLine(iv IntervalStat) string {
	if iv.Received == 0 {
		return "(nothing arrived)"
	}
	return fmt.Sprintf("p50 %8s  p99 %8s  max %8s", formatMicros(iv.Latency.P50), formatMicros(iv.Latency.P99), formatMicros(iv.Latency.Max))
}

// runPath runs one path at rate, logging each interval and writing its
// interval log as logName as it goes.
func (r *runner) runPath(ctx context.Context, path Path, rate float64, logName string) (*LoadResult, error) {
	cfg := r.Load
	cfg.Path, cfg.Rate = path, rate
	r.Logf("%s: %s/s for %v: %s", path, formatTarget(cfg.Rate), cfg.Duration, r.describe(path))
	if r.Process {
		return r.runProcessPath(ctx, cfg, logName)
	}
	// The log's header needs the start time; intervals are stamped with
	// absolute times, so opening it just before the run is exact enough.
	hl, err := r.out.OpenHlog(logName, fmt.Sprintf("bbox bench path=%s rate=%.0f duration=%v latency_from=%s measured_at=%s",
		path, cfg.Rate, cfg.Duration, cfg.From, strings.ReplaceAll(r.measuredAt(), " ", "_")), time.Now())
	if err != nil {
		return nil, err
	}
	cfg.OnInterval = r.observe(path, func(iv IntervalStat, h *hdrhistogram.Histogram) {
		hl.Add(h, "")
		r.Logf("  [%5.1fs] sent %8s/s  received %8s/s  %s", iv.End, words.Rate(iv.SendRate()), words.Rate(iv.RecvRate()), intervalLine(iv))
	})
	res, err := RunLoad(ctx, cfg)
	if cerr := hl.Close(); err == nil {
		err = cerr
	}
	return res, err
}

// observe puts Observe's function for path (the metrics) before next.
func (r *runner) observe(path Path, next func(IntervalStat, *hdrhistogram.Histogram)) func(IntervalStat, *hdrhistogram.Histogram) {
	var obs func(IntervalStat, *hdrhistogram.Histogram)
	if r.Observe != nil {
		obs = r.Observe(path)
	}
	if obs == nil {
		return next
	}
	return func(iv IntervalStat, h *hdrhistogram.Histogram) {
		obs(iv, h)
		next(iv, h)
	}
}

func (r *runner) fixed() (*Report, error) {
	res, err := r.runPath(r.ctx, PathBBox, r.Load.Rate, "latency.hlog")
	if err != nil {
		return nil, err
	}
	runtime.GC() // the next path should not pay for this one's garbage
	var bases []*LoadResult
	for _, p := range r.Baselines {
		if r.interrupted() {
			break
		}
		b, err := r.runPath(r.ctx, p, r.Load.Rate, string(p)+".hlog")
		if err != nil {
			if r.interrupted() {
				break
			}
			return nil, fmt.Errorf("baseline %s: %w", p, err)
		}
		bases = append(bases, b)
		runtime.GC()
	}
	s := r.summarize(res)
	s.Interrupted = r.interrupted()
	cols := []column{{Name: "bbox", Hist: res.Hist}}
	curves := []curve{{Name: "bbox", Hist: res.Hist}}
	s.Ratios = ratios(res, bases)
	for _, b := range bases {
		name := string(b.Config.Path)
		cols = append(cols, column{Name: name, Hist: b.Hist})
		curves = append(curves, curve{Name: name, Hist: b.Hist})
		bj := b.JSON()
		bj.CPU, bj.Warmup = b.CPU, warmupOf(b)
		s.Baselines = append(s.Baselines, bj)
		for _, w := range b.Warnings {
			s.Warnings = append(s.Warnings, name+" baseline: "+w)
		}
	}
	s.Warnings = append(s.Warnings, r.skipped...)

	var report bytes.Buffer
	fmt.Fprintf(&report, "bbox bench%s: %s records/s for %v; latency from each record's %s to the %s%s\n",
		r.modeText(), formatTarget(r.Load.Rate), r.Load.Duration, r.fromText(), r.measuredAt(), r.warmupText())
	if err := writeTable(&report, cols); err != nil {
		return nil, err
	}
	fmt.Fprintf(&report, "  throughput: bbox sent %s/s (target %s/s), received %s/s", words.Rate(res.AchievedRate()),
		formatTarget(r.Load.Rate), words.Rate(res.Throughput()))
	for _, b := range bases {
		fmt.Fprintf(&report, "; %s sent %s/s, received %s/s", b.Config.Path, words.Rate(b.AchievedRate()), words.Rate(b.Throughput()))
	}
	fmt.Fprintf(&report, "\n  published %s   received %s   lost %s   gaps %d\n", words.Group(res.Published), words.Group(res.Received), words.Group(res.Lost), res.Gaps)
	writeWarmupLines(&report, append([]*LoadResult{res}, bases...))
	writeCPULines(&report, append([]*LoadResult{res}, bases...))
	for _, sh := range s.Shards {
		fmt.Fprintf(&report, "  shard %d  %12s records", sh.ID, words.Group(sh.Records))
		if sh.CPU >= 0 {
			fmt.Fprintf(&report, "   subscriber thread on cpu %d", sh.CPU)
		}
		fmt.Fprintln(&report)
	}
	for _, w := range s.Workers {
		fmt.Fprintf(&report, "  worker %d %12s records\n", w.ID, words.Group(w.Records))
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&report, "  warning: %s\n", w)
	}

	notes := []string{r.describe(PathBBox), fmt.Sprintf("%s records/s for %v, %d-byte records; %s", formatTarget(r.Load.Rate),
		r.Load.Duration, r.Load.Size, time.Now().Format(time.RFC3339))}
	if err := r.out.WriteRunFiles(res, bases, report.Bytes(), curves, notes); err != nil {
		return nil, err
	}
	if err := r.finish(s, report.Bytes(), "  (add --out DIR for the .hgrm, interval log, plots and JSON)\n"); err != nil {
		return nil, err
	}
	return s, nil
}

// finish ends a run the same way for a fixed rate, a sweep and a ladder:
// it writes summary.json (whose files list is what was written before
// it), sets s.Files to every file, prints the report and then the files
// written, or noFiles if there are none.
func (r *runner) finish(s *Report, report []byte, noFiles string) error {
	if r.WriteJSON != nil {
		if err := r.out.Write("summary.json", func(w io.Writer) error { s.Files = r.out.Names; r.WriteJSON(w, s); return nil }); err != nil {
			return err
		}
	}
	s.Files = r.out.Names
	r.Human.Write(report)
	if len(r.out.Names) > 0 {
		fmt.Fprintf(r.Human, "  wrote %s\n", strings.Join(r.out.Names, ", "))
	} else {
		io.WriteString(r.Human, noFiles)
	}
	return nil
}

// summarize fills the summary from the bbox path's result.
func (r *runner) summarize(res *LoadResult) *Report {
	l := r.Load
	s := &Report{
		Result: res, Shards: []ShardCount{}, Workers: []workers.WorkerStats{}, Warnings: append([]string(nil), res.Warnings...),
		Interrupted: res.Interrupted,
		Summary: Summary{TargetRate: l.Rate, DurationS: l.Duration.Seconds(), LatencyFrom: l.From.String(),
			MeasuredAt: r.measuredAt(), SentRPS: res.AchievedRate(), Intervals: res.Intervals, Warmup: warmupOf(res),
			Mode: r.modeName(), CPU: res.CPU,
			Topology: Topology{Shards: l.Shards, Partitions: res.Partitions, Workers: l.Workers, CPUs: l.CPUs, Cores: l.Cores, Size: l.Size}},
	}
	for _, sh := range res.Shards {
		cpu := -1
		if len(l.CPUs) > 0 {
			cpu = l.CPUs[sh.ID%len(l.CPUs)]
		}
		s.Shards = append(s.Shards, ShardCount{ID: sh.ID, Records: sh.Records, CPU: cpu})
	}
	for _, w := range res.Workers {
		s.Workers = append(s.Workers, workers.WorkerStats{ID: w.ID, Records: w.Records, Batches: w.Batches})
	}
	return s
}
