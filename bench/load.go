package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// Path is what carries a load run's records from sender to receiver.
type Path string

const (
	// PathBBox is the real pipeline: publisher → one PUB endpoint per
	// shard → pinned subscriber threads → worker pool, over loopback TCP.
	PathBBox Path = "bbox"
	// PathTCP is plain Go TCP: length-prefixed records through bufio,
	// flushed whenever the sender has nothing more due. It is the floor a
	// messaging layer is measured against.
	PathTCP Path = "tcp"
	// PathZMQ4 is zmq4's own PUB and SUB sockets, one record per message:
	// the naive way to use zmq4.
	PathZMQ4 Path = "zmq4"
)

// ParsePath parses a path name.
func ParsePath(s string) (Path, error) {
	switch p := Path(s); p {
	case PathBBox, PathTCP, PathZMQ4:
		return p, nil
	}
	return "", fmt.Errorf("path %q: want bbox, tcp or zmq4", s)
}

// LoadConfig shapes a fixed-rate load run. Zero values are documented
// defaults; Rate and Duration are required.
type LoadConfig struct {
	// Path is what carries the records. "" means PathBBox.
	Path Path
	// Rate is the target in records per second. Required.
	Rate float64
	// Duration is how long records are sent. Required.
	Duration time.Duration
	// From is the stamp latency is measured from. The zero value,
	// FromSend, hides sender stalls; FromSource measures from each
	// record's scheduled send time and is what an honest run uses.
	From Stamp
	// Shards is the number of shards (bbox path). 0 means 1.
	Shards int
	// Partitions is the total partition count (bbox path). 0 means 4 per shard.
	Partitions int
	// Workers is the in-process worker count (bbox path). 0 means 1.
	Workers int
	// AtWorker records latency in each worker as it takes a batch instead
	// of on the subscriber thread (bbox path): end to end, including
	// the dispatch queue.
	AtWorker bool
	// CPUs pins subscriber thread i to CPUs[i % len(CPUs)] (bbox path).
	// nil leaves them unpinned.
	CPUs []int
	// Linger and FrameSize are the publisher's (0: its defaults).
	Linger    time.Duration
	FrameSize int
	// Size, Symbols and Seed shape the synthetic feed (0: its defaults,
	// 100-byte records over 1000 symbols, seed 0).
	Size    int
	Symbols int
	Seed    uint64
	// RcvBuf and SndBuf set SO_RCVBUF/SO_SNDBUF on every socket (bbox
	// path); 0 keeps the kernel's default.
	RcvBuf, SndBuf int
	// Idle is what each subscriber thread does while it waits for data
	// (bbox path; shard.SubConfig.Idle). The zero value parks; in process
	// mode it must be one of the named strategies (bbox sub --idle).
	Idle shard.IdleStrategy
	// Interval is the length of one interval histogram. 0 means 1s.
	Interval time.Duration
	// Warmup is the start of the run whose latencies are kept apart
	// (LoadResult.WarmupHist) and left out of Hist: connections, caches
	// and the runtime settle there. It counts from the first record's
	// stamp and is part of Duration. 0 means none.
	Warmup time.Duration
	// Drain bounds the wait for records still in flight after sending
	// stops. 0 means 5s.
	Drain time.Duration
	// Cores is how many cores the run may use, for the warning when the
	// topology wants more. 0 means runtime.NumCPU().
	Cores int
	// OnInterval, if set, is called from the collecting goroutine once
	// per interval (and once for the tail after sending stops) with the
	// interval's histogram, valid only during the call. It must not block
	// for long: the next interval waits.
	OnInterval func(iv IntervalStat, h *hdrhistogram.Histogram)
	// Logf receives operational messages. nil discards them.
	Logf func(format string, args ...any)

	// beforeNext, a test hook, runs before each chunk the sender takes
	// from the generator: a place to stall the sender.
	beforeNext func()
}

func (c LoadConfig) withDefaults() LoadConfig {
	if c.Path == "" {
		c.Path = PathBBox
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.Drain == 0 {
		c.Drain = 5 * time.Second
	}
	if c.Cores == 0 {
		c.Cores = runtime.NumCPU()
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Validate reports the first unusable field, naming it.
func (c LoadConfig) Validate() error {
	if _, err := ParsePath(string(c.withDefaults().Path)); err != nil {
		return err
	}
	switch {
	case !(c.Rate > 0) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("rate %v: want a positive number of records per second", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v: want a positive duration", c.Duration)
	case c.Shards < 0 || c.Shards > 64:
		return fmt.Errorf("shards %d outside [1, 64]", c.Shards)
	case c.Workers < 0 || c.Workers > 4096:
		return fmt.Errorf("workers %d outside [1, 4096]", c.Workers)
	case c.Interval < 0 || c.Drain < 0:
		return errors.New("interval and drain must not be negative")
	case c.Warmup < 0 || c.Warmup >= c.Duration:
		return fmt.Errorf("warmup %v: want at least 0 and less than the duration %v", c.Warmup, c.Duration)
	}
	g := c.gen()
	return g.Validate()
}

func (c LoadConfig) gen() feed.GenConfig {
	return feed.GenConfig{Symbols: c.Symbols, Size: c.Size, Seed: c.Seed, Rate: c.Rate, Cycle: feed.DefaultCycle}
}

// IntervalStat summarises one interval of a run.
type IntervalStat struct {
	Start     float64     `json:"start_s"` // seconds since the run started
	End       float64     `json:"end_s"`
	Published int64       `json:"published"` // records sent in the interval
	Received  int64       `json:"received"`  // latencies recorded in the interval
	Latency   Percentiles `json:"latency_us"`
	// SendUnknown is set when the interval comes from a receiver in
	// another process, which does not know what was sent when.
	SendUnknown bool `json:"-"`
}

// SendRate and RecvRate are the interval's rates in records per second.
func (iv IntervalStat) SendRate() float64 { return float64(iv.Published) / max(iv.End-iv.Start, 1e-9) }
func (iv IntervalStat) RecvRate() float64 { return float64(iv.Received) / max(iv.End-iv.Start, 1e-9) }

// Count is one shard's or worker's record count (and, for a worker, the
// batches it took).
type Count struct {
	ID      int   `json:"id"`
	Records int64 `json:"records"`
	Batches int64 `json:"batches,omitempty"`
}

// LoadResult is the outcome of one load run.
type LoadResult struct {
	Config    LoadConfig    // with defaults filled in
	Start     time.Time     // when sending started
	Sending   time.Duration // how long sending took
	Elapsed   time.Duration // until the last record arrived or the drain gave up
	Published int64
	Received  int64
	Lost      int64 // published, not received (in one process we know exactly)
	Gaps      int64 // sequence gaps the subscriber saw (bbox path)
	Malformed int64 // frames the subscriber rejected (bbox path)
	Clamped   int64 // latencies above the histogram's range
	// Hist holds every latency in ns after the warm-up, merged from the
	// receiving threads; WarmupHist the warm-up's (empty without one).
	Hist       *hdrhistogram.Histogram
	WarmupHist *hdrhistogram.Histogram
	Intervals  []IntervalStat
	Shards     []Count
	Workers    []Count
	// SockBufCapped counts socket-buffer requests the kernel cut down.
	SockBufCapped int64
	// Partitions is the publisher's partition count (bbox path).
	Partitions int
	// Threads is how many busy threads the topology runs: senders,
	// subscriber threads, workers.
	Threads  int
	Warnings []string
	// CPU is each child process's CPU time (process mode).
	CPU []ProcCPU
	// Interrupted is set when the caller's context ended the run early.
	Interrupted bool
}

// AchievedRate is records sent per second of sending.
func (r *LoadResult) AchievedRate() float64 {
	return float64(r.Published) / max(r.Sending.Seconds(), 1e-9)
}

// Throughput is records received per second of sending.
func (r *LoadResult) Throughput() float64 {
	return float64(r.Received) / max(r.Sending.Seconds(), 1e-9)
}

// Latency is the run's summary percentiles in µs.
func (r *LoadResult) Latency() Percentiles { return Summarize(r.Hist) }

// RateShortfall is how far below the target a run may send before it is
// reported as not having reached it.
const RateShortfall = 0.03

func (r *LoadResult) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// interrupted warns of an interrupted run.
func (r *LoadResult) interrupted() {
	if r.Interrupted {
		r.warn("interrupted after %.1fs of %v: the figures are what was measured until then", r.Sending.Seconds(), r.Config.Duration)
	}
}

// checks adds the warnings every run gets.
func (r *LoadResult) checks() {
	c := r.Config
	if got := r.AchievedRate(); c.Rate > 0 && !r.Interrupted && got < c.Rate*(1-RateShortfall) {
		r.warn("target rate not reached: sent %.0f records/s of %.0f (%.0f%%); the sender fell behind its schedule, so latencies from the schedule include that backlog",
			got, c.Rate, 100*got/c.Rate)
	}
	if r.Threads > c.Cores {
		r.warn("the topology wants %d busy threads (%s) but this box has %d cores: threads share cores and latency shows it",
			r.Threads, r.threadList(), c.Cores)
	}
	if r.SockBufCapped > 0 {
		r.warn("the kernel capped %d socket-buffer requests (SO_RCVBUF %d, SO_SNDBUF %d bytes): raise net.core.rmem_max and net.core.wmem_max",
			r.SockBufCapped, c.RcvBuf, c.SndBuf)
	}
	if r.Clamped > 0 {
		r.warn("%d latencies were above the histogram's range (%v) and recorded at its top", r.Clamped, time.Duration(maxValue))
	}
	if r.Lost > 0 {
		r.warn("%d of %d records were lost", r.Lost, r.Published)
	}
}

// threads is how many busy threads c's topology runs; threadList names them.
func (c LoadConfig) threads() int {
	if c.Path != PathBBox {
		return 2
	}
	return 1 + c.Shards + c.Workers
}

func (r *LoadResult) threadList() string {
	c := r.Config
	if c.Path != PathBBox {
		return "1 sender, 1 receiver"
	}
	return "1 publisher, " + words.Count(c.Shards, "subscriber thread", "subscriber threads") + ", " + words.Count(c.Workers, "worker", "workers")
}

// RunLoad sends records at cfg.Rate for cfg.Duration through cfg.Path and
// measures every record's latency. It returns when every record has
// arrived or the drain time has passed.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	gen, err := feed.NewGenerator(cfg.gen())
	if err != nil {
		return nil, err
	}
	var src pacedSource = gen
	if cfg.beforeNext != nil {
		src = hookedSource{gen, cfg.beforeNext}
	}
	res := &LoadResult{Config: cfg, Threads: cfg.threads()}
	switch cfg.Path {
	case PathTCP:
		return runTCP(ctx, res, src)
	case PathZMQ4:
		return runZMQ4(ctx, res, src)
	}
	return runBBox(ctx, res, src)
}

// pacedSource is what a run sends: the paced generator, or the test hook
// around it. Its clock starts at the first Next.
type pacedSource interface {
	feed.Source
	feed.Pender
}

// collector turns the recorder's values into interval histograms once
// per interval, off the receiving threads.
type collector struct {
	cfg       LoadConfig
	rec       *Recorder
	published func() int64
	start     time.Time
	last      time.Time
	lastPub   int64
	ivs       []IntervalStat
	stop      chan struct{}
	done      chan struct{}
}

func newCollector(cfg LoadConfig, rec *Recorder, published func() int64) *collector {
	return &collector{cfg: cfg, rec: rec, published: published, stop: make(chan struct{}), done: make(chan struct{})}
}

// begin anchors interval 0 at start and starts ticking.
func (c *collector) begin(start time.Time) {
	c.start, c.last = start, start
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.take(time.Now())
			}
		}
	}()
}

func (c *collector) take(now time.Time) {
	h := c.rec.Interval()
	pub := c.published()
	h.SetStartTimeMs(c.last.UnixMilli())
	h.SetEndTimeMs(now.UnixMilli())
	iv := IntervalStat{
		Start: c.last.Sub(c.start).Seconds(), End: now.Sub(c.start).Seconds(),
		Published: pub - c.lastPub, Received: h.TotalCount(), Latency: Summarize(h),
	}
	c.ivs = append(c.ivs, iv)
	if c.cfg.OnInterval != nil {
		c.cfg.OnInterval(iv, h)
	}
	c.last, c.lastPub = now, pub
}

// finish stops the ticker and takes the tail as a last interval, unless
// nothing was sent or received in it: an empty tail (the drain after the
// last record, often a few ms) would show as a collapse to 0 at the end
// of the timeline.
func (c *collector) finish() []IntervalStat {
	close(c.stop)
	<-c.done
	if c.rec.pendingEmpty() && c.published() == c.lastPub {
		return c.ivs
	}
	c.take(time.Now())
	return c.ivs
}

func runBBox(ctx context.Context, res *LoadResult, src pacedSource) (*LoadResult, error) {
	cfg := res.Config
	var subCounters zmqx.Counters
	conn := zmqx.Options{RcvBuf: cfg.RcvBuf, SndBuf: cfg.SndBuf, Logf: cfg.Logf}
	subConn := conn
	subConn.Stats = &subCounters
	slots := cfg.Shards
	if cfg.AtWorker {
		slots = cfg.Workers
	}
	rec := NewRecorder(slots, cfg.From)
	rec.SetWarmup(cfg.Warmup)
	sc := shard.SubConfig{CPUs: cfg.CPUs, ExitOnEOS: true, Conn: subConn, Name: "bench", Logf: cfg.Logf, Idle: cfg.Idle}
	if !cfg.AtWorker {
		sc.Observe = rec.Observe
	}
	pool := workers.PoolConfig{Workers: cfg.Workers, NewHandler: func(id int) workers.Handler {
		h := workers.NewSymbolStats()
		if !cfg.AtWorker {
			return h
		}
		return workers.HandlerFunc(func(recs []feed.Record) {
			rec.Observe(id, time.Now().UnixNano(), recs)
			h.Handle(recs)
		})
	}}
	loop, err := pipeline.Start(ctx, pipeline.LoopConfig{
		Shards: cfg.Shards,
		Pub: shard.PubConfig{Partitions: cfg.Partitions, Linger: cfg.Linger, FrameSize: cfg.FrameSize,
			Conn: conn, Logf: cfg.Logf},
		Receiver: pipeline.ReceiverConfig{Sub: sc, Pool: pool},
		Drain:    cfg.Drain,
		Logf:     func(format string, args ...any) { cfg.Logf("bench: "+format, args...) },
	})
	if err != nil {
		return nil, err
	}
	defer loop.Close()
	pub, sub := loop.Publisher(), loop.Receiver().Subscriber()
	res.Partitions = pub.Router().Partitions()

	col := newCollector(cfg, rec, func() int64 { return pub.Stats().Records })
	res.Start = time.Now()
	col.begin(res.Start)
	run, perr := loop.Run(ctx, src, cfg.Duration)
	res.Sending = run.Sending
	res.Elapsed = time.Since(res.Start)
	res.Intervals = col.finish()
	if perr != nil {
		return nil, perr
	}
	res.Interrupted = ctx.Err() != nil
	if run.SubErr != nil {
		return nil, run.SubErr
	}

	ps, ss := pub.Stats(), sub.Stats()
	res.Published, res.Received = ps.Records, ss.Received
	res.Lost = max(ss.Lost, ps.Records-ss.Received)
	res.Gaps, res.Malformed = ss.Gaps, ss.Malformed
	res.Hist, res.WarmupHist = rec.Merged(), rec.MergedWarmup()
	res.Clamped = rec.Clamped()
	for _, s := range ss.Shards {
		res.Shards = append(res.Shards, Count{ID: s.ID, Records: s.Records})
	}
	for _, w := range loop.Receiver().WorkerStats() {
		res.Workers = append(res.Workers, Count{ID: w.ID, Records: w.Records, Batches: w.Batches})
	}
	res.SockBufCapped = subCounters.SockBufCapped.Load()
	for _, s := range ps.Shards {
		res.SockBufCapped += s.SockBufCapped
	}
	res.interrupted()
	if ps.DroppedRecords > 0 {
		res.warn("the publisher dropped %d records for a subscriber over its high-water mark", ps.DroppedRecords)
	}
	res.checks()
	return res, nil
}

// pacedSender runs src until ctx ends, handing each due chunk to send and
// calling flush when nothing more is due (smart batching, as the bbox
// publisher does), counting what it sent in sent.
func pacedSender(ctx context.Context, src pacedSource, sent *atomic.Int64, send func(recs []feed.Record) error, flush func() error) error {
	var b feed.Batch
	for {
		b.Reset()
		err := src.Next(ctx, &b)
		if b.Len() > 0 {
			now := time.Now().UnixNano()
			for i := range b.Recs {
				b.Recs[i].SendTS = now
			}
			if serr := send(b.Recs); serr != nil {
				return serr
			}
			sent.Add(int64(b.Len()))
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if !src.Pending() {
			if ferr := flush(); ferr != nil {
				return ferr
			}
		}
	}
}

// hookedSource runs a hook before each Next of a generator.
type hookedSource struct {
	*feed.Generator
	before func()
}

func (h hookedSource) Next(ctx context.Context, b *feed.Batch) error {
	h.before()
	return h.Generator.Next(ctx, b)
}
