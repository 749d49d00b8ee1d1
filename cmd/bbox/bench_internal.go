package main

import (
	"context"
	"errors"

	"github.com/bbox-dev/bbox/bench"
)

// runBenchInternal runs the hidden halves of bench's process mode
// (`bbox bench internal tcp-recv|tcp-send SPEC`): the lean plain-TCP
// baseline as two processes of this binary. They are not for users, so
// they are not in the help; bench writes their arguments and reads their
// output (bench.RunHalf owns both ends).
func runBenchInternal(ctx context.Context, e *env, args []string) int {
	c := &command{name: "bench internal", summary: "the process-mode baselines' halves (used by bbox bench --mode process)", usage: "tcp-recv|tcp-send SPEC"}
	res, err := bench.RunHalf(ctx, args, e.stdout)
	switch {
	case errors.Is(err, bench.ErrHalfUsage):
		return usageErr(e, c, "%v", err)
	case err != nil:
		return fail(e, c, err)
	}
	writeJSON(e.stdout, res)
	return exitOK
}
