package tuning

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Report is bbox tune's result: the box's checks and, with apply, the
// sysctls raised (its JSON is bbox tune --json's object).
type Report struct {
	Command  string         `json:"command"`
	Checks   []Check        `json:"checks"`
	Changed  []SysctlChange `json:"changed"` // never null: [] when nothing changed
	Applied  bool           `json:"applied"`
	Warnings []string       `json:"warnings,omitempty"`
}

// Tune checks the box whose /proc and /sys are under root, and with apply
// raises the sysctls a check marks StatusChange (ApplySysctls). It writes
// the report as text to w as it goes, so what was changed is on record
// even when a later change fails. err is ApplySysctls' error (also in
// Warnings); the changes made before it are in Changed.
func Tune(w io.Writer, root string, apply bool) (rep Report, err error) {
	rep = Report{Command: "tune", Checks: CheckBox(os.DirFS(root)), Changed: []SysctlChange{}}
	WriteChecks(w, rep.Checks)
	if !apply {
		return rep, nil
	}
	rep.Applied = true
	changed, err := ApplySysctls(root)
	rep.Changed = append(rep.Changed, changed...)
	WriteChanges(w, changed)
	if err != nil {
		rep.Warnings = append(rep.Warnings, err.Error())
	}
	return rep, err
}

// WriteChecks writes checks as text: status, name, what was found, what
// is recommended and why, then how many suggest a change.
func WriteChecks(w io.Writer, checks []Check) {
	fmt.Fprintf(w, "bbox tune: this box, as bbox sees it (nothing changed; --apply raises the sysctls marked change)\n\n")
	mark := map[string]string{StatusOK: "ok", StatusChange: "CHANGE", StatusInfo: "info", StatusUnknown: "?"}
	n := 0
	for _, ck := range checks {
		fmt.Fprintf(w, "%-7s %s\n", mark[ck.Status], ck.Name)
		fmt.Fprintf(w, "        found:       %s\n", ck.Found)
		fmt.Fprintf(w, "        recommended: %s\n", ck.Recommended)
		fmt.Fprintf(w, "        why:         %s\n", ck.Why)
		if ck.Status == StatusChange {
			n++
		}
	}
	fmt.Fprintf(w, "\n%d of %d checks suggest a change.\n", n, len(checks))
}

// WriteChanges writes what ApplySysctls changed, how to undo it and how
// to keep it after a reboot.
func WriteChanges(w io.Writer, changed []SysctlChange) {
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
