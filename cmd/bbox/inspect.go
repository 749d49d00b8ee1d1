package main

import (
	"context"
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

// inspectReport is bbox inspect's JSON summary: replay.Report (its keys
// include CLI.md's records, symbols, first_ts, last_ts, bytes,
// compressed_bytes, chunks) plus the command name.
type inspectReport struct {
	Command string `json:"command"`
	TZ      string `json:"tz"` // the zone of the times shown
	*replay.Report
}

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
	readers, err := replay.OpenFiles(files)
	if err != nil {
		return fail(e, c, err)
	}
	defer readers.Close()
	loc, err := replay.Zone(*tz, readers.Meta())
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	rep, err := replay.Inspect(readers, *top)
	if err != nil {
		return fail(e, c, err)
	}
	out := humanOut(e, *asJSON)
	rep.WriteText(out, loc, replay.ZoneNote(*tz, readers.Meta()))
	if *asJSON {
		writeJSON(e.stdout, inspectReport{Command: "inspect", TZ: loc.String(), Report: rep})
	}
	// Damage is an error (exit 1), named by file and offset on stderr; a
	// file that was merely not closed (no index, nothing lost) is not.
	code = exitOK
	for _, err := range rep.Damage() {
		fmt.Fprintf(e.stderr, "bbox inspect: %v\n", err)
		code = exitError
	}
	return code
}
