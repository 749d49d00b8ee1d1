// Command bbox is the market-data fan-out engine: one binary whose
// subcommands run the publisher, subscribers, workers, the demo, capture
// tools and benchmarks. The command-line contract is shared/CLI.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes (CLI.md).
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitCroaked = 3
)

// command is one subcommand. run gets the arguments after the name and
// returns an exit code; it prints its own errors.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis after "bbox NAME"
	run     func(ctx context.Context, env *env, args []string) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// env is what a command may touch of the outside world, so tests can run
// commands in-process with their own streams.
type env struct {
	stdout, stderr io.Writer
	stdinTTY       bool
	stderrTTY      bool
	onFlags        flagSetHook // sees every flag set made (the generated docs/cli.md)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, stderrTTY: isTerminal(os.Stderr)}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		topUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "--version", "-version":
		return runVersion(ctx, e, args[1:])
	case "-h", "-help", "--help":
		topUsage(e.stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			topUsage(e.stdout)
			return exitOK
		}
		c, ok := commands[args[1]]
		if !ok {
			fmt.Fprintf(e.stderr, "bbox help: unknown command %q\n", args[1])
			return exitUsage
		}
		return c.run(ctx, &env{stdout: e.stdout, stderr: e.stdout}, []string{"-h"})
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "bbox: unknown command %q\nRun 'bbox help' for the list.\n", name)
		return exitUsage
	}
	return c.run(ctx, e, args[1:])
}

func topUsage(w io.Writer) {
	fmt.Fprintf(w, "bbox — a market-data fan-out engine (ZeroMQ Black Box and Suicidal Snail patterns)\n\n")
	fmt.Fprintf(w, "Usage:\n\n\tbbox <command> [flags]\n\nCommands:\n\n")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'bbox help <command>' or 'bbox <command> -h' for its flags.\n")
	fmt.Fprintf(w, "Exit status: 0 done, 1 error, 2 usage error, 3 croaked (a subscriber was too slow).\n")
}

// newFlags returns a flag set whose -h output is generated from its flags.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("bbox "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.onFlags != nil {
		e.onFlags(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bbox %s %s\n\n%s\n\nFlags:\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; it returns (exit code, false) when the command should
// stop: -h (0) or a usage error (2, after printing usage).
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
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

// usageErr reports a usage error naming the flag and exits 2.
func usageErr(e *env, c *command, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "bbox %s: %s\nRun 'bbox %s -h' for usage.\n", c.name, fmt.Sprintf(format, args...), c.name)
	return exitUsage
}

// fail reports an error and exits 1.
func fail(e *env, c *command, err error) int {
	fmt.Fprintf(e.stderr, "bbox %s: %v\n", c.name, err)
	return exitError
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
