package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "describe capture files: records, symbols, time range, rate per minute, compression, chunk health",
		usage:   "FILE [FILE...] [--json]",
		run:     runInspect,
	})
}

// inspectReport is bbox inspect's JSON summary (docs/cli.md lists its keys).
type inspectReport = replay.InspectSummary

func runInspect(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line of stdout")
	top := fs.Int("top", 10, "list this many of the busiest symbols")
	tz := fs.String("tz", "", "time zone for times shown (default: the file's own, else UTC)")
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one capture file")
	}
	if code, done := inspectExchange(ctx, e, c, files, *asJSON, *top, *tz); done { // ITCH files, pcaps
		return code
	}
	sum, damage, err := replay.InspectFiles(files, *tz, *top)
	var ze *replay.ZoneError
	switch {
	case errors.As(err, &ze):
		return usageErr(e, c, "--tz: %v", ze.Err)
	case err != nil:
		return fail(e, c, err)
	}
	printReport(e, *asJSON, sum)
	// Damage is an error (exit 1), named by file and offset on stderr; a
	// file that was merely not closed (no index, nothing lost) is not.
	code = exitOK
	for _, err := range damage {
		fmt.Fprintf(e.stderr, "bbox inspect: %v\n", err)
		code = exitError
	}
	return code
}
