package main

import (
	"flag"
	"io"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/metrics"
)

// logger is a command's operator output (internal/termlog): log lines
// with date, time, level and component, the live status line, and the
// command's metrics registry (ops.go). A zero logger with only w and tty
// set works: it writes text lines for component "bbox".
type logger struct {
	w   io.Writer
	tty bool

	once      sync.Once
	t         *termlog.Logger
	format    termlog.Format
	component string
	ops       *metrics.Server // nil: no --metrics server
}

func (l *logger) get() *termlog.Logger {
	l.once.Do(func() {
		if l.t == nil {
			l.t = termlog.New(termlog.Config{W: l.w, TTY: l.tty, Format: l.format, Component: l.component})
		}
	})
	return l.t
}

// Logf logs a line (INFO, or WARN when it reports trouble); floods of one
// kind of line are folded into a count every few seconds.
func (l *logger) Logf(format string, args ...any) { l.get().Logf(format, args...) }

// Line prints a line that is output, not a log event (a banner), around
// the status line; in --log-format json it is an INFO record. A squawk's
// text is an alert instead (termlog.Logger.Say).
func (l *logger) Line(s string) { l.get().Say(s) }

// whileStatus runs run while a one-line status, cut to the terminal's
// width, is redrawn about once a second on a terminal (off one, logged
// every 10s), and returns how long run took (termlog.Logger.WhileStatus).
func (l *logger) whileStatus(line func(elapsed time.Duration, r *termlog.Rates) string, run func()) time.Duration {
	return l.get().WhileStatus(line, run)
}

// child is a logger for a part of the command (component name) sharing
// l's output and metrics, whose status loop draws nothing: the part's
// status is shown by l's.
func (l *logger) child(component string) *logger {
	c := &logger{w: l.w, tty: l.tty, format: l.format, component: component, ops: l.ops}
	c.t = l.get().With(component).WithoutStatus()
	return c
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
	return zmqx.Options{RcvBuf: c.rcvbuf, SndBuf: c.sndbuf, MaxFrame: c.maxFrame, Logf: log.Logf}
}
