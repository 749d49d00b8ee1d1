package main

// Hooks that let replay, inspect and gen take exchange inputs and write
// exchange formats (the command files call these in a line or two).

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
)

// replayExchange is bbox replay for ITCH files and pcaps; done is false
// when the files are bbox captures (replay carries on as before).
// ops gives it the command's logger (--log-format) and --metrics, as a
// capture's replay has.
func replayExchange(ctx context.Context, e *env, c *command, pf *pubFlags, files []string, rf *replayFlags, ops *opsFlags) (code int, done bool) {
	if rf.mold != "" {
		return replayMold(ctx, e, c, files, rf, ops), true
	}
	ins, ok, err := exchange.DetectInputs(files)
	if !ok {
		return 0, false
	}
	if err != nil {
		return fail(e, c, err), true
	}
	// The publisher's flags are held to what a capture's replay holds them
	// to (a --hwm below --frame-size would drop every frame).
	if err := pf.validate(); err != nil {
		return usageErr(e, c, "%v", err), true
	}
	speed, rate, ok := rf.pace()
	if !ok {
		return usageErr(e, c, paceExclusive), true
	}
	if n := cli.Given(rf.fs, "skip-corrupt", "preload", "decoders", "max-sleep"); n != "" {
		return usageErr(e, c, "--%s applies to bbox captures, not to ITCH files or pcaps", n), true
	}
	day, loc, err := exchange.FeedTime(rf.date, rf.tz)
	if err != nil {
		return usageErr(e, c, "--%v", err), true
	}
	cfg := exchange.Config{Inputs: ins, Day: day, Loc: loc, Strict: rf.strict, Rate: rate, Speed: speed, Loop: rf.loop, Symbols: rf.symbols}
	if cfg.Loop == 0 {
		cfg.Loop = -1
	}
	var we *replay.WindowError
	switch cfg.FromTOD, cfg.ToTOD, err = exchange.TODWindow(rf.from, rf.to); {
	case errors.As(err, &we):
		return usageErr(e, c, "--%s: %v in the feed's time zone", we.Side, we.Err), true
	case err != nil:
		return usageErr(e, c, "--to is not after --from"), true
	}
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		cfg.OnProblem = func(p itch.Problem) { log.Logf("skipped: %v", p) }
		src, err := exchange.NewSource(cfg)
		if err != nil {
			return fail(e, c, err)
		}
		defer src.Close()
		s, err := runPublisher(ctx, e, log, pf, src, rf.duration, "replay")
		if err != nil {
			return fail(e, c, err)
		}
		printReplay(e, rf.asJSON, report.NewExchangeReplay(s, src.Stats(), pf.waitSubs, files, src.TopSymbols(10), loc))
		return exitOK
	}), true
}

// inspectExchange is bbox inspect for ITCH files and pcaps: per-type
// counts, busiest symbols, and for captures the flows and their gaps.
func inspectExchange(ctx context.Context, e *env, c *command, files []string, asJSON bool, top int, tz string) (int, bool) {
	rep, ok, err := exchange.InspectFiles(ctx, files, tz, top)
	switch {
	case !ok:
		return 0, false
	case errors.Is(err, exchange.ErrFeedTime):
		return usageErr(e, c, "--%v", err), true
	case err != nil:
		return fail(e, c, err), true
	}
	printReport(e, asJSON, rep)
	if t := rep.Trouble(); t != "" {
		fmt.Fprintf(e.stderr, "bbox inspect: %s\n", t)
		return exitError, true
	}
	return exitOK, true
}

// genExchange is bbox gen --format itch|itch.gz|pcap|pcapng.
func genExchange(e *env, c *command, out, format string, gen itch.GenConfig, date, tz string, force, asJSON bool) int {
	if gen.Symbols > 65535 {
		return usageErr(e, c, "--symbols %d: ITCH stock locates are 16 bits (at most 65535)", gen.Symbols)
	}
	day, _, err := exchange.FeedTime(date, tz)
	if err != nil {
		return usageErr(e, c, "--%v", err)
	}
	if fileExists(out) && !force {
		return fail(e, c, fmt.Errorf("%s exists: a file is not replaced without --force", out))
	}
	if !slices.Contains(exchange.GenFormats, format) {
		return usageErr(e, c, "--format %q: want bbc, itch, itch.gz, pcap or pcapng", format)
	}
	rep, err := exchange.Generate(out, format, gen, day)
	if err != nil {
		return fail(e, c, err)
	}
	rep.WriteText(e.stdout)
	if asJSON {
		writeJSON(e.stdout, rep)
	}
	return exitOK
}
