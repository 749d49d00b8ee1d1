package termlog

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// limiter lets through at most Burst lines of one kind per Window and
// counts the rest; when the window ends (a timer, so a flood that stops
// is still reported) it logs "… and N more like it in the last 5s".
// A kind is a component and a format string: "refused %s: %v" from a
// thousand peers is one kind.
type limiter struct {
	c  *core
	mu sync.Mutex
	m  map[limitKey]*limitEntry
}

type limitKey struct{ component, format string }

type limitEntry struct {
	start      time.Time
	passed     int
	suppressed int64
	level      slog.Level
	last       string // the last suppressed line, shown in the summary
	timer      *time.Timer
}

func newLimiter(c *core) *limiter { return &limiter{c: c, m: map[limitKey]*limitEntry{}} }

// allow reports whether a line of this kind may be written now.
func (l *limiter) allow(component, format string, level slog.Level, msg string) bool {
	if l.c.cfg.Burst < 0 {
		return true
	}
	now := time.Now()
	k := limitKey{component, format}
	l.mu.Lock()
	e := l.m[k]
	if e == nil {
		if len(l.m) > 4096 { // bounded memory under any mix of messages
			l.mu.Unlock()
			l.flushAll()
			l.mu.Lock()
			clear(l.m)
		}
		e = &limitEntry{start: now}
		l.m[k] = e
	}
	if now.Sub(e.start) >= l.c.cfg.Window && e.suppressed == 0 {
		e.start, e.passed = now, 0
	}
	if e.passed < l.c.cfg.Burst {
		e.passed++
		l.mu.Unlock()
		return true
	}
	e.suppressed++
	e.level = max(e.level, level)
	e.last = msg
	if e.timer == nil {
		// Report at the window's end, measured from its first line.
		wait := max(l.c.cfg.Window-now.Sub(e.start), time.Millisecond)
		e.timer = time.AfterFunc(wait, func() { l.flush(k) })
	}
	l.mu.Unlock()
	return false
}

// flush reports what kind k suppressed and starts a new window.
func (l *limiter) flush(k limitKey) {
	l.mu.Lock()
	e := l.m[k]
	if e == nil || e.suppressed == 0 {
		l.mu.Unlock()
		return
	}
	n, last, level, since := e.suppressed, e.last, e.level, time.Since(e.start)
	if e.timer != nil {
		e.timer.Stop()
	}
	// The summary counts as this window's lines; the next window starts now.
	e.start, e.passed, e.suppressed, e.timer, e.last = time.Now(), 0, 0, nil, ""
	l.mu.Unlock()
	l.c.emit(level, k.component, fmt.Sprintf("… and %s more like it in the last %s (last: %s)", words.Group(n), roundWindow(since), last), n)
}

// flushAll reports every kind still holding back lines.
func (l *limiter) flushAll() {
	l.mu.Lock()
	var ks []limitKey
	for k, e := range l.m {
		if e.suppressed > 0 {
			ks = append(ks, k)
		}
	}
	l.mu.Unlock()
	for _, k := range ks {
		l.flush(k)
	}
}

func roundWindow(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}
