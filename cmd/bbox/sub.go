package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

func init() {
	register(&command{
		name:    "sub",
		summary: "subscribe to shard endpoints (one pinned thread each), check age and sequence, hand records to workers",
		usage:   "--connect EP[,EP...] [flags]",
		run:     runSub,
	})
}

func runSub(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	var connect, topics, parts cli.List
	fs.Var(&connect, "connect", "publisher shard endpoints, one per shard (comma-separated or repeated)")
	fs.Var(&topics, "topics", "keep only records whose topic starts with one of these prefixes (comma-separated)")
	fs.Var(&parts, "partitions", "subscribe only to these partitions (comma-separated numbers; default all)")
	maxDelay := fs.Duration("max-delay", 0, "largest record age tolerated (now − send time); 0 disables the check")
	onLate := fs.String("on-late", "croak", "what a record over --max-delay does: croak (squawk and exit 3) or warn (squawk, count, go on)")
	maxGap := fs.Int64("max-gap", -1, "croak on a sequence gap larger than this many records (-1: count gaps, never croak)")
	warmup := fs.Duration("warmup", 0, "do not check ages during this start-up grace period")
	clockOffset := fs.Duration("clock-offset", 0, "how far the publisher's clock runs ahead of this box's (subtracted from ages)")
	nworkers := fs.Int("workers", 2, "in-process workers (ignored with --push)")
	push := fs.String("push", "", "serve batches on this endpoint to worker processes (bbox worker --connect) instead of in-process workers")
	redeliver := fs.Bool("redeliver", false, "with --push: re-send a dropped worker's unacknowledged batches to the others (at-least-once) instead of counting them lost")
	workerTimeout := fs.Duration("worker-timeout", 5*time.Second, "with --push: drop a worker that acknowledges nothing for this long while it holds batches")
	waitWorkers := fs.Int("wait-workers", 0, "with --push: before subscribing, wait until this many bbox worker processes can take batches, so the first records do not wait for them")
	waitTimeout := fs.Duration("wait-timeout", 30*time.Second, "give up waiting for --wait-workers after this long (exit 1)")
	order := fs.String("order", "none", "worker dispatch: none (whole batches, least busy worker) or topic (per-topic order)")
	work := fs.Duration("work", 0, "time each record's handler spends (plays a slow subscriber)")
	cpus := fs.String("cpus", "none", "pin shard thread i to these cores: a list like 2,3, auto, or none") // cli.BBox's rule checks it, on the command line and in --config
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM or, with --exit-on-eos, end of stream)")
	var eos eosFlags
	eos.register(fs, "exit")
	tapPath := fs.String("tap", "", "write one line per handled record (publisher epoch shard partition seq topic) to this file (in-process workers)")
	tapPayload := fs.Bool("tap-payload", false, "add each record's payload, in hex, as the last field of --tap lines")
	alert := fs.String("alert", "", alertUsage)
	name := fs.String("name", "", "this subscriber's name in squawks (default sub-PID)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	var lf liveFlags
	var rf recoverySubFlags
	rf.register(fs)
	var latf latencyFlags
	latf.register(fs)
	lf.register(fs)
	var cf connFlags
	cf.register(fs)
	var cfgFile configFlag
	cfgFile.register(fs)
	var box boxFlags
	box.register(fs, true)
	notes, code, ok := cfgFile.parse(e, c, fs, args)
	if !ok {
		return code
	}
	if len(connect) == 0 {
		return usageErr(e, c, "--connect is required (one endpoint per shard)")
	}
	if *waitWorkers > 0 && *push == "" {
		return usageErr(e, c, "--wait-workers waits for worker processes: it needs --push")
	}
	if *tapPath != "" && *push != "" {
		return usageErr(e, c, "--tap taps in-process workers; with --push, give --tap to each bbox worker")
	}
	policy, _ := shard.ParseLatePolicy(*onLate)         // held to croak or warn by cli.BBox's rule
	ord, _ := workers.ParseOrder(*order)                // and to none or topic
	cpuList, _ := tuning.ShardCPUs(*cpus, len(connect)) // auto, none or a list cli.BBox's cpus rule has parsed
	partList, err := shard.ParsePartitions(parts)
	if err != nil {
		return usageErr(e, c, "--partitions: %v", err)
	}
	if *name == "" {
		*name = fmt.Sprintf("sub-%d", os.Getpid())
	}
	// Every usage error before ops.run starts anything (metrics, logs).
	sc := shard.SubConfig{
		Connect: connect, Partitions: partList, Topics: topics, CPUs: cpuList,
		MaxDelay: *maxDelay, OnLate: policy, Warmup: *warmup, ClockOffset: *clockOffset,
		GapCroak: *maxGap >= 0, MaxGap: uint64(max(*maxGap, 0)),
		Conn: cf.options(nil), Name: *name,
	}
	if err := lf.apply(&sc); err != nil {
		return usageErr(e, c, "%v", err)
	}
	if err := rf.apply(&sc); err != nil {
		return usageErr(e, c, "%v", err)
	}
	eos.apply(&sc)
	if err := sc.Validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	return ops.run(ctx, e, c, notes, func(log *logger) int {
		sc.Conn = cf.options(log)
		log.Infof("%s", sc.RecoveryText())
		if sc.Idle != shard.IdlePark && len(cpuList) == 0 {
			log.Logf("--idle %s without --cpus: a polling thread that is not pinned to a core of its own takes CPU from everything else on the box", lf.idle)
		}
		busyWorkers := *nworkers
		if *push != "" {
			busyWorkers = 0
		}
		boxWarnings, err := box.setup(log, &cf, len(connect), cpuList, busyWorkers)
		if err != nil {
			return fail(e, c, err)
		}
		// What the sockets were refused (capped buffers among them).
		var sockStats zmqx.Counters
		sc.Conn.Stats = &sockStats
		publishAlert, closeAlerts, err := openAlerts(*alert, log, &cf)
		if err != nil {
			return fail(e, c, err)
		}
		// Runs before the process exits, so a croak's event reaches consoles.
		defer closeAlerts()
		tap, closeTap, err := workers.CreateTap(*tapPath, *tapPayload)
		if err != nil {
			return fail(e, c, fmt.Errorf("--tap: %w", err))
		}
		defer closeTap()
		rec, latLog, err := bench.SubRecorder(latf.SubLatencyConfig, len(connect))
		if err != nil {
			return fail(e, c, fmt.Errorf("--latency-out: %w", err))
		}
		rc := log.receiving(pipeline.ReceiverConfig{Sub: sc, Alert: publishAlert,
			Pool: workers.PoolConfig{Workers: *nworkers, Order: ord, Work: *work, Tap: tap}}, rec)
		if *push != "" {
			rc.Push = &workers.PushConfig{Bind: *push, Order: ord, Conn: sc.Conn, Logf: log.Logf, Redeliver: *redeliver, AckTimeout: *workerTimeout}
			rc.WaitWorkers, rc.WaitTimeout = *waitWorkers, *waitTimeout
		}
		rx, err := pipeline.NewReceiver(rc)
		if err != nil {
			latLog.Close()
			return fail(e, c, err)
		}
		log.addMetrics(log.ops.Receiver(rx, rec.Visit)...)
		if d := rx.Dispatcher(); d != nil {
			log.Logf("serving workers on %s", d.Endpoint())
		}
		rctx, cancel := withDuration(ctx, *duration)
		defer cancel()
		var runErr error
		elapsed := log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return report.ReceiverStatus(el, rx, r.Of) },
			func() { runErr = rx.Run(rctx) })
		if err := latLog.Close(); err != nil {
			return fail(e, c, err)
		}
		if runErr != nil && rx.Croak() == nil {
			return fail(e, c, runErr)
		}
		// A signal (not --duration, not end-of-stream) ended the run.
		s := report.Finish("sub", rx, report.Measured{Latency: rec, Elapsed: elapsed, Interrupted: ctx.Err() != nil,
			Warnings: boxWarnings, Capped: tuning.SockBufCappedWarning(sockStats.SockBufCapped.Load())})
		printSummary(e, *asJSON, func(w io.Writer) { report.WriteHuman(w, &s, elapsed) }, func() any { return s })
		return exitFor(s.Croaked)
	})
}
