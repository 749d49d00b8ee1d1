// Package tuning owns what bbox asks of the machine: pinning threads to
// cores (Pin, RestrictProcess), the core plan (PlanCores: a core per
// subscriber thread, the rest for everything else, warnings where that
// cannot hold; SetupBox applies a command's plan, BoxPlan.Log reports it), the Go runtime settings (Runtime: GOMAXPROCS, GOGC,
// GOMEMLIMIT), socket-buffer probing (ProbeSockBufs names the sysctl that
// caps a request), the box report behind bbox tune (CheckBox, and
// ApplySysctls, the only thing here that changes the box; Tune runs both
// and writes the report's text), and GOMEMLIMIT's size spelling
// (ParseBytes; other sizes are internal/words.ParseSize). It imports only the
// standard library, golang.org/x/sys and bbox's internal helpers.
//
// Concurrency: the functions are safe to call from any goroutine. Pin
// acts on the calling OS thread only; RestrictProcess and Runtime.Apply
// change process-wide state and belong at start-up.
package tuning
