package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/metrics"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
)

func init() {
	register(&command{
		name:    "record",
		summary: "subscribe to shard endpoints and write what arrives to capture files (rotating by size or time)",
		usage:   "--connect EP[,EP...] --out FILE [--rotate 1GB|1h] [flags]",
		run:     runRecord,
	})
}

func runRecord(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	var connect, parts cli.List
	fs.Var(&connect, "connect", "publisher shard endpoints, one per shard (comma-separated or repeated)")
	fs.Var(&parts, "partitions", "record only these partitions (comma-separated numbers; default all)")
	out := fs.String("out", "", "capture file to write; with --rotate, files are named FILE-0000.EXT, FILE-0001.EXT, ...")
	rotate := fs.String("rotate", "", "start a new file at this size (1GB, 512MiB) or age (1h, 30m)")
	flush := fs.Duration("flush", time.Second, "write a partly filled chunk once its oldest record has waited this long (bounds what a crash loses)")
	chunk := fs.String("chunk-size", "1MiB", "uncompressed bytes of records per chunk")
	level := fs.Int("level", 1, "zstd level: 1 fastest (keeps up with a fast feed), 2 default, 3 better, 4 best")
	force := fs.Bool("force", false, "replace an existing capture file")
	tz := fs.String("tz", "America/New_York", "time zone of the feed recorded (an IANA name, or Local for this box's), stored in the file: bbox inspect shows times in it and bbox replay --from/--to read times of day in it")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM or, with --exit-on-eos, end of stream)")
	var eos eosFlags
	eos.register(fs, "stop")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	serve := fs.String("serve", "", "answer recovery requests (docs/wire.md section 9) from the files recorded, finished and in progress, on this endpoint: subscribers ask it with --recover archive --archive ENDPOINT")
	var rf recoverySubFlags
	rf.register(fs)
	var cf connFlags
	cf.register(fs)
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	if len(connect) == 0 {
		return usageErr(e, c, "--connect is required (one endpoint per shard)")
	}
	if *out == "" {
		return usageErr(e, c, "--out is required")
	}
	rotBytes, rotEvery, err := replay.ParseRotate(*rotate)
	if err != nil {
		return usageErr(e, c, "--rotate %v", err)
	}
	chunkSize, err := words.ParseSize(*chunk)
	if err != nil {
		return usageErr(e, c, "--chunk-size: %v", err)
	}
	zone, err := replay.SourceZone(*tz)
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	partList, err := shard.ParsePartitions(parts)
	if err != nil {
		return usageErr(e, c, "--partitions: %v", err)
	}
	if *serve != "" {
		if _, err := zmqx.ParseEndpoint(*serve); err != nil {
			return usageErr(e, c, "--serve: %v", err)
		}
	}
	rc := replay.RecorderConfig{Out: *out, RotateBytes: rotBytes, RotateEvery: rotEvery, Flush: *flush,
		Writer: replay.WriterConfig{ChunkSize: int(chunkSize), Level: *level, Meta: replay.RecordingMeta(connect, zone)},
	}
	if first := rc.FirstFile(); fileExists(first) && !*force {
		return fail(e, c, fmt.Errorf("%s exists: a capture is not replaced without --force", first))
	}
	// Every usage error before ops.run starts anything (metrics, logs).
	sc := shard.SubConfig{
		Connect: connect, Partitions: partList, Conn: cf.options(nil),
		Name: fmt.Sprintf("record-%d", os.Getpid()),
	}
	if err := rf.apply(&sc); err != nil {
		return usageErr(e, c, "%v", err)
	}
	eos.apply(&sc)
	if err := sc.Validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		rc.Logf = log.Logf
		sc.Conn, sc.Logf = cf.options(log), log.Logf
		rg, err := replay.NewRecording(replay.RecordingConfig{Recorder: rc, Sub: sc})
		if err != nil {
			return fail(e, c, err)
		}
		defer rg.Close() // after the summary: the recovery server lingers for clients catching up
		log.Infof("%s", sc.RecoveryText())
		if *serve != "" {
			ep, err := rg.Serve(*serve)
			if err != nil {
				return fail(e, c, fmt.Errorf("--serve: %w", err))
			}
			log.Logf("serving recovery from the recording on %s", ep)
		}
		sub, rec := rg.Subscriber(), rg.Recorder()
		log.addMetrics(metrics.Subscriber(sub.Stats, nil), metrics.Recorder(rec.Stats))
		rctx, cancel := withDuration(ctx, *duration)
		defer cancel()
		var runErr, closeErr error
		elapsed := log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return rg.StatusLine(el, r.Rate) },
			func() { runErr, closeErr = rg.Run(rctx) })
		if runErr != nil && !errors.As(runErr, new(*shard.CroakError)) {
			return fail(e, c, runErr)
		}
		st, rs := sub.Stats(), rec.Stats()
		in := rg.VerdictInput(st, rs, runErr)
		in.Interrupted = ctx.Err() != nil // a signal, not --duration or the end of the stream
		printReport(e, *asJSON, report.NewRecordReport(st, rs, elapsed, zone, in))
		if closeErr != nil {
			return fail(e, c, closeErr)
		}
		return exitOK
	})
}
