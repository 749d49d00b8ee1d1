// Package tuning owns what bbox asks of the machine: pinning threads to
// cores, the core plan, runtime settings, and (with bbox tune) the report
// on how this box is set up. It imports only the standard library and
// golang.org/x/sys.
//
// Concurrency: the functions are safe to call from any goroutine; Pin acts
// on the calling OS thread only.
package tuning
