// Package termlog is bbox's operator output on stderr: log lines through
// log/slog (date, time, level and component on every line, as text or
// JSON), a rate limit that folds floods of one kind of line into a count,
// and the live status line, cut to the terminal's width so it never wraps
// (WhileStatus runs a command's work under it, with Rates for its rates).
//
// A Logger and the Loggers made from it with With share one writer and one
// status line; all their methods are safe for concurrent use.
package termlog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Format is how log lines are written.
type Format int

const (
	// Text is one human line: "2026-12-01 12:13:44.123 INFO  pub: message".
	Text Format = iota
	// JSON is one slog JSON object per line (time, level, component, msg).
	JSON
)

// ParseFormat parses --log-format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text", "":
		return Text, nil
	case "json":
		return JSON, nil
	}
	return Text, fmt.Errorf("%q: want text or json", s)
}

func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "text"
}

// Config configures New. The zero value writes text to os.Stderr with no
// status line and the default rate limit.
type Config struct {
	W         io.Writer // nil: os.Stderr
	TTY       bool      // W is a terminal: draw the status line in place (false: log it, see StatusEvery)
	Format    Format    // zero: Text
	Component string    // the component of lines logged through this Logger ("": none)
	// Window and Burst are the rate limit: at most Burst lines of one kind
	// (one format string and component) per Window; the rest are counted
	// and summarised when the window ends. 0 means 5s and 10; a negative
	// Burst turns the limit off.
	Window time.Duration
	Burst  int
	// StatusEvery is how often, when W is not a terminal, the status line
	// is logged as an INFO line instead (so a service's journal has it).
	// 0 means 10s; negative never.
	StatusEvery time.Duration
	// Redraw is how often the status line is redrawn on a terminal.
	// 0 means 1s.
	Redraw time.Duration
	// Width returns the terminal width in columns; nil means the width of
	// W if it is a terminal, else $COLUMNS, else 80.
	Width func() int
	// Quiet drops every line but errors and squawks.
	Quiet bool
}

// Validate reports an unknown Format or a negative Window or Redraw.
func (c Config) Validate() error {
	switch {
	case c.Format != Text && c.Format != JSON:
		return fmt.Errorf("termlog: unknown format %d", c.Format)
	case c.Window < 0 || c.Redraw < 0:
		return fmt.Errorf("termlog: window %v and redraw %v must not be negative", c.Window, c.Redraw)
	}
	return nil
}

// Logger writes log lines and a status line. See the package comment.
type Logger struct {
	c         *core
	component string
	noStatus  bool
}

// core is what Loggers made by With share.
type core struct {
	cfg    Config
	mu     sync.Mutex // orders writes to w against the status line
	status string     // the status line on screen, redrawn after a log line
	slog   *slog.Logger
	lim    *limiter
}

// New returns a Logger for cfg. It cannot fail, so it takes what does not
// Validate as the default: an unknown Format as Text, a negative Window
// or Redraw as 0.
func New(cfg Config) *Logger {
	if cfg.W == nil {
		cfg.W = os.Stderr
	}
	if cfg.Window <= 0 {
		cfg.Window = 5 * time.Second
	}
	if cfg.Burst == 0 {
		cfg.Burst = 10
	}
	if cfg.StatusEvery == 0 {
		cfg.StatusEvery = 10 * time.Second
	}
	if cfg.Redraw <= 0 {
		cfg.Redraw = time.Second
	}
	if cfg.Width == nil {
		cfg.Width = func() int { return Width(cfg.W) }
	}
	c := &core{cfg: cfg}
	sw := &statusWriter{c: c}
	var h slog.Handler
	if cfg.Format == JSON {
		h = slog.NewJSONHandler(sw, &slog.HandlerOptions{Level: slog.LevelDebug})
	} else {
		h = &textHandler{w: sw}
	}
	c.slog = slog.New(h)
	c.lim = newLimiter(c)
	return &Logger{c: c, component: cfg.Component}
}

// Slog returns the slog.Logger lines go through, with this Logger's
// component attached (not rate limited).
func (l *Logger) Slog() *slog.Logger { return l.c.slog.With("component", l.component) }

// With returns a Logger for another component sharing l's output.
func (l *Logger) With(component string) *Logger {
	return &Logger{c: l.c, component: component, noStatus: l.noStatus}
}

// WithoutStatus returns a Logger sharing l's output whose StatusLoop
// draws nothing: for a part whose status another part shows.
func (l *Logger) WithoutStatus() *Logger {
	return &Logger{c: l.c, component: l.component, noStatus: true}
}

// Logf logs an INFO line, or a WARN line when the message says it is a
// warning (starts with "warning:", or reports something slow, stuck,
// lost, dropped or refused), rate limited per format string.
func (l *Logger) Logf(format string, args ...any) {
	l.log(slog.LevelInfo, format, args)
}

// Infof logs an INFO line whatever its words say: for a line that names
// trouble it is set up to handle ("recovering gaps from ..."), which
// Logf would take for a warning.
func (l *Logger) Infof(format string, args ...any) {
	if !l.c.cfg.Quiet {
		l.limited(slog.LevelInfo, format, fmt.Sprintf(format, args...))
	}
}

// Warnf logs a WARN line, rate limited per format string.
func (l *Logger) Warnf(format string, args ...any) { l.log(slog.LevelWarn, format, args) }

// Errorf logs an ERROR line, rate limited per format string.
func (l *Logger) Errorf(format string, args ...any) { l.log(slog.LevelError, format, args) }

// Line prints s as it is, for output that is not a log event (a banner):
// in text format unprefixed, around the status line; in JSON format as an
// INFO record, so every line stays one JSON object. Never rate limited.
func (l *Logger) Line(s string) {
	if l.c.cfg.Format == JSON {
		l.c.emit(slog.LevelInfo, l.component, s, 0)
		return
	}
	l.c.writeRaw(s + "\n")
}

// Alert logs an event raised for operators (a squawk) at WARN. Alerts of
// one shape (the same first five words, numbers aside: "warning: sub-1
// shard 0: gap") are rate limited like Logf's lines, so a lossy link's gap
// squawks cannot flood the log (the alert stream still gets each one); a
// croak ("CROAK: ...") always passes, at ERROR.
func (l *Logger) Alert(s string) {
	if strings.HasPrefix(s, "CROAK") {
		l.c.emit(slog.LevelError, l.component, s, 0)
		return
	}
	if !l.c.lim.allow(l.component, lineShape(s), slog.LevelWarn, s) {
		return
	}
	l.c.emit(slog.LevelWarn, l.component, s, 0)
}

// lineShape is the rate-limit key of a Line: its first five words, each
// word with a digit in it replaced by "#".
func lineShape(s string) string {
	f := strings.Fields(s)
	f = f[:min(len(f), 5)]
	for i, w := range f {
		if strings.ContainsAny(w, "0123456789") {
			f[i] = "#"
		}
	}
	return "\x00line " + strings.Join(f, " ")
}

// Event logs msg at level with structured attributes (for JSON readers),
// never rate limited.
func (l *Logger) Event(level slog.Level, msg string, attrs ...any) {
	l.c.emit(level, l.component, msg, 0, attrs...)
}

// Flush writes the summaries of lines the rate limit is still holding
// back. Call it before exit.
func (l *Logger) Flush() { l.c.lim.flushAll() }

func (l *Logger) log(level slog.Level, format string, args []any) {
	if l.c.cfg.Quiet && level < slog.LevelError {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if level == slog.LevelInfo {
		level = levelOf(msg)
	}
	l.limited(level, format, msg)
}

// limited emits msg at level unless lines of its format are being folded.
func (l *Logger) limited(level slog.Level, format, msg string) {
	key := format
	if literalLen(format) < 8 {
		key = lineShape(msg) // logf("%s", msg) carries many kinds of line
	}
	if !l.c.lim.allow(l.component, key, level, msg) {
		return
	}
	l.c.emit(level, l.component, msg, 0)
}

// literalLen counts a format's letters outside its verbs.
func literalLen(format string) int {
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '%' {
			i++ // skip the verb letter (flags and widths count, harmlessly)
			continue
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			n++
		}
	}
	return n
}

// writeRaw writes s (whole lines) to the output around the status line.
func (c *core) writeRaw(s string) {
	(&statusWriter{c: c}).Write([]byte(s))
}

// emit writes one line through slog; suppressed > 0 adds that count.
func (c *core) emit(level slog.Level, component, msg string, suppressed int64, attrs ...any) {
	a := make([]any, 0, 4+len(attrs))
	a = append(a, "component", component)
	if suppressed > 0 {
		a = append(a, "suppressed", suppressed)
	}
	a = append(a, attrs...)
	c.slog.Log(context.Background(), level, msg, a...)
}

// alertWord marks a free-form message as a warning. Whole words only:
// "late" must not match "latency", nor "error" "errorless".
var alertWord = regexp.MustCompile(`\b(warning|croak\w*|squawk\w*|slow\w*|stuck|lost|dropped|refused|stall\w*|gaps?|late|failed|errors?|cut off|disconnected)\b`)

// zeroCount is a counter that reports nothing wrong ("lost 0", "0 gaps"):
// a summary line that counts no loss is not a warning.
var zeroCount = regexp.MustCompile(`\b(lost|dropped|gaps?|late|stalls?|errors?|failed|refused|disconnected)[ :=]+0([^.\d%]|$)|\b0 (lost|dropped|gaps?|late|stalls?|errors?|failed|refused|disconnected)\b`)

func levelOf(msg string) slog.Level {
	m := strings.ToLower(msg)
	if len(m) > 120 {
		m = m[:120]
	}
	if alertWord.MatchString(zeroCount.ReplaceAllString(m, "")) {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// statusWriter is the io.Writer under the slog handlers: it clears the
// status line before each log line and redraws it after, so the two
// never mangle each other. slog writes one line per Write.
type statusWriter struct{ c *core }

func (w *statusWriter) Write(p []byte) (int, error) {
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.TTY && c.status != "" {
		io.WriteString(c.cfg.W, "\r\033[K")
	}
	n, err := c.cfg.W.Write(p)
	if c.cfg.TTY && c.status != "" {
		io.WriteString(c.cfg.W, c.status)
	}
	return n, err
}

// textHandler writes "2006-01-02 15:04:05.000 LEVEL component: msg k=v".
type textHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

func (h *textHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.Grow(64 + len(r.Message))
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("2006-01-02 15:04:05.000"))
	b.WriteByte(' ')
	lv := r.Level.String()
	b.WriteString(lv)
	b.WriteString(strings.Repeat(" ", max(1, 6-len(lv))))
	component := ""
	var extra []slog.Attr
	each := func(a slog.Attr) bool {
		switch a.Key {
		case "component":
			component = a.Value.String()
		case "suppressed": // the message itself says how many
		default:
			extra = append(extra, a)
		}
		return true
	}
	for _, a := range h.attrs {
		each(a)
	}
	r.Attrs(each)
	if component == "" {
		component = "bbox"
	}
	b.WriteString(component)
	b.WriteString(": ")
	b.WriteString(r.Message)
	for _, a := range extra {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
	}
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &textHandler{w: h.w, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *textHandler) WithGroup(string) slog.Handler { return h }
