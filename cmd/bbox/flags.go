package main

// Every command's flags go through newFlags and parse: one help format
// (--flag, as the README spells them), one way to report a mistake (the
// flag, what is wrong, the nearest flag for a typo, exit 2), and one set of
// value rules that hold for a flag name in every command that has it, so
// that the same mistake is refused the same way everywhere, before
// anything starts, and also when it comes from a --config file (config.go
// sets each setting through flagSpec). The machinery and bbox's table are
// internal/cli's; this file is how a command uses them.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/bbox-dev/bbox/internal/cli"
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

// flagSpec is bbox's flag table (cli.BBox): what help calls each value
// and the rule each flag name is held to in every command.
var flagSpec = cli.BBox

// parse parses args; it returns (exit code, false) when the command should
// stop: -h (0, after printing help) or a usage error (2, after one line
// naming the flag and pointing at the help).
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	return parsed(fs, flagSpec.Parse(fs, args))
}

// parseNone is parse for a command that takes no positional arguments:
// one is a usage error.
func parseNone(e *env, c *command, fs *flag.FlagSet, args []string) (int, bool) {
	return parsed(fs, flagSpec.ParseNone(fs, args))
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (bbox replay FILE --bind ...); it returns the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := flagSpec.ParseInterleaved(fs, args)
	code, ok = parsed(fs, err)
	return pos, code, ok
}

// parsed reports what flagSpec.Parse found (cli.Exit).
func parsed(fs *flag.FlagSet, err error) (int, bool) {
	return cli.Exit(fs, err, helpHint(strings.TrimPrefix(fs.Name(), "bbox ")))
}

func helpHint(cmd string) string { return fmt.Sprintf("Run 'bbox help %s' for its flags.", cmd) }

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
	fmt.Fprintf(e.stderr, "bbox %s: %v%s\n", c.name, err, cli.FlagHint(err))
	return exitError
}
