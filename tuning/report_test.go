package tuning

import (
	"io/fs"
	"os"
	"strings"
	"testing"
)

// Tune reports the checks, and with apply what it changed and how to
// undo and keep it; without apply it changes nothing.
func TestTune(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, fs.FS(richBox())); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep, err := Tune(&out, root, false)
	if err != nil || rep.Command != "tune" || rep.Applied || rep.Changed == nil || len(rep.Changed) != 0 || len(rep.Checks) == 0 {
		t.Fatalf("Tune without apply: %+v, %v", rep, err)
	}
	if s := out.String(); !strings.HasPrefix(s, "bbox tune: this box") || !strings.Contains(s, "CHANGE  ") ||
		!strings.Contains(s, "        recommended: ") || !strings.Contains(s, " checks suggest a change.\n") || strings.Contains(s, "--apply changed") {
		t.Errorf("text without apply:\n%s", s)
	}
	out.Reset()
	rep, err = Tune(&out, root, true)
	if err != nil || !rep.Applied || len(rep.Changed) != 2 {
		t.Fatalf("Tune with apply: %+v, %v", rep, err)
	}
	if s := out.String(); !strings.Contains(s, "  net.core.rmem_max: 212992 -> 16777216\n") || !strings.Contains(s, "To undo:\n  sysctl -w net.core.rmem_max=212992\n") ||
		!strings.Contains(s, "/etc/sysctl.d/90-bbox.conf:\n  net.core.rmem_max = 16777216\n") {
		t.Errorf("text with apply:\n%s", s)
	}
	out.Reset()
	if rep, err = Tune(&out, root, true); err != nil || len(rep.Changed) != 0 || !strings.Contains(out.String(), "--apply: no sysctl needed changing.") {
		t.Errorf("second apply: %+v, %v\n%s", rep, err, out.String())
	}
}
