package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "write a synthetic market-data day to a capture file (deterministic by seed)",
		usage:   "--out FILE [--records N] [--symbols N] [--seed S] [flags]",
		run:     runGen,
	})
}

func runGen(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	out := fs.String("out", "", "capture file to write")
	force := fs.Bool("force", false, "replace an existing file (as bbox record, gen replaces nothing without it)")
	records := fs.Int64("records", 1_000_000, "records in the day (--format itch, pcap: order-flow messages; the day adds its system events, a Stock Directory message per symbol and one message of every other type)")
	symbols := fs.Int("symbols", 8000, "distinct symbols (Zipf activity: a few very busy, a long quiet tail)")
	seed := fs.Uint64("seed", 1, "seed: the same flags and seed give the same file, byte for byte")
	size := fs.Int("size", 100, "mean record size on the wire, bytes (sizes follow the ITCH 5.0 message mix)")
	zipf := fs.Float64("zipf", 1.1, "Zipf exponent of symbol activity")
	date := fs.String("date", "2024-01-02", "trading day, YYYY-MM-DD")
	open := fs.String("open", "09:30", "session open, time of day in --tz")
	session := fs.Duration("session", 390*time.Minute, "session length; records follow an intraday curve over it (bursts at the open and the close)")
	tz := fs.String("tz", "America/New_York", "time zone of the day (an IANA name, or Local for this box's): of --date and --open, and stored in the file for inspect and replay --from/--to")
	flat := fs.Bool("flat", false, "spread records evenly over the session instead of the intraday curve")
	chunk := fs.String("chunk-size", "1MiB", "uncompressed bytes of records per chunk")
	level := fs.Int("level", 2, "zstd level: 1 fastest, 2 default, 3 better, 4 best")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	format := fs.String("format", "bbc", "bbc (bbox capture), itch or itch.gz (NASDAQ ITCH 5.0 file, every type), pcap or pcapng (MoldUDP64 on an A and a VLAN-tagged B line)")
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	if *out == "" {
		return usageErr(e, c, "--out is required")
	}
	if *records < 1 {
		return usageErr(e, c, "--records %d: want at least 1", *records)
	}
	if *format != "bbc" {
		gen := itch.GenConfig{Symbols: *symbols, Messages: int(*records), Seed: *seed}
		return genExchange(e, c, *out, *format, gen, *date, *tz, *force, *asJSON) // exchange_cmd.go
	}
	if *session <= 0 {
		return usageErr(e, c, "--session %v: want a positive duration", *session)
	}
	loc, err := replay.SourceLocation(*tz)
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	start, err := time.ParseInLocation("2006-01-02 15:04", *date+" "+*open, loc)
	if err != nil {
		return usageErr(e, c, "--date/--open: want YYYY-MM-DD and HH:MM (%v)", err)
	}
	chunkSize, err := words.ParseSize(*chunk)
	if err != nil {
		return usageErr(e, c, "--chunk-size: %v", err)
	}
	day := feed.Day{Records: *records, Symbols: *symbols, Size: *size, Seed: *seed, Zipf: *zipf, Open: start, Session: *session, Flat: *flat}
	g, err := feed.NewGenerator(day.GenConfig())
	if err != nil {
		return usageErr(e, c, "%v", err)
	}
	if fileExists(*out) && !*force {
		return fail(e, c, fmt.Errorf("%s exists: a capture is not replaced without --force", *out))
	}
	gf, err := replay.CreateGen(g, day, *out, replay.WriterConfig{ChunkSize: int(chunkSize), Level: *level})
	if err != nil {
		return fail(e, c, err)
	}
	log := newLogger(e, c, termlog.Text)
	var rep *replay.GenSummary
	log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return gf.Status(el, r.Rate) },
		func() { rep, err = gf.Run(ctx) })
	if err != nil {
		return fail(e, c, err)
	}
	printReport(e, *asJSON, rep)
	return exitOK
}

// withDuration is ctx cut off after d (--duration; 0: not cut off).
func withDuration(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
