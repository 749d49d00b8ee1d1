package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bbox-dev/bbox/bench"
)

func runBenchCompare(e *env, args []string) int {
	c := &command{name: "bench compare", summary: "compare two bench JSON summaries (before/after a change)", usage: "[flags] A.json B.json"}
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the differences as one JSON object on the last line of stdout")
	maxRegress := fs.Float64("max-regress", 0, "exit 1 if p50, p90, p99, p99.9, CPU per record, the throughput or the max rate under the SLA (of a ladder: at any rate) got worse by more than this many percent (0: never; max and p99.99 are too noisy to gate on)")
	pos, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		return usageErr(e, c, "want two JSON summaries (A is before, B after), got %d arguments", len(pos))
	}
	cmp, err := bench.CompareFiles(pos[0], pos[1])
	if err != nil {
		return fail(e, c, err)
	}
	regress := bench.Regressions(cmp.Deltas, *maxRegress)
	printSummary(e, *asJSON, func(w io.Writer) { cmp.WriteReport(w) }, func() any {
		return map[string]any{"a": pos[0], "b": pos[1], "deltas": cmp.Deltas, "regressions": regress}
	})
	if len(regress) > 0 {
		fmt.Fprintf(e.stderr, "bbox bench compare: worse by more than %g%%: %s\n", *maxRegress, strings.Join(regress, ", "))
		return exitError
	}
	return exitOK
}
