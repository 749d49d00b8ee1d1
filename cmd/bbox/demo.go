package main

import (
	"context"
	"io"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/metrics"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "run the whole pipeline in one process (synthetic feed → shards → pinned subscribers → workers) and summarise",
		usage:   "[flags]",
		run:     runDemo,
	})
}

// The embedded default: the Guide's typical feed (100k records/s of about
// 100 bytes) over two shards on loopback, each subscriber thread pinned to
// its own core, two workers.
const (
	demoRate     = 100000
	demoDuration = 5 * time.Second
	demoShards   = 2
)

func runDemo(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	rate := cli.Rate(demoRate)
	fs.Var(&rate, "rate", "records per second, or max for full speed")
	duration := fs.Duration("duration", demoDuration, "how long to publish")
	shards := fs.Int("shards", demoShards, "number of shards (one PUB endpoint, one subscriber thread each)") // 1..64: cli.BBox's shards rule
	partitions := fs.Int("partitions", 0, "total partitions (0: 4 per shard)")
	nworkers := fs.Int("workers", 2, "in-process workers")
	order := fs.String("order", "none", "worker dispatch: none (whole batches, least busy worker) or topic (per-topic order)")
	symbols := fs.Int("symbols", 1000, "distinct symbols in the synthetic feed")
	size := fs.Int("size", 100, "mean record size on the wire, bytes")
	seed := fs.Uint64("seed", 1, "seed of the synthetic feed")
	cpus := fs.String("cpus", "auto", "subscriber thread cores: auto (thread i on core i), none, or a list like 0,1")
	maxDelay := fs.Duration("max-delay", 0, "croak when a record is older than this (0: no check)")
	work := fs.Duration("work", 0, "time each record's handler spends (plays a slow subscriber)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	recoverFlag := fs.String("recover", "window", "recover gaps from the publisher's rewind window (window) or count them lost (off)")
	var lf liveFlags
	lf.register(fs)
	var cf connFlags
	cf.register(fs)
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	if *duration <= 0 {
		return usageErr(e, c, "--duration %v: want a positive duration", *duration)
	}
	recMode, err := shard.ParseRecoverMode(*recoverFlag)
	if err != nil || recMode == shard.RecoverArchive {
		return usageErr(e, c, "--recover %q: want window or off", *recoverFlag)
	}
	ord, _ := workers.ParseOrder(*order)           // held to none or topic by cli.BBox's rule
	cpuList, _ := tuning.ShardCPUs(*cpus, *shards) // auto, none or a list cli.BBox's cpus rule has parsed
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		gc := feed.GenConfig{Symbols: *symbols, Size: *size, Seed: *seed, Rate: float64(rate)}
		gen, err := feed.NewGenerator(gc)
		if err != nil {
			return usageErr(e, c, "%v", err)
		}
		if !*asJSON || e.stderrTTY {
			log.Say(report.DemoBanner(gc, *duration, *shards, *nworkers))
		}
		// The layout checked as bbox sub's setup checks it, without restricting
		// the process: the same layout gets the same one warning in both.
		plan, err := tuning.PlanBox(tuning.BoxConfig{Shards: *shards, ShardCPUs: cpuList, Workers: *nworkers})
		if err != nil {
			return fail(e, c, cpuUsage(err))
		}
		plan.LogWarnings(log.Logf)

		pcfg := shard.PubConfig{Partitions: *partitions, Conn: cf.options(log), Logf: log.Logf}
		if rate == 0 {
			pcfg = pipeline.FullSpeed(pcfg) // lossless: the pipeline's pace is the answer
		}
		sc := shard.SubConfig{CPUs: cpuList, MaxDelay: *maxDelay, ExitOnEOS: true,
			Conn: cf.options(log), Name: "demo", Recover: recMode}
		if err := lf.apply(&sc); err != nil {
			return usageErr(e, c, "%v", err)
		}
		rec := bench.NewRecorder(*shards, bench.FromSend)
		rc := log.receiving(pipeline.ReceiverConfig{Sub: sc, Pool: workers.PoolConfig{Workers: *nworkers, Order: ord, Work: *work}}, rec)
		// An interrupted demo stops the publisher, not the subscriber: its
		// end-of-stream lets the subscriber take what is in flight, so only
		// real loss is counted (pipeline.Loop).
		loop, err := pipeline.Start(ctx, pipeline.LoopConfig{Shards: *shards, Pub: pcfg, Receiver: rc,
			Drain: 10 * time.Second, InterruptDrain: 3 * time.Second, Logf: log.Logf})
		if err != nil {
			return fail(e, c, err)
		}
		defer loop.Close()
		pub, rx := loop.Publisher(), loop.Receiver()
		log.addMetrics(append(log.ops.Receiver(rx, rec.Visit), metrics.Publisher(pub.Stats))...)
		var run pipeline.Result
		var perr error
		log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return report.PipelineStatus(el, loop, r.Of) },
			func() { run, perr = loop.Run(ctx, gen, *duration) })
		if perr != nil {
			return fail(e, c, perr)
		}
		if run.SubErr != nil && rx.Croak() == nil {
			return fail(e, c, run.SubErr)
		}
		s := report.FinishLoop("demo", loop, run, report.Measured{Latency: rec, Warnings: plan.Warnings})
		printSummary(e, *asJSON, func(w io.Writer) { report.WriteHuman(w, &s, run.Sending) }, func() any { return s })
		return exitFor(s.Croaked)
	})
}
