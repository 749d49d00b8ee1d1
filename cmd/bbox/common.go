package main

import (
	"flag"

	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/metrics"
)

// logger is a command's operator output, an internal/termlog Logger
// (log lines with date, time, level and component; the live status line,
// WhileStatus; Say for a line that is output, not a log event), with the
// command's metrics registry (ops.go).
type logger struct {
	*termlog.Logger
	ops *metrics.Server // nil: no --metrics server
}

// newLogger is command c's logger on e's stderr, in format (Text for the
// commands without --log-format).
func newLogger(e *env, c *command, format termlog.Format) *logger {
	return &logger{Logger: termlog.New(termlog.Config{W: e.stderr, TTY: e.stderrTTY, Format: format, Component: c.name})}
}

// child is a logger for a part of the command (component name) sharing
// l's output and metrics, whose status loop draws nothing: the part's
// status is shown by l's.
func (l *logger) child(component string) *logger {
	return &logger{Logger: l.With(component).WithoutStatus(), ops: l.ops}
}

// connFlags are the socket and guard options every networked command has.
type connFlags struct {
	rcvbuf, sndbuf int
	maxFrame       int64
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&c.rcvbuf, "rcvbuf", 0, "SO_RCVBUF bytes per socket (0: kernel default with autotuning)")
	fs.IntVar(&c.sndbuf, "sndbuf", 0, "SO_SNDBUF bytes per socket (0: kernel default with autotuning)")
	fs.Int64Var(&c.maxFrame, "max-frame", zmqx.DefaultMaxFrame, "largest ZMTP frame accepted from a peer, bytes; bigger ones close the connection")
}

func (c *connFlags) options(log *logger) zmqx.Options {
	o := zmqx.Options{RcvBuf: c.rcvbuf, SndBuf: c.sndbuf, MaxFrame: c.maxFrame}
	if log != nil { // nil: checking flags before the logger exists
		o.Logf = log.Logf
	}
	return o
}
