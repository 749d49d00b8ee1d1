package main

// Every command's flags go through newFlags and parse: one help format
// (--flag, as the README spells them), one way to report a mistake (the
// flag, what is wrong, the nearest flag for a typo, exit 2), and one set of
// value rules that hold for a flag name in every command that has it, so
// that the same mistake is refused the same way everywhere, before
// anything starts, and also when it comes from a --config file (config.go
// sets each setting through flagSpec). The machinery is internal/cli; the
// tables are here. The flag values stay the flag
// package's own, so flag.UnquoteUsage and the generated reference see
// their types.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

// newFlags returns the flag set of c: -h prints its help (flagSpec.Usage);
// parse reports errors.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("bbox "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.onFlags != nil {
		e.onFlags(fs)
	}
	fs.Usage = func() { io.WriteString(fs.Output(), flagSpec.Usage(fs, c.usage, c.summary)) }
	return fs
}

// flagSpec is bbox's flag tables: what help calls each value and the rule
// each flag name is held to in every command (and in a --config file).
var flagSpec = &cli.Spec{
	ValueNames:    valueNames,
	Kind:          valueKind,
	Endpoints:     map[string]bool{"bind": true, "connect": true, "push": true, "alert": true},
	CheckEndpoint: func(s string) error { _, err := zmqx.ParseEndpoint(s); return err },
	Rules: map[string]cli.Rule{
		"slow":        cli.OneOf("drop", "block"),
		"on-late":     cli.OneOf("croak", "warn"),
		"order":       cli.Text(checkOrder),
		"frame-size":  checkFrameSize,
		"cpus":        cli.Text(checkCPUs),
		"worker-cpus": cli.Text(checkCPUs),
		"level":       cli.Int(checkLevel),
		// The synthetic feed's int flags are held to the generator's
		// bounds (replay's --symbols is a list of topics: not checked).
		"symbols": cli.Int(func(n int) error { return (&feed.GenConfig{Symbols: n}).Validate() }),
		"size":    cli.Int(func(n int) error { return (&feed.GenConfig{Size: n}).Validate() }),
	},
	NegativeOK: map[string]bool{
		"heartbeat":    true, // negative: off
		"clock-offset": true, // the publisher's clock may run behind
	},
	Footer: "Exit status: 0 done, 1 error, 2 usage error, 3 croaked.\n",
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

// valueKind names bbox's own value types for help.
func valueKind(v flag.Value) string {
	switch v.(type) {
	case *speedFlag:
		return "SPEED"
	case *cpuSpec:
		return "CPUS"
	}
	return ""
}

// typeName is the value name help shows for a flag ("" for a switch).
func typeName(name string, v flag.Value) string { return flagSpec.TypeName(name, v) }

// parse parses args; it returns (exit code, false) when the command should
// stop: -h (0, after printing help) or a usage error (2, after one line
// naming the flag and pointing at the help).
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	return parsed(fs, flagSpec.Parse(fs, args))
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (bbox replay FILE --bind ...); it returns the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := flagSpec.ParseInterleaved(fs, args)
	code, ok = parsed(fs, err)
	return pos, code, ok
}

// parsed reports what flagSpec.Parse found.
func parsed(fs *flag.FlagSet, err error) (int, bool) {
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, false
	}
	fmt.Fprintf(fs.Output(), "%s: %v\n%s\n", fs.Name(), err, helpHint(strings.TrimPrefix(fs.Name(), "bbox ")))
	return exitUsage, false
}

func helpHint(cmd string) string { return fmt.Sprintf("Run 'bbox help %s' for its flags.", cmd) }

func checkOrder(s string) error {
	if _, err := workers.ParseOrder(s); err != nil {
		return errors.New("want none or topic")
	}
	return nil
}

// checkLevel holds --level to what the capture writer takes, by asking it.
func checkLevel(n int) error {
	w, err := replay.NewWriter(io.Discard, "", replay.WriterConfig{Level: n})
	if err != nil {
		return err
	}
	return w.Close()
}

// checkCPUs holds a core list (not auto or none) to the cores this
// process may use, so that a core the box lacks is refused in every
// command that pins, before anything is pinned.
func checkCPUs(s string) error {
	if s == "auto" || s == "none" || s == "" {
		return nil
	}
	_, err := tuning.AvailableCPUs(s)
	return err
}

// checkFrameSize holds --frame-size to the publisher's bounds; 0 is
// allowed where it is the default ("the publisher's default").
func checkFrameSize(f *flag.Flag) error {
	n, _ := cli.IntOf(f.Value)
	if n == 0 && f.DefValue == "0" {
		return nil
	}
	return shard.PubConfig{Binds: []string{"ipc://check"}, FrameSize: n, HWM: 1 << 62}.Validate()
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
