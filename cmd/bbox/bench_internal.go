package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/cli"
)

// runBenchInternal runs the hidden halves of bench's process mode
// (`bbox bench internal tcp-recv|tcp-send`): the lean plain-TCP baseline
// as two processes of this binary. They are not for users, so they are
// not in the help; their output is what bench.Run's process mode reads.
func runBenchInternal(ctx context.Context, e *env, args []string) int {
	c := &command{name: "bench internal", summary: "the process-mode baselines' halves (used by bbox bench --mode process)", usage: "tcp-recv|tcp-send [flags]"}
	if len(args) == 0 {
		return usageErr(e, c, "want tcp-recv or tcp-send")
	}
	fs := newFlags(e, c)
	switch args[0] {
	case "tcp-recv":
		var cfg bench.LeanRecvConfig
		fs.StringVar(&cfg.Out, "out", "", "latency log to write")
		from := fs.String("from", "schedule", "schedule or send")
		fs.DurationVar(&cfg.Warmup, "warmup", 0, "warm-up kept apart")
		fs.DurationVar(&cfg.Interval, "interval", time.Second, "interval histogram length")
		if code, ok := parse(fs, args[1:]); !ok {
			return code
		}
		if cfg.Out == "" {
			return usageErr(e, c, "tcp-recv: --out is required")
		}
		cfg.From = bench.FromSource
		if *from == "send" {
			cfg.From = bench.FromSend
		}
		got, err := bench.ReceiveTCP(ctx, cfg, func(a net.Addr) { fmt.Fprintf(e.stdout, "listening %s\n", a) })
		if err != nil {
			return fail(e, c, err)
		}
		writeJSON(e.stdout, map[string]int64{"records_received": got})
		return exitOK
	case "tcp-send":
		var cfg bench.LeanConfig
		addr := fs.String("addr", "", "receiver address (HOST:PORT, as tcp-recv printed it)")
		cfg.Rate = 100000
		fs.Var((*cli.Rate)(&cfg.Rate), "rate", "records per second, or max")
		fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long to send")
		fs.IntVar(&cfg.Gen.Size, "size", 100, "record size")
		fs.IntVar(&cfg.Gen.Symbols, "symbols", 1000, "symbols")
		fs.Uint64Var(&cfg.Gen.Seed, "seed", 1, "seed")
		if code, ok := parse(fs, args[1:]); !ok {
			return code
		}
		n, secs, err := bench.SendTCP(ctx, *addr, cfg)
		if err != nil {
			return fail(e, c, err)
		}
		writeJSON(e.stdout, map[string]any{"records_published": n, "seconds": secs})
		return exitOK
	}
	return usageErr(e, c, "%q: want tcp-recv or tcp-send", args[0])
}
