package termlog

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal (so the status line is drawn
// in place).
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Say prints s as Line does, except that a squawk's text (Squawk.String:
// "warning: ..." or "CROAK: ...") is an alert instead: a WARN log line (a
// croak ERROR), rate limited by kind in the log, never in the alert
// stream.
func (l *Logger) Say(s string) {
	if strings.HasPrefix(s, "CROAK: ") || strings.HasPrefix(s, "warning: ") {
		l.Alert(s)
		return
	}
	l.Line(s)
}

// Rater turns a cumulative counter into a per-second rate between calls,
// for a status line. The zero value is ready; it is not safe for
// concurrent use.
type Rater struct {
	last int64
	at   time.Time
}

// processStart anchors a Rater's first interval, so the first status line
// shows a rate instead of 0.
var processStart = time.Now()

// Rate is the rate of n since the last call (since the process started,
// on the first).
func (r *Rater) Rate(n int64) float64 {
	now := time.Now()
	if r.at.IsZero() {
		r.at = processStart
	}
	v := float64(n-r.last) / now.Sub(r.at).Seconds()
	r.last, r.at = n, now
	return v
}

// Rates are Raters by index (a shard, a worker; any int), made as they
// are first asked for: the rate callback of a status line over several
// counters. The zero value is ready; it is not safe for concurrent use.
type Rates struct{ by map[int]*Rater }

// Of is counter i's rate of n since the last call for i.
func (r *Rates) Of(i int, n int64) float64 {
	if r.by == nil {
		r.by = map[int]*Rater{}
	}
	x := r.by[i]
	if x == nil {
		x = &Rater{}
		r.by[i] = x
	}
	return x.Rate(n)
}

// Rate is the rate of one counter (index 0).
func (r *Rates) Rate(n int64) float64 { return r.Of(0, n) }
