package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/pubsource"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/metrics"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
)

func init() {
	register(&command{
		name:    "pub",
		summary: "publish a source sharded over --bind endpoints (one PUB endpoint per shard)",
		usage:   "--bind EP[,EP...] [--source gen] [flags]",
		run:     runPub,
	})
}

// pubFlags are the publisher settings shared by pub and replay.
type pubFlags struct {
	binds        cli.List
	partitions   int
	frameSize    int
	linger       time.Duration
	hwm          int
	writeTimeout time.Duration
	heartbeat    time.Duration
	waitSubs     int
	waitTimeout  time.Duration
	id           uint64
	alert        string
	slow         string
	conn         connFlags
	rec          recoveryPubFlags
}

// register registers the flags; slow is --slow's default.
func (p *pubFlags) register(fs *flag.FlagSet, slow string) {
	fs.Var(&p.binds, "bind", "shard endpoints, one per shard: tcp://HOST:PORT, tcp://DEV;HOST:PORT, ipc://PATH (comma-separated or repeated)")
	fs.IntVar(&p.partitions, "partitions", 0, "total partitions, the unit of sequencing and subscription (0: 4 per shard)")
	fs.IntVar(&p.frameSize, "frame-size", 64<<10, "batch frame size cap, bytes")
	fs.DurationVar(&p.linger, "linger", 200*time.Microsecond, "longest a record waits in a partly filled frame while the source keeps producing")
	fs.IntVar(&p.hwm, "hwm", 64<<20, "per-subscriber high-water mark, queued bytes; past it that subscriber's frames are dropped and counted")
	fs.DurationVar(&p.writeTimeout, "write-timeout", 2*time.Second, "disconnect a subscriber whose socket takes nothing for this long")
	fs.DurationVar(&p.heartbeat, "heartbeat", time.Second, "idle partitions announce their next sequence this often (negative: off)")
	fs.IntVar(&p.waitSubs, "wait-subs", 0, "before publishing, wait until every shard has this many subscribers")
	fs.DurationVar(&p.waitTimeout, "wait-timeout", 30*time.Second, "give up waiting for --wait-subs after this long")
	fs.StringVar(&p.alert, "alert", "", alertUsage)
	fs.StringVar(&p.slow, "slow", slow, "at a subscriber's --hwm: drop its frames (live feeds) or block the publisher until it catches up (replays, benchmarks: lossless)")
	fs.Uint64Var(&p.id, "id", 0, "publisher id (0: derived from host name and endpoints, stable across restarts)")
	p.conn.register(fs)
	p.rec.register(fs)
}

func (p *pubFlags) config(log *logger) shard.PubConfig {
	// --slow is drop or block: cli.BBox's rule refuses anything else.
	cfg := shard.PubConfig{
		Binds: p.binds, Partitions: p.partitions, ID: p.id, FrameSize: p.frameSize, Linger: p.linger, Lossless: p.slow == "block",
		HWM: p.hwm, WriteTimeout: p.writeTimeout, Heartbeat: p.heartbeat, Conn: p.conn.options(log), Logf: log.Logf,
	}
	p.rec.apply(&cfg) // checked by validate before anything starts
	return cfg
}

// validate checks what the flags of one publisher allow only together,
// and that there are endpoints, before anything binds: the shard
// endpoints and their layout first, then the rewind window and the
// recovery endpoints against them.
func (p *pubFlags) validate() error {
	if len(p.binds) == 0 {
		return errors.New("--bind is required (one endpoint per shard)")
	}
	if p.hwm > 0 && p.frameSize > p.hwm {
		return fmt.Errorf("--hwm %d is below --frame-size %d: a subscriber's queue must hold at least one frame", p.hwm, p.frameSize)
	}
	cfg := shard.PubConfig{Binds: p.binds, Partitions: p.partitions, FrameSize: p.frameSize, HWM: p.hwm}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := p.rec.apply(&cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("--recovery-bind: %v", err) // all but the recovery endpoints passed above
	}
	return nil
}

// runPublisher runs src through a new publisher for at most duration (0:
// until the source ends or a signal) with a live status line, and returns
// the publisher's summary. It is shared by pub and replay.
func runPublisher(ctx context.Context, e *env, log *logger, pf *pubFlags, src feed.Source, duration time.Duration, cmd string) (report.Summary, error) {
	publishAlert, closeAlerts, err := openAlerts(pf.alert, log, &pf.conn)
	if err != nil {
		return report.Summary{}, err
	}
	defer closeAlerts()
	run := pipeline.PubRun{Config: pf.config(log), WaitSubs: pf.waitSubs, WaitTimeout: pf.waitTimeout, Duration: duration}
	run.Config.OnEvent = func(ev shard.Event) {
		ev.Source = "publisher"
		publishAlert(ev)
	}
	run.Started = func(pub *shard.Publisher) {
		log.Logf("publisher %x epoch %d on %s", pub.ID(), pub.Epoch(), strings.Join(pub.Endpoints(), ", "))
		if rec := pub.RecoveryEndpoints(); len(rec) > 0 {
			log.Logf("rewind window %s, recovery endpoints %s", pf.rec.rewind, strings.Join(rec, ", "))
		}
		log.addMetrics(metrics.Publisher(pub.Stats))
	}
	run.Around = func(pub *shard.Publisher, publish func()) {
		log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return report.PubSourceStatus(el, pub, r.Rate, src) }, publish)
	}
	st, elapsed, err := run.Run(ctx, src)
	if err != nil {
		return report.Summary{}, err
	}
	return report.Published(cmd, &st, elapsed, tuning.SockBufCappedWarning), nil
}

func runPub(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	var pf pubFlags
	pf.register(fs, "drop")
	source := fs.String("source", "gen", "what to publish: gen (synthetic feed), a capture file, or an upstream ZeroMQ PUB of [topic][payload]: zmq+tcp://HOST:PORT[?topic=PFX&kind=C]")
	rate := cli.Rate(100000)
	fs.Var(&rate, "rate", "records per second, or max")
	duration := fs.Duration("duration", 0, "stop after this long (0: until the source ends or SIGINT/SIGTERM)")
	records := fs.Int64("records", 0, "stop after this many records (0: no limit)")
	idleExit := fs.Duration("idle-exit", 0, "with an upstream --source (zmq+tcp://...): stop once nothing has arrived for this long, since a ZeroMQ feed never says it has ended (0: never)")
	symbols := fs.Int("symbols", 1000, "distinct symbols (gen)")
	size := fs.Int("size", 100, "mean record size on the wire, bytes (gen)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic feed (gen)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	var cfgFile configFlag
	cfgFile.register(fs)
	var box boxFlags
	box.register(fs, false)
	notes, code, ok := cfgFile.parse(e, c, fs, args)
	if !ok {
		return code
	}
	if err := pf.validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	return ops.run(ctx, e, c, notes, func(log *logger) int {
		src, err := pubsource.Open(*source, feed.GenConfig{Symbols: *symbols, Size: *size, Seed: *seed, Rate: float64(rate), Records: *records, Cycle: feed.DefaultCycle})
		if fe := (*pubsource.FileError)(nil); errors.As(err, &fe) {
			// A file that is there but bad, or missing, is bad input (exit 1), not a misspelt flag.
			return fail(e, c, fmt.Errorf("--source: %w", err)) // err names the file
		} else if err != nil {
			return usageErr(e, c, "--source: %v", err)
		}
		if *idleExit > 0 {
			if err := src.SetIdleExit(*idleExit); err != nil {
				return usageErr(e, c, "--idle-exit: %v", err)
			}
		}
		boxWarnings, err := box.setup(log, &pf.conn, 0, nil, 0)
		if err != nil {
			return fail(e, c, err)
		}
		if err := src.Start(log.Logf, pf.conn.options(log)); err != nil {
			return fail(e, c, err)
		}
		defer src.Close()
		s, err := runPublisher(ctx, e, log, &pf, src, *duration, "pub")
		if err != nil {
			return fail(e, c, err)
		}
		s.Warnings = append(boxWarnings, s.Warnings...)
		src.Report(&s)
		// With --json, a source's own counters join the summary.
		printSummary(e, *asJSON, func(w io.Writer) { report.WritePub(w, &s) }, func() any { return src.JSON(s) })
		return exitOK
	})
}
