package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/feed"
)

// runBenchInternal runs the hidden halves of bench's process mode
// (`bbox bench internal tcp-recv|tcp-send`): the lean plain-TCP baseline
// as two processes of this binary. They are not for users, so they are
// not in the help; their output is what bench.RunProcess reads.
func runBenchInternal(ctx context.Context, e *env, args []string) int {
	c := &command{name: "bench internal", summary: "the process-mode baselines' halves (used by bbox bench --mode process)", usage: "tcp-recv|tcp-send [flags]"}
	if len(args) == 0 {
		return usageErr(e, c, "want tcp-recv or tcp-send")
	}
	fs := newFlags(e, c)
	switch args[0] {
	case "tcp-recv":
		out := fs.String("out", "", "latency log to write")
		from := fs.String("from", "schedule", "schedule or send")
		warmup := fs.Duration("warmup", 0, "warm-up kept apart")
		interval := fs.Duration("interval", time.Second, "interval histogram length")
		if code, ok := parse(fs, args[1:]); !ok {
			return code
		}
		if *out == "" {
			return usageErr(e, c, "tcp-recv: --out is required")
		}
		st := bench.FromSource
		if *from == "send" {
			st = bench.FromSend
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(e, c, err)
		}
		defer ln.Close()
		fmt.Fprintf(e.stdout, "listening %s\n", ln.Addr())
		rec := bench.NewRecorder(1, st)
		rec.SetWarmup(*warmup)
		lg, err := bench.CreateLatencyLog(*out, rec, *interval, "bbox bench tcp baseline receiver")
		if err != nil {
			return fail(e, c, err)
		}
		stop := context.AfterFunc(ctx, func() { ln.Close() })
		conn, err := ln.Accept()
		stop()
		var got int64
		if err == nil {
			got, err = bench.LeanRecv(ctx, conn, rec, st)
			conn.Close()
		}
		if cerr := lg.Close(); err == nil {
			err = cerr
		}
		if err != nil && ctx.Err() == nil {
			return fail(e, c, err)
		}
		writeJSON(e.stdout, map[string]int64{"records_received": got})
		return exitOK
	case "tcp-send":
		addr := fs.String("addr", "", "receiver address (HOST:PORT, as tcp-recv printed it)")
		rate := rateFlag(100000)
		fs.Var(&rate, "rate", "records per second, or max")
		duration := fs.Duration("duration", 5*time.Second, "how long to send")
		size := fs.Int("size", 100, "record size")
		symbols := fs.Int("symbols", 1000, "symbols")
		seed := fs.Uint64("seed", 1, "seed")
		if code, ok := parse(fs, args[1:]); !ok {
			return code
		}
		conn, err := net.Dial("tcp", *addr)
		if err != nil {
			return fail(e, c, err)
		}
		n, secs, err := bench.LeanSend(ctx, conn, bench.LeanConfig{Rate: float64(rate), Duration: *duration,
			Gen: feed.GenConfig{Size: *size, Symbols: *symbols, Seed: *seed}})
		conn.Close()
		if err != nil {
			return fail(e, c, err)
		}
		writeJSON(e.stdout, map[string]any{"records_published": n, "seconds": secs})
		return exitOK
	}
	return usageErr(e, c, "%q: want tcp-recv or tcp-send", args[0])
}
