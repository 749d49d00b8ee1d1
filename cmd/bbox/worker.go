package main

import (
	"context"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/metrics"
	"github.com/bbox-dev/bbox/workers"
)

func init() {
	register(&command{
		name:    "worker",
		summary: "a worker process: pull batches from subscribers (bbox sub --push) and handle them",
		usage:   "--connect EP[,EP...] [flags]",
		run:     runWorker,
	})
}

func runWorker(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	var connect cli.List
	fs.Var(&connect, "connect", "subscribers' --push endpoints (repeatable or comma-separated)")
	exitOnEOS := fs.Bool("exit-on-eos", false, "exit once every endpoint has sent end-of-stream")
	eosWait := fs.Duration("eos-wait", 10*time.Second, "with --exit-on-eos: give up on a subscriber that hung up before its end-of-stream and stays unreachable this long; 0: wait for it forever")
	work := fs.Duration("work", 0, "time each record's handler spends (plays a slow worker)")
	credit := fs.Int("credit", 64, "batches each subscriber may send ahead of what this worker has handled (its credit window)") // at least 1: cli.BBox's rule
	tapPath := fs.String("tap", "", "write one line per handled record (publisher epoch shard partition seq topic) to this file")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM or --exit-on-eos)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	var cf connFlags
	cf.register(fs)
	var cfgFile configFlag // --connect from the topology's [workers] endpoint
	cfgFile.register(fs)
	notes, code, ok := cfgFile.parse(e, c, fs, args)
	if !ok {
		return code
	}
	if len(connect) == 0 {
		return usageErr(e, c, "--connect is required")
	}
	return ops.run(ctx, e, c, notes, func(log *logger) int {
		tap, closeTap, err := workers.CreateTap(*tapPath, false)
		if err != nil {
			return fail(e, c, fmt.Errorf("--tap: %w", err))
		}
		defer closeTap()
		h := workers.NewSymbolStats()
		w, err := workers.NewWorker(workers.WorkerConfig{Connect: connect, ExitOnEOS: *exitOnEOS, EOSWait: *eosWait, Work: *work, Credit: *credit, Tap: tap,
			Conn: cf.options(log), Logf: log.Logf}, h)
		if err != nil {
			return usageErr(e, c, "%v", err)
		}
		log.addMetrics(metrics.WorkerProcess(w.Stats))
		rctx, cancel := withDuration(ctx, *duration)
		defer cancel()
		var sum workers.WorkerSummary
		log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return w.StatusLine(el, r.Rate) },
			func() { sum, err = w.RunSummary(rctx, h) })
		if err != nil {
			return fail(e, c, err)
		}
		printReport(e, *asJSON, &sum)
		return exitFor(sum.Croaked)
	})
}
