// Command bbox is the market-data fan-out engine: one binary whose
// subcommands run the publisher, subscribers, workers, the demo, capture
// tools and benchmarks. The command-line contract is shared/CLI.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/bbox-dev/bbox/internal/termlog"
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
	run     func(ctx context.Context, env *env, c *command, args []string) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// env is what a command may touch of the outside world, so tests can run
// commands in-process with their own streams.
type env struct {
	stdout, stderr io.Writer
	stderrTTY      bool
	onFlags        func(*flag.FlagSet) // sees every flag set newFlags makes (the generated docs/cli.md)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, stderrTTY: termlog.IsTerminal(os.Stderr)}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		topUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch {
	case name == "--version" || name == "-version":
		return runVersion(ctx, e, commands["version"], args[1:])
	case name == "-h" || name == "-help" || name == "--help" || name == "help" && len(args) == 1:
		topUsage(e.stdout)
		return exitOK
	case name == "help":
		c, ok := commands[args[1]]
		if !ok {
			fmt.Fprintf(e.stderr, "bbox help: unknown command %q\n", args[1])
			return exitUsage
		}
		// The rest names a subcommand (bbox help bench compare).
		return c.run(ctx, &env{stdout: e.stdout, stderr: e.stdout}, c, append(args[2:len(args):len(args)], "-h"))
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "bbox: unknown command %q\nRun 'bbox help' for the list.\n", name)
		return exitUsage
	}
	return c.run(ctx, e, c, args[1:])
}

func topUsage(w io.Writer) {
	fmt.Fprintf(w, "bbox — a market-data fan-out engine (ZeroMQ Black Box and Suicidal Snail patterns)\n\n")
	fmt.Fprintf(w, "Usage:\n\n\tbbox <command> [flags]\n\nCommands:\n\n")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "\t%-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'bbox help <command>' or 'bbox <command> -h' for its flags.\n")
	fmt.Fprintf(w, "Exit status: 0 done, 1 error, 2 usage error, 3 croaked (a subscriber was too slow).\n")
}
