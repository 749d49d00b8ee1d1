package main

// `bbox import`: NASDAQ ITCH 5.0 files and pcap/pcapng captures of
// MoldUDP64 (package exchange, detected by content) into a bbox capture.

import (
	"context"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "import",
		summary: "convert NASDAQ ITCH 5.0 files (plain or gzip) and pcap/pcapng captures of MoldUDP64 into a bbox capture",
		usage:   "IN[?port=P&group=G&date=D&tz=Z] [IN...] --out FILE.bbc [--date YYYY-MM-DD] [--tz ZONE] [--strict] [flags]",
		run:     runImport,
	})
}

func runImport(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	out := fs.String("out", "", "bbox capture to write")
	force := fs.Bool("force", false, "replace an existing --out (as bbox gen and bbox record, import replaces nothing without it)")
	date := fs.String("date", "", "trading day YYYY-MM-DD (default: from a NASDAQ file name like 01302019.NASDAQ_ITCH50, else the capture's packet times)")
	tz := fs.String("tz", exchange.DefaultTZ, "the feed's time zone: ITCH timestamps are nanoseconds after its midnight")
	strict := fs.Bool("strict", false, "stop at the first message of unknown type or wrong length (default: count, report and skip)")
	chunk := fs.String("chunk-size", "1MiB", "uncompressed bytes of records per chunk")
	level := fs.Int("level", 2, "zstd level: 1 fastest, 2 default, 3 better, 4 best")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one ITCH 5.0 file or pcap to import")
	}
	if *out == "" {
		return usageErr(e, c, "--out is required")
	}
	if fileExists(*out) && !*force {
		return fail(e, c, fmt.Errorf("%s exists: a capture is not replaced without --force", *out))
	}
	day, loc, err := exchange.FeedTime(*date, *tz)
	if err != nil {
		return usageErr(e, c, "--%v", err)
	}
	chunkSize, err := words.ParseSize(*chunk)
	if err != nil {
		return usageErr(e, c, "--chunk-size: %v", err)
	}
	ins, err := exchange.ImportInputs(files)
	if err != nil {
		return fail(e, c, err)
	}
	log := newLogger(e, c, termlog.Text)
	im, err := exchange.NewImport(exchange.ImportConfig{Names: files, Out: *out, Writer: replay.WriterConfig{ChunkSize: int(chunkSize), Level: *level},
		Source: exchange.Config{Inputs: ins, Day: day, Loc: loc, Strict: *strict, OnProblem: func(p itch.Problem) { log.Logf("skipped: %v", p) }}})
	if err != nil {
		return fail(e, c, err)
	}
	var rep *exchange.ImportReport
	log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return im.Status(el, r.Rate) },
		func() { rep, err = im.Run(ctx) })
	if err != nil {
		return fail(e, c, err)
	}
	printReport(e, *asJSON, rep)
	return exitOK
}
