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

func runVersion(ctx context.Context, e *env, args []string) int {
	c := commands["version"]
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the build information as one JSON object")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(e, c, "unexpected argument %q", fs.Arg(0))
	}
	in := buildinfo.Get()
	if *asJSON {
		b, _ := json.Marshal(in)
		fmt.Fprintf(e.stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprint(e.stdout, in.Long())
	return exitOK
}

// versionJSON is the "version" member every --json summary carries.
var versionJSON = func() []byte { b, _ := json.Marshal(buildinfo.Get()); return b }()

// writeJSON writes v as one line of JSON. A JSON object gets the binary's
// build information as its "version" key, so every summary says which
// build produced it; this is the one place summaries are written.
func writeJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	if len(b) >= 2 && b[0] == '{' && !hasTopKey(b, "version") {
		out := make([]byte, 0, len(b)+len(versionJSON)+12)
		out = append(out, b[:len(b)-1]...)
		if len(b) > 2 {
			out = append(out, ',')
		}
		out = append(out, `"version":`...)
		out = append(out, versionJSON...)
		b = append(out, '}')
	}
	fmt.Fprintf(w, "%s\n", b)
}

// hasTopKey reports whether the JSON object b already has key at its top
// level (a command with a "version" of its own keeps it).
func hasTopKey(b []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return true // not an object we understand: leave it alone
	}
	_, ok := m[key]
	return ok
}
