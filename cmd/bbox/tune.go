package main

import (
	"context"
	"fmt"
	"os"

	"github.com/bbox-dev/bbox/tuning"
)

func init() {
	register(&command{
		name:    "tune",
		summary: "check this box (cores, isolation, NICs and their interrupts, socket buffers, busy polling, governor, huge pages) and say what to change",
		usage:   "[--json] [--apply]",
		run:     runTune,
	})
}

func runTune(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line of stdout")
	apply := fs.Bool("apply", false, "raise the sysctls the report marks 'change' (net.core.rmem_max/wmem_max, busy_poll/busy_read) and print how to undo it; nothing else is ever changed")
	root := fs.String("root", "/", "read (and with --apply, write) /proc and /sys under this directory: for checking a copied tree")
	if code, ok := parseNone(e, c, fs, args); !ok {
		return code
	}
	if st, err := os.Stat(*root); err != nil || !st.IsDir() {
		return usageErr(e, c, "--root %q is not a directory", *root)
	}
	out := humanOut(e, *asJSON)
	rep, applyErr := tuning.Tune(out, *root, *apply)
	if *asJSON {
		writeJSON(e.stdout, rep)
	}
	if applyErr != nil {
		return fail(e, c, fmt.Errorf("%v (run as root; the changes listed above were made)", applyErr))
	}
	return exitOK
}
