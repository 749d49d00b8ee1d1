package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/config"
	"github.com/bbox-dev/bbox/tuning"
)

const deployDir = "../../deploy"

// TestDeploySampleTopology: the sample topology parses with the project's
// own loader and applies cleanly to both sides' flag sets.
func TestDeploySampleTopology(t *testing.T) {
	path := filepath.Join(deployDir, "bbox.conf")
	top, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Shards) != 2 || top.Workers == nil {
		t.Fatalf("%s: %d shards, workers section %v; want 2 and one", path, len(top.Shards), top.Workers != nil)
	}
	// The sample pins shard threads to cores 2 and 3 of a bigger box than
	// this one may be: map them onto this box's cores (bbox refuses a core
	// it cannot use) and apply the rest unchanged.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	online := tuning.Online()
	local := regexp.MustCompile(`(?m)^(sub-cpu\s*=\s*)(\d+)`).ReplaceAllStringFunc(string(data), func(m string) string {
		i := strings.LastIndexAny(m, " =\t")
		n, _ := strconv.Atoi(m[i+1:])
		return m[:i+1] + strconv.Itoa(online[n%len(online)])
	})
	here := filepath.Join(t.TempDir(), "bbox.conf")
	if err := os.WriteFile(here, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"pub", "sub"} {
		fs := flagSetOf(t, side)
		cf := configFlag{path: here}
		if _, err := cf.apply(fs, side); err != nil {
			t.Errorf("bbox %s --config %s (its cores mapped onto this box's): %v", side, path, err)
		}
	}
}

// unitExec returns a unit file's ExecStart words and its directives.
func unitExec(t *testing.T, path string) ([]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dirs := map[string]string{}
	var exec []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: not a directive: %q", path, line)
			continue
		}
		dirs[k] = v
		if k == "ExecStart" {
			exec = strings.Fields(v)
		}
	}
	return exec, dirs
}

// checkFlags checks that every --flag word names a flag of bbox cmd.
func checkFlags(t *testing.T, where, cmd string, words []string) {
	t.Helper()
	fs := flagSetOf(t, cmd)
	for _, w := range words {
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if fs.Lookup(name) == nil {
			t.Errorf("%s: bbox %s has no flag --%s", where, cmd, name)
		}
	}
}

// TestDeployUnits: the systemd units run bbox commands with flags that
// exist, and carry the settings a service needs.
func TestDeployUnits(t *testing.T) {
	units, _ := filepath.Glob(filepath.Join(deployDir, "*.service"))
	if len(units) != 3 {
		t.Fatalf("want the pub, sub and worker units in %s, found %v", deployDir, units)
	}
	for _, u := range units {
		exec, dirs := unitExec(t, u)
		if len(exec) < 2 || filepath.Base(exec[0]) != "bbox" {
			t.Fatalf("%s: ExecStart %q does not run bbox", u, exec)
		}
		cmd := exec[1]
		if !strings.HasPrefix(filepath.Base(u), "bbox-"+cmd+"@") {
			t.Errorf("%s runs bbox %s", u, cmd)
		}
		checkFlags(t, u, cmd, exec[2:])
		for _, d := range []string{"Restart", "RestartPreventExitStatus", "LimitNOFILE", "CPUAffinity", "EnvironmentFile", "KillSignal"} {
			if _, ok := dirs[d]; !ok {
				t.Errorf("%s: no %s=", u, d)
			}
		}
		if cmd != "worker" && !strings.Contains(dirs["ExecStart"], "--config /etc/bbox/%i.conf") {
			t.Errorf("%s: ExecStart does not read the topology file", u)
		}
		verifyUnit(t, u)
	}
	// The environment file's per-role flags exist too.
	f, err := os.Open(filepath.Join(deployDir, "bbox.default"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") || !strings.HasSuffix(k, "_ARGS") {
			continue
		}
		cmd := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(k, "BBOX_"), "_ARGS"))
		checkFlags(t, "bbox.default "+k, cmd, strings.Fields(strings.Trim(v, `"`)))
	}
}

// verifyUnit runs systemd's own checker on an instance of the template,
// with the test's bbox binary in place of /usr/local/bin/bbox.
func verifyUnit(t *testing.T, path string) {
	t.Helper()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Logf("systemd-analyze not installed: %s checked by this test only", path)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inst := filepath.Join(dir, strings.Replace(filepath.Base(path), "@.", "@test.", 1))
	if err := os.WriteFile(inst, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/bbox", bboxBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sa, "verify", inst).CombinedOutput()
	// Complaints about the unit name it (file:line: ...); others are about
	// the machine (no bus, other units) and are only logged.
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(l, filepath.Base(inst)) {
			t.Errorf("systemd-analyze verify %s: %s", filepath.Base(path), l)
		} else if l != "" {
			t.Logf("systemd-analyze verify %s: %s", filepath.Base(path), l)
		}
	}
	if err != nil && !t.Failed() {
		t.Logf("systemd-analyze verify %s: %v", filepath.Base(path), err)
	}
}
