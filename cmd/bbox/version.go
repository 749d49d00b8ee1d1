package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/bbox-dev/bbox/internal/buildinfo"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print the module version, VCS revision and build settings of this binary",
		usage:   "[--json]",
		run:     runVersion,
	})
}

func runVersion(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the build information as one JSON object")
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	in := buildinfo.Get()
	if *asJSON {
		writeJSON(e.stdout, in) // stamped as it is: it holds its own "version"
		return exitOK
	}
	fmt.Fprint(e.stdout, in.Long())
	return exitOK
}

// writeJSON writes v as one line of JSON. A JSON object gets the binary's
// build information as its "version" key (buildinfo.Stamp), so every
// summary says which build produced it; this is the one place summaries
// are written.
func writeJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", buildinfo.Stamp(b))
}

// humanOut is where a command's text summary goes: stdout, or stderr when
// --json keeps stdout for the JSON line.
func humanOut(e *env, asJSON bool) io.Writer {
	if asJSON {
		return e.stderr
	}
	return e.stdout
}

// printSummary writes a command's closing report: human's text (on
// stderr with --json, so that stdout holds only the JSON line) and, with
// --json, v's JSON line on stdout (v is taken after human has written).
func printSummary(e *env, asJSON bool, human func(io.Writer), v func() any) {
	human(humanOut(e, asJSON))
	if asJSON {
		writeJSON(e.stdout, v())
	}
}

// printReport is printSummary for a report that writes its own text.
func printReport(e *env, asJSON bool, r interface{ WriteText(io.Writer) }) {
	printSummary(e, asJSON, r.WriteText, func() any { return r })
}
