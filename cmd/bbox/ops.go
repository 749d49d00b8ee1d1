package main

// The operations flags every long-running command shares: --metrics
// (Prometheus), --pprof, --metrics-linger and --log-format. A command
// registers them with one call and starts them with another; collectors
// are added through the logger, which every part already holds.

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

func (o *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on http://ADDR/metrics (e.g. 127.0.0.1:9464; port 0 picks one and logs it)")
	fs.BoolVar(&o.pprof, "pprof", false, "also serve /debug/pprof on the --metrics address")
	fs.DurationVar(&o.linger, "metrics-linger", 0, "after the summary, keep serving the final metrics this long before exiting, so a scraper reads the final counts (SIGINT/SIGTERM ends it)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log lines as text (date time LEVEL component: message) or json (one slog object per line)")
}

// start makes the command's logger, logs notes (what --config set) and,
// with --metrics, starts serving (metrics.ServeLogged). ok is false after
// a usage error (printed; exit with code); a negative --metrics-linger
// never gets here (parse refuses every negative duration). stop must be
// called before the command returns: it holds the final metrics for
// --metrics-linger, closes the server and flushes rate-limited log lines.
func (o *opsFlags) start(ctx context.Context, e *env, c *command, notes ...string) (log *logger, stop func(), code int, ok bool) {
	format, err := termlog.ParseFormat(o.logFormat)
	if err != nil {
		return nil, nil, usageErr(e, c, "--log-format %v", err), false
	}
	if o.pprof && o.metrics == "" {
		return nil, nil, usageErr(e, c, "--pprof serves on the --metrics address: give --metrics ADDR too"), false
	}
	log = newLogger(e, c, format)
	if o.metrics != "" {
		srv, err := metrics.ServeLogged(metrics.ServerConfig{Addr: o.metrics, Command: c.name, Pprof: o.pprof}, log.With("metrics").Slog().Handler())
		if err != nil {
			return nil, nil, fail(e, c, fmt.Errorf("--metrics %s: %w", o.metrics, err)), false
		}
		log.ops = srv
		log.Logf("%s", srv)
	}
	for _, n := range notes {
		log.Logf("%s", n)
	}
	return log, func() {
		log.ops.Stop(ctx, o.linger, log.Logf)
		log.Flush()
	}, 0, true
}

// addMetrics registers collectors with the command's registry (a no-op
// without --metrics). A collector that clashes with one already there is
// a programming error and is logged, not fatal.
func (l *logger) addMetrics(cs ...prometheus.Collector) {
	if l != nil {
		l.ops.RegisterEach(func(err error) { l.Logf("warning: metrics: %v", err) }, cs...)
	}
}

// benchInterval wraps a bench run's OnInterval so the run's intervals are
// also served as metrics (bbox_bench_*, labelled by path).
func (l *logger) benchInterval(path bench.Path, next bench.IntervalFunc) bench.IntervalFunc {
	if l == nil || l.ops == nil {
		return next
	}
	f, err := l.ops.BenchInterval(fmt.Sprint(path), next)
	if err != nil {
		l.Logf("warning: metrics: %v", err)
	}
	return f
}
