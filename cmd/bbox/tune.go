package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

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

// tuneReport is bbox tune's JSON object.
type tuneReport struct {
	Command  string                `json:"command"`
	Checks   []tuning.Check        `json:"checks"`
	Changed  []tuning.SysctlChange `json:"changed"`
	Applied  bool                  `json:"applied"`
	Warnings []string              `json:"warnings,omitempty"`
}

func runTune(ctx context.Context, e *env, args []string) int {
	c := commands["tune"]
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line of stdout")
	apply := fs.Bool("apply", false, "raise the sysctls the report marks 'change' (net.core.rmem_max/wmem_max, busy_poll/busy_read) and print how to undo it; nothing else is ever changed")
	root := fs.String("root", "/", "read (and with --apply, write) /proc and /sys under this directory: for checking a copied tree")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(e, c, "unexpected argument %q", fs.Arg(0))
	}
	if st, err := os.Stat(*root); err != nil || !st.IsDir() {
		return usageErr(e, c, "--root %q is not a directory", *root)
	}
	rep := tuneReport{Command: "tune", Checks: tuning.CheckBox(os.DirFS(*root)), Changed: []tuning.SysctlChange{}}
	out := e.stdout
	if *asJSON {
		out = e.stderr
	}
	printTune(out, rep.Checks)
	var applyErr error
	if *apply {
		rep.Applied = true
		var changed []tuning.SysctlChange
		changed, applyErr = tuning.ApplySysctls(*root)
		rep.Changed = append(rep.Changed, changed...)
		printChanges(out, changed)
		if applyErr != nil {
			rep.Warnings = append(rep.Warnings, applyErr.Error())
		}
	}
	if *asJSON {
		writeJSON(e.stdout, rep)
	}
	if applyErr != nil {
		return fail(e, c, fmt.Errorf("%v (run as root; the changes listed above were made)", applyErr))
	}
	return exitOK
}

func printTune(w io.Writer, checks []tuning.Check) {
	fmt.Fprintf(w, "bbox tune: this box, as bbox sees it (nothing changed; --apply raises the sysctls marked change)\n\n")
	mark := map[string]string{tuning.StatusOK: "ok", tuning.StatusChange: "CHANGE", tuning.StatusInfo: "info", tuning.StatusUnknown: "?"}
	n := 0
	for _, ck := range checks {
		fmt.Fprintf(w, "%-7s %s\n", mark[ck.Status], ck.Name)
		fmt.Fprintf(w, "        found:       %s\n", ck.Found)
		fmt.Fprintf(w, "        recommended: %s\n", ck.Recommended)
		fmt.Fprintf(w, "        why:         %s\n", ck.Why)
		if ck.Status == tuning.StatusChange {
			n++
		}
	}
	fmt.Fprintf(w, "\n%d of %d checks suggest a change.\n", n, len(checks))
}

func printChanges(w io.Writer, changed []tuning.SysctlChange) {
	if len(changed) == 0 {
		fmt.Fprintf(w, "\n--apply: no sysctl needed changing.\n")
		return
	}
	fmt.Fprintf(w, "\n--apply changed (until reboot):\n")
	var undo, keep []string
	for _, ch := range changed {
		fmt.Fprintf(w, "  %s: %s -> %s\n", ch.Name, ch.Old, ch.New)
		undo = append(undo, ch.Undo)
		keep = append(keep, ch.Name+" = "+ch.New)
	}
	fmt.Fprintf(w, "To undo:\n  %s\n", strings.Join(undo, "\n  "))
	fmt.Fprintf(w, "To keep after a reboot, put these lines in /etc/sysctl.d/90-bbox.conf:\n  %s\n", strings.Join(keep, "\n  "))
}
