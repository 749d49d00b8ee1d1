package main

// Every command's flags go through newFlags and parse: one help format
// (--flag, as the README spells them), one way to report a mistake (the
// flag, what is wrong, the nearest flag for a typo, exit 2), and one set of
// value rules that hold for a flag name in every command that has it, so
// that the same mistake is refused the same way everywhere, before
// anything starts, and also when it comes from a --config file (config.go
// checks each setting with checkFlag). The flag values stay the flag
// package's own, so flag.UnquoteUsage and the generated reference see
// their types.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

// newFlags returns the flag set of c: -h prints usageText; parse reports
// errors.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("bbox "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.onFlags != nil {
		e.onFlags(fs)
	}
	fs.Usage = func() { io.WriteString(fs.Output(), usageText(fs, c)) }
	return fs
}

// usageText is c's help: synopsis, summary and every flag as --name.
func usageText(fs *flag.FlagSet, c *command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: bbox %s %s\n\n%s\n\nFlags:\n", c.name, c.usage, c.summary)
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s", f.Name)
		if t := typeName(f.Name, f.Value); t != "" {
			fmt.Fprintf(&b, " %s", t)
		}
		b.WriteString("\n        ")
		b.WriteString(strings.ReplaceAll(f.Usage, "\n", "\n        "))
		if !zeroDefault(f) {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteByte('\n')
	})
	fmt.Fprintf(&b, "\nExit status: 0 done, 1 error, 2 usage error, 3 croaked.\n")
	return b.String()
}

// zeroDefault reports whether f's default is not worth printing.
func zeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "0s", "false":
		return true
	}
	return false
}

// typeName names the kind of value a flag takes, for help ("" for a
// switch). Unlike flag.UnquoteUsage it never takes a word of the usage
// text for it, so usage may quote freely.
func typeName(name string, v flag.Value) string {
	if t, ok := valueNames[name]; ok {
		return t
	}
	if b, ok := v.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	switch v.(type) {
	case *listFlag:
		if endpointFlags[name] {
			return "EP[,EP...]"
		}
		return "LIST"
	case *rateFlag:
		return "RATE"
	case *speedFlag:
		return "SPEED"
	case *cpuSpec:
		return "CPUS"
	}
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			return "DURATION"
		case int, int64, uint, uint64:
			return "N"
		case float64:
			return "NUMBER"
		}
	}
	return "STRING"
}

// valueNames name the values of flags whose type says too little.
var valueNames = map[string]string{
	"alert": "EP", "push": "EP", "config": "FILE", "out": "FILE", "tap": "FILE", "root": "DIR",
	"source": "SOURCE", "cpus": "CPUS", "gogc": "PERCENT", "gomemlimit": "BYTES",
	"latency-out": "FILE", "latency-from": "STAMP", "latency-warmup": "DURATION", "latency-interval": "DURATION",
	"metrics": "ADDR", "log-format": "FORMAT", "on-late": "ACTION", "slow": "POLICY", "idle": "STRATEGY",
	"order": "ORDER", "co": "SETTING", "at": "WHERE", "mode": "MODE", "mold": "URL", "name": "NAME",
	"rotate": "LIMIT", "chunk-size": "BYTES", "date": "DATE", "from": "TIME", "to": "TIME", "open": "TIME", "tz": "ZONE",
	"format": "FORMAT", "recover": "MODE", "rewind": "BYTES", "recover-hold": "BYTES", "serve": "EP",
}

// parse parses args; it returns (exit code, false) when the command should
// stop: -h (0, after printing help) or a usage error (2, after one line
// naming the flag and pointing at the help).
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	out, usage := fs.Output(), fs.Usage
	// The flag package would print its own message and the whole usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	var msg string
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return exitOK, false
	case err != nil:
		msg = explainParseError(fs, err)
	default:
		msg = ruleViolation(fs)
	}
	if msg == "" {
		return 0, true
	}
	cmd := strings.TrimPrefix(fs.Name(), "bbox ")
	fmt.Fprintf(out, "%s: %s\n%s\n", fs.Name(), msg, helpHint(cmd))
	return exitUsage, false
}

// ruleViolation checks every flag given against the rules of its name
// and says what is wrong with the first that breaks one ("" if none).
func ruleViolation(fs *flag.FlagSet) string {
	var msg string
	fs.Visit(func(f *flag.Flag) {
		if err := checkFlag(f); err != nil && msg == "" {
			msg = fmt.Sprintf("--%s %s: %v", f.Name, f.Value, err)
		}
	})
	return msg
}

// checkFlag checks f's value against the rule of its name, if any.
func checkFlag(f *flag.Flag) error {
	if rule := ruleFor(f); rule != nil {
		return rule(f.Name, f.Value, f.Value.String())
	}
	return nil
}

func helpHint(cmd string) string { return fmt.Sprintf("Run 'bbox help %s' for its flags.", cmd) }

// The flag package's messages, which it does not export as types.
var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reInvalid   = regexp.MustCompile(`^invalid value (".*") for flag -+([^:]+): (.*)$`)
	reBool      = regexp.MustCompile(`^invalid boolean value (".*") for -+([^:]+): (.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// explainParseError rewrites the flag package's error in bbox's terms.
func explainParseError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		s := "unknown flag --" + m[1]
		if near := nearestFlag(fs, m[1]); near != "" {
			s += " (did you mean --" + near + "?)"
		}
		return s
	}
	if m := reInvalid.FindStringSubmatch(msg); m != nil {
		v, _ := strconv.Unquote(m[1])
		why := m[3]
		if f := fs.Lookup(m[2]); f != nil {
			why = explainValueError(f.Value, v, errors.New(why)).Error()
		}
		return fmt.Sprintf("--%s %s: %s", m[2], v, why)
	}
	if m := reBool.FindStringSubmatch(msg); m != nil {
		v, _ := strconv.Unquote(m[1])
		return fmt.Sprintf("--%s=%s: want true or false (a switch: --%s alone turns it on)", m[2], v, m[2])
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	return msg
}

// nearestFlag is the flag a typo most likely meant: the one a few edits
// away (at most one per four letters, and at least one), or the only one
// that starts with name; "" if none is close.
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 1+len(name)/4+1
	var prefixed []string
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" && len(prefixed) == 1 && len(name) >= 2 {
		return prefixed[0]
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (bbox replay FILE --bind ...), which the flag
// package alone stops at; it returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if code, ok := parse(fs, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// explainValueError replaces the flag package's "parse error" for v's
// type with what the value should look like.
func explainValueError(v flag.Value, s string, err error) error {
	g, ok := v.(flag.Getter)
	if !ok || err.Error() != "parse error" {
		return err // bbox's own flag types say what they want; "value out of range" says it
	}
	switch g.Get().(type) {
	case time.Duration:
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return fmt.Errorf("a duration needs a unit: %ss, %sms, %sm", s, s, s)
		}
		return errors.New("not a duration (500ms, 5s, 2m, 1h30m)")
	case int, int64:
		return errors.New("want a whole number")
	case uint, uint64:
		return errors.New("want a whole number ≥ 0")
	case float64:
		return errors.New("want a number")
	case bool:
		return errors.New("want true or false")
	}
	return err
}

// Flags whose negative values mean something (the rest must be ≥ 0).
var negativeOK = map[string]bool{
	"heartbeat":    true, // negative: off
	"clock-offset": true, // the publisher's clock may run behind
}

// endpointFlags take ZeroMQ endpoints (comma-separated lists).
var endpointFlags = map[string]bool{"bind": true, "connect": true, "push": true, "alert": true}

// ruleFor returns the rule for flag f, or nil. Rules go by name: a name
// means the same thing in every command.
func ruleFor(f *flag.Flag) func(string, flag.Value, string) error {
	switch {
	case endpointFlags[f.Name]:
		return checkEndpoints
	case f.Name == "slow":
		return oneOf("drop", "block")
	case f.Name == "on-late":
		return oneOf("croak", "warn")
	case f.Name == "order":
		return func(_ string, _ flag.Value, s string) error {
			if _, err := workers.ParseOrder(s); err != nil {
				return errors.New("want none or topic")
			}
			return nil
		}
	case f.Name == "frame-size":
		return checkFrameSize(f.DefValue)
	case f.Name == "cpus" || f.Name == "worker-cpus":
		return checkCPUs
	case f.Name == "level":
		return checkLevel
	}
	if check, ok := genRules[f.Name]; ok && isInt(f.Value) {
		return func(_ string, v flag.Value, _ string) error {
			n, _ := v.(flag.Getter).Get().(int)
			return check(n)
		}
	}
	if negativeOK[f.Name] || strings.HasPrefix(f.DefValue, "-") {
		return nil
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration, int, int64, float64:
			return nonNegative
		}
	}
	return nil
}

func nonNegative(_ string, v flag.Value, s string) error {
	neg := false
	switch x := v.(flag.Getter).Get().(type) {
	case time.Duration:
		neg = x < 0
	case int:
		neg = x < 0
	case int64:
		neg = x < 0
	case float64:
		neg = x < 0
	}
	if neg {
		return errors.New("must not be negative")
	}
	return nil
}

func oneOf(choices ...string) func(string, flag.Value, string) error {
	return func(_ string, _ flag.Value, s string) error {
		for _, c := range choices {
			if s == c {
				return nil
			}
		}
		return fmt.Errorf("want %s", orList(choices))
	}
}

// orList spells choices as "a, b or c".
func orList(choices []string) string {
	if len(choices) == 1 {
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// checkEndpoints checks each endpoint of a (comma-separated) value.
func checkEndpoints(_ string, _ flag.Value, s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := zmqx.ParseEndpoint(p); err != nil {
			return err
		}
	}
	return nil
}

// genRules hold the synthetic feed's flags to the generator's bounds
// (feed.GenConfig.Validate), for the int flags of these names only
// (replay's --symbols is a list of topics).
var genRules = map[string]func(n int) error{
	"symbols": func(n int) error { return (&feed.GenConfig{Symbols: n}).Validate() },
	"size":    func(n int) error { return (&feed.GenConfig{Size: n}).Validate() },
}

func isInt(v flag.Value) bool {
	g, ok := v.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(int)
	return ok
}

// checkLevel holds --level to what the capture writer takes, by asking it.
func checkLevel(_ string, v flag.Value, _ string) error {
	n, _ := v.(flag.Getter).Get().(int)
	w, err := replay.NewWriter(io.Discard, "", replay.WriterConfig{Level: n})
	if err != nil {
		return err
	}
	return w.Close()
}

// checkCPUs holds a core list (not auto or none) to the cores this
// process may use, so that a core the box lacks is refused in every
// command that pins, before anything is pinned.
func checkCPUs(_ string, _ flag.Value, s string) error {
	if s == "auto" || s == "none" || s == "" {
		return nil
	}
	cpus, err := tuning.ParseCPUList(s)
	if err != nil {
		return err
	}
	online := tuning.Online()
	for _, c := range cpus {
		if !slices.Contains(online, c) {
			return fmt.Errorf("cpu %d is not available to this process (online: %s)", c, tuning.FormatCPUList(online))
		}
	}
	return nil
}

// checkFrameSize holds --frame-size to the publisher's bounds; 0 is
// allowed where it is the default ("the publisher's default").
func checkFrameSize(def string) func(string, flag.Value, string) error {
	return func(_ string, v flag.Value, s string) error {
		n, _ := v.(flag.Getter).Get().(int)
		if n == 0 && def == "0" {
			return nil
		}
		err := shard.PubConfig{Binds: []string{"ipc://check"}, FrameSize: n, HWM: 1 << 62}.Validate()
		if err != nil {
			return err
		}
		return nil
	}
}

// validate checks what the flags of one publisher allow only together,
// before anything binds.
func (p *pubFlags) validate() error {
	if p.hwm > 0 && p.frameSize > p.hwm {
		return fmt.Errorf("--hwm %d is below --frame-size %d: a subscriber's queue must hold at least one frame", p.hwm, p.frameSize)
	}
	cfg := shard.PubConfig{Binds: p.binds, Partitions: p.partitions, FrameSize: p.frameSize, HWM: p.hwm}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return p.rec.validate(p.binds)
}

// usageErr reports a usage error naming the flag and exits 2.
func usageErr(e *env, c *command, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "bbox %s: %s\n%s\n", c.name, fmt.Sprintf(format, args...), helpHint(c.name))
	return exitUsage
}

// usageError is an error found past parsing that is still the user's
// mistake in the command line (a core the process may not use): fail
// reports it as a usage error.
type usageError struct{ error }

func (u *usageError) Unwrap() error { return u.error }

// fail reports an error and exits 1, or 2 for a *usageError.
func fail(e *env, c *command, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return usageErr(e, c, "%v", ue.error)
	}
	fmt.Fprintf(e.stderr, "bbox %s: %v%s\n", c.name, err, flagHint(err))
	return exitError
}

// flagHints name the flag that answers a library error (libraries speak of
// their Config, never of flags).
var flagHints = []struct {
	err  error
	flag string
}{{exchange.ErrNoDay, "--date"}, {exchange.ErrStrict, "--strict"}}

// flagHint is " (--flag)" for an error a flag answers, else "".
func flagHint(err error) string {
	for _, h := range flagHints {
		if errors.Is(err, h.err) {
			return " (" + h.flag + ")"
		}
	}
	return ""
}
