package main

// The operations flags every long-running command shares: --metrics
// (Prometheus), --pprof, --metrics-linger and --log-format. A command
// gets its flag set with them (newOpsFlags) and, past its flag checks,
// runs its body inside them (opsFlags.run), which starts and stops them
// the same way everywhere; collectors are added through the logger, which
// every part already holds.

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/metrics"
)

// opsFlags are the operations flags of a long-running command.
type opsFlags struct {
	metrics   string
	pprof     bool
	linger    time.Duration
	logFormat string
}

// newOpsFlags is newFlags for a long-running command: c's flag set with
// the operations flags registered on it.
func newOpsFlags(e *env, c *command) (*flag.FlagSet, *opsFlags) {
	fs, o := newFlags(e, c), &opsFlags{}
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on http://ADDR/metrics (e.g. 127.0.0.1:9464; port 0 picks one and logs it)")
	fs.BoolVar(&o.pprof, "pprof", false, "also serve /debug/pprof on the --metrics address")
	fs.DurationVar(&o.linger, "metrics-linger", 0, "after the summary, keep serving the final metrics this long before exiting, so a scraper reads the final counts (SIGINT/SIGTERM ends it)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log lines as text (date time LEVEL component: message) or json (one slog object per line)")
	return fs, o
}

// run makes the command's logger, logs notes (what --config set) and,
// with --metrics, starts serving (metrics.ServeLogged); then it runs body
// with the logger and returns body's exit code. Before anything starts,
// a usage error is printed and exits 2 (a negative --metrics-linger never
// gets here: parse refuses every negative duration). When body returns,
// run holds the final metrics for --metrics-linger, closes the server and
// flushes rate-limited log lines.
func (o *opsFlags) run(ctx context.Context, e *env, c *command, notes []string, body func(log *logger) int) int {
	format, err := termlog.ParseFormat(o.logFormat)
	if err != nil {
		return usageErr(e, c, "--log-format %v", err)
	}
	if o.pprof && o.metrics == "" {
		return usageErr(e, c, "--pprof serves on the --metrics address: give --metrics ADDR too")
	}
	log := newLogger(e, c, format)
	if o.metrics != "" {
		srv, err := metrics.ServeLogged(metrics.ServerConfig{Addr: o.metrics, Command: c.name, Pprof: o.pprof}, log.With("metrics").Slog().Handler())
		if err != nil {
			return fail(e, c, fmt.Errorf("--metrics %s: %w", o.metrics, err))
		}
		log.ops = srv
		log.Logf("%s", srv)
	}
	for _, n := range notes {
		log.Logf("%s", n)
	}
	defer func() {
		log.ops.Stop(ctx, o.linger, log.Logf)
		log.Flush()
	}()
	return body(log)
}

// addMetrics registers collectors with the command's registry (a no-op
// without --metrics). A collector that clashes with one already there is
// a programming error and is logged, not fatal.
func (l *logger) addMetrics(cs ...prometheus.Collector) {
	l.ops.RegisterEach(func(err error) { l.Logf("warning: metrics: %v", err) }, cs...)
}

// benchObserver serves a bench run's intervals on path as metrics too
// (bbox_bench_*, labelled by path): bench.Options.Observe. Without
// --metrics it observes nothing (nil).
func (l *logger) benchObserver(path bench.Path) bench.IntervalFunc {
	f, err := l.ops.BenchInterval(fmt.Sprint(path), nil)
	if err != nil {
		l.Logf("warning: metrics: %v", err)
	}
	return f
}
