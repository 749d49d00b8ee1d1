package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/tuning"
)

type tuneJSON struct {
	Command string         `json:"command"`
	Checks  []tuning.Check `json:"checks"`
	Changed []struct {
		Name, Old, New, Undo string
	} `json:"changed"`
	Applied bool `json:"applied"`
}

func readSysctls(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"rmem_max", "wmem_max", "busy_poll", "busy_read"} {
		b, err := os.ReadFile(filepath.Join(root, "proc/sys/net/core", f))
		if err == nil {
			out[f] = strings.TrimSpace(string(b))
		}
	}
	return out
}

// bbox tune --json on this box: every check the issue lists is there,
// named, with what was found, what is recommended and why; and it changed
// nothing.
func TestTuneJSONThisBox(t *testing.T) {
	before := readSysctls(t, "/")
	code, p := runBBox(t, 30*time.Second, "tune", "--json")
	if code != 0 {
		t.Fatalf("bbox tune --json exited %d\n%s", code, p.stderr.String())
	}
	var rep tuneJSON
	p.summary(&rep)
	if rep.Command != "tune" || rep.Applied || len(rep.Changed) != 0 {
		t.Errorf("command %q applied %v changed %v: want a report that changes nothing", rep.Command, rep.Applied, rep.Changed)
	}
	byName := map[string]tuning.Check{}
	for _, c := range rep.Checks {
		byName[c.Name] = c
		if c.Found == "" || c.Recommended == "" || c.Why == "" {
			t.Errorf("check %q lacks found/recommended/why: %+v", c.Name, c)
		}
		switch c.Status {
		case tuning.StatusOK, tuning.StatusChange, tuning.StatusInfo, tuning.StatusUnknown:
		default:
			t.Errorf("check %q: status %q", c.Name, c.Status)
		}
	}
	for _, name := range []string{"cores", "isolcpus", "nohz_full", "net.core.rmem_max", "net.core.wmem_max",
		"net.core.busy_poll", "net.core.busy_read", "cpu frequency governor", "transparent huge pages"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("no %q check in %v", name, names(rep.Checks))
		}
	}
	// One NIC check and one interrupt check per interface but lo.
	ents, _ := os.ReadDir("/sys/class/net")
	for _, e := range ents {
		if e.Name() == "lo" {
			continue
		}
		for _, n := range []string{"nic " + e.Name(), "irq affinity " + e.Name()} {
			if _, ok := byName[n]; !ok {
				t.Errorf("no %q check in %v", n, names(rep.Checks))
			}
		}
		if c := byName["nic "+e.Name()]; !strings.Contains(c.Found, "mtu ") || !strings.Contains(c.Found, "speed") || !strings.Contains(c.Found, "queue") {
			t.Errorf("nic %s: found %q, want speed, mtu and queues", e.Name(), c.Found)
		}
	}
	// The report reads the real box: the core count and the sysctls match.
	if c := byName["cores"]; !strings.Contains(c.Found, strconv.Itoa(len(tuning.Online()))+" core") {
		t.Errorf("cores: found %q, want %d cores", c.Found, len(tuning.Online()))
	}
	if v, ok := before["rmem_max"]; ok && byName["net.core.rmem_max"].Found != v {
		t.Errorf("net.core.rmem_max: found %q, /proc says %s", byName["net.core.rmem_max"].Found, v)
	}
	if after := readSysctls(t, "/"); !equalMaps(before, after) {
		t.Errorf("bbox tune without --apply changed sysctls: %v -> %v", before, after)
	}
	// The human report goes to stderr with --json, each check with its reason.
	if !strings.Contains(p.stderr.String(), "recommended:") || !strings.Contains(p.stderr.String(), "why:") {
		t.Errorf("human report missing:\n%s", p.stderr.String())
	}
}

// --apply raises only the sysctls below their recommendation and says
// how to undo it (run on a copied tree: CI must not retune its machine).
func TestTuneApply(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"proc/sys/net/core/rmem_max":                 "212992\n",
		"proc/sys/net/core/wmem_max":                 "67108864\n",
		"proc/sys/net/core/busy_poll":                "0\n",
		"proc/sys/net/core/busy_read":                "0\n",
		"sys/kernel/mm/transparent_hugepage/enabled": "[always] madvise never\n",
	}
	for f, v := range files {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(root, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, p := runBBox(t, 30*time.Second, "tune", "--apply", "--root", root, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	var rep tuneJSON
	p.summary(&rep)
	got := map[string]string{}
	for _, c := range rep.Changed {
		got[c.Name] = c.Old + "->" + c.New + " undo: " + c.Undo
	}
	want := map[string]string{
		"net.core.rmem_max":  "212992->16777216 undo: sysctl -w net.core.rmem_max=212992",
		"net.core.busy_poll": "0->50 undo: sysctl -w net.core.busy_poll=0",
		"net.core.busy_read": "0->50 undo: sysctl -w net.core.busy_read=0",
	}
	if !rep.Applied || !equalMaps(got, want) {
		t.Errorf("applied %v changed %v, want %v", rep.Applied, got, want)
	}
	if s := readSysctls(t, root); !equalMaps(s, map[string]string{"rmem_max": "16777216", "wmem_max": "67108864", "busy_poll": "50", "busy_read": "50"}) {
		t.Errorf("files after --apply: %v", s)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "sys/kernel/mm/transparent_hugepage/enabled")); string(b) != files["sys/kernel/mm/transparent_hugepage/enabled"] {
		t.Errorf("--apply touched transparent huge pages: %q", b)
	}
	for _, s := range []string{"To undo:", "sysctl -w net.core.rmem_max=212992", "/etc/sysctl.d/"} {
		if !strings.Contains(p.stderr.String(), s) {
			t.Errorf("human output lacks %q:\n%s", s, p.stderr.String())
		}
	}
	if code, p := runBBox(t, 10*time.Second, "tune", "--root", filepath.Join(root, "missing")); code != 2 || !strings.Contains(p.stderr.String(), "--root") {
		t.Errorf("--root to a missing directory: exit %d, want 2 naming --root\n%s", code, p.stderr.String())
	}
}

func names(cs []tuning.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
