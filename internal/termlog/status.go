package termlog

import (
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// StatusLoop redraws a one-line status about once a second while on a
// terminal, until stop is closed; it then clears the line. Off a terminal
// it logs the status as an INFO line every Config.StatusEvery instead.
// line gets the time since the loop started. The returned channel is
// closed when the loop has ended.
func (l *Logger) StatusLoop(stop <-chan struct{}, line func(elapsed time.Duration) string) (done chan struct{}) {
	done = make(chan struct{})
	c := l.c
	every := c.cfg.Redraw
	if !c.cfg.TTY {
		every = c.cfg.StatusEvery
	}
	if l.noStatus || every < 0 || c.cfg.Quiet && !c.cfg.TTY {
		close(done)
		return done
	}
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				if c.cfg.TTY {
					c.mu.Lock()
					if c.status != "" {
						io.WriteString(c.cfg.W, "\r\033[K")
					}
					c.status = ""
					c.mu.Unlock()
				}
				return
			case <-t.C:
			}
			s := line(time.Since(start))
			if !c.cfg.TTY {
				c.emit(slog.LevelInfo, l.component, "status: "+s, 0)
				continue
			}
			s = Fit(s, c.cfg.Width())
			c.mu.Lock()
			c.status = s
			io.WriteString(c.cfg.W, "\r\033[K"+s)
			c.mu.Unlock()
		}
	}()
	return done
}

// Fit cuts a status line to fewer than width columns so it never wraps
// (a wrapped line cannot be redrawn in place: an 80-column terminal would
// scroll every second). The line's fields are separated by " | "; the
// first (elapsed time and rate) and any that report trouble (lost, gaps,
// SLOW, dropped, croak) are kept before the others, which are dropped from
// the end; what still does not fit is cut, ending in "…".
func Fit(s string, width int) string {
	limit := width - 1 // the last column would wrap on some terminals
	if limit < 8 {
		limit = 8
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	fields := strings.Split(s, " | ")
	keep := make([]bool, len(fields))
	for i := range keep {
		keep[i] = true
	}
	// Drop ordinary fields from the end first, then important ones, never
	// the first.
	for pass := 0; pass < 2; pass++ {
		for i := len(fields) - 1; i > 0; i-- {
			if !keep[i] || (pass == 0 && important(fields[i])) {
				continue
			}
			keep[i] = false
			if n := joined(fields, keep); utf8.RuneCountInString(n) <= limit {
				return n
			}
		}
	}
	out := joined(fields, keep)
	if utf8.RuneCountInString(out) <= limit {
		return out
	}
	r := []rune(out)
	return string(r[:limit-1]) + "…"
}

func joined(fields []string, keep []bool) string {
	var b strings.Builder
	n := 0
	for i, f := range fields {
		if !keep[i] {
			continue
		}
		if n > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(f)
		n++
	}
	if n < len(fields) {
		b.WriteString(" | …")
	}
	return b.String()
}

var troubleWords = []string{"lost", "gap", "slow", "drop", "croak", "late", "stall", "stuck"}

func important(f string) bool {
	f = strings.ToLower(f)
	for _, w := range troubleWords {
		if strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// Width is the width of w in columns if it is a terminal (TIOCGWINSZ),
// else $COLUMNS, else 80.
func Width(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// WhileStatus runs run while the status line shows line (StatusLoop),
// and returns how long run took. line gets the time since the loop
// started and a Rates for the counters it shows as rates; the loop ends,
// and its line is cleared, before WhileStatus returns.
func (l *Logger) WhileStatus(line func(elapsed time.Duration, r *Rates) string, run func()) time.Duration {
	var r Rates
	stop := make(chan struct{})
	done := l.StatusLoop(stop, func(el time.Duration) string { return line(el, &r) })
	start := time.Now()
	run()
	took := time.Since(start)
	close(stop)
	<-done
	return took
}
