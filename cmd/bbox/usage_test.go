package main

// Issue 16 items 1-4 and issue 11's exit codes: help, flag mistakes and
// error messages, the same in every command.

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// runLocal runs bbox in process with a context that is already done, so a
// command that wrongly gets past its checks stops at once instead of
// running.
func runLocal(args ...string) (code int, stdout, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func commandNames() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// helpFlags lists the flags `bbox help CMD` shows, with their value type
// ("" for a switch).
func helpFlags(t *testing.T, cmd string) map[string]string {
	t.Helper()
	code, out, _ := runLocal("help", cmd)
	if code != exitOK {
		t.Fatalf("bbox help %s: exit %d", cmd, code)
	}
	flags := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(l, "  --"); ok {
			f := append(strings.Fields(name), "")
			flags[f[0]] = f[1]
		}
	}
	return flags
}

// TestHelpDoubleDash: every command's help spells its flags --name TYPE,
// as the README does, one per line with the usage text under it: no
// single-dash flag, no word of the usage taken for the type.
func TestHelpDoubleDash(t *testing.T) {
	flagLine := regexp.MustCompile(`^  --[a-z0-9-]+( [A-Z][A-Z\[\],.]*)?$`)
	for _, cmd := range commandNames() {
		code, out, _ := runLocal("help", cmd)
		if code != exitOK || !strings.HasPrefix(out, "Usage: bbox "+cmd) {
			t.Fatalf("bbox help %s: exit %d\n%s", cmd, code, out)
		}
		n := 0
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  -") {
				if !flagLine.MatchString(l) {
					t.Errorf("bbox help %s: flag line %q is not `  --name [TYPE]`", cmd, l)
				}
				n++
			}
		}
		if n == 0 {
			t.Errorf("bbox help %s lists no flags:\n%s", cmd, out)
		}
	}
	// The line the flag package garbled ("-push bbox worker").
	_, out, _ := runLocal("help", "sub")
	if !strings.Contains(out, "\n  --push EP\n        serve batches on this endpoint to worker processes (bbox worker --connect)") {
		t.Errorf("bbox help sub: --push is not shown as `--push EP` with its usage below:\n%s", out)
	}
	// Usage text quotes no word in backquotes, which flag.UnquoteUsage (the
	// generated reference) would take for the value's name.
	for _, cmd := range commandNames() {
		if _, out, _ := runLocal("help", cmd); strings.Contains(out, "`") {
			t.Errorf("bbox help %s shows a backquote:\n%s", cmd, out)
		}
	}
	// The hint of a subcommand's mistake works.
	if code, out, _ := runLocal("help", "bench", "compare"); code != exitOK || !strings.HasPrefix(out, "Usage: bbox bench compare") {
		t.Errorf("bbox help bench compare: exit %d\n%s", code, out)
	}
	if _, _, errOut := runLocal("bench", "compare", "--max-regres", "5"); !strings.Contains(errOut, "(did you mean --max-regress?)\nRun 'bbox help bench compare' for its flags.") {
		t.Errorf("bbox bench compare --max-regres: %q", errOut)
	}
	// -h prints the same help.
	if code, _, errOut := runLocal("sub", "-h"); code != exitOK || !strings.Contains(errOut, "\n  --push EP\n") {
		t.Errorf("bbox sub -h: exit %d\n%s", code, errOut)
	}
}

// TestUnknownFlag: a typo is named in one line with the nearest flag and
// where the help is, exit 2, in every command; no usage dump.
func TestUnknownFlag(t *testing.T) {
	code, out, errOut := runLocal("pub", "--rat", "1000")
	want := "bbox pub: unknown flag --rat (did you mean --rate?)\nRun 'bbox help pub' for its flags.\n"
	if code != exitUsage || out != "" || errOut != want {
		t.Errorf("bbox pub --rat 1000: exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, want)
	}
	for _, cmd := range commandNames() {
		code, out, errOut := runLocal(cmd, "--no-such-flag")
		want := "bbox " + cmd + ": unknown flag --no-such-flag\nRun 'bbox help " + cmd + "' for its flags.\n"
		if code != exitUsage || out != "" || errOut != want {
			t.Errorf("bbox %s --no-such-flag: exit %d, stdout %q, stderr %q; want 2 and %q", cmd, code, out, errOut, want)
		}
	}
	for _, c := range []struct{ cmd, typo, want string }{
		{"sub", "conect", "connect"},
		{"sub", "max-dealy", "max-delay"},
		{"replay", "sped", "speed"},
		{"bench", "baselin", "baseline"},
		{"demo", "dur", "duration"}, // the only flag it starts
		{"pub", "x", ""},
	} {
		_, _, errOut := runLocal(c.cmd, "--"+c.typo)
		hint := "(did you mean --" + c.want + "?)"
		if got := strings.Contains(errOut, hint); c.want != "" && !got || c.want == "" && strings.Contains(errOut, "did you mean") {
			t.Errorf("bbox %s --%s: %q, want the suggestion %q", c.cmd, c.typo, errOut, c.want)
		}
	}
}

// TestFlagMistakes: every command refuses the same mistake the same way,
// before anything starts: exit 2, one line naming the flag, its value and
// what is wrong, then where the help is. The commands come from the
// registry and their flags from their help, so a new command or flag is
// covered by the rules of its name.
func TestFlagMistakes(t *testing.T) {
	mistakes := []struct{ flag, value, want string }{
		{"duration", "5", "a duration needs a unit: 5s, 5ms, 5m"},
		{"duration", "-1s", "must not be negative"},
		{"duration", "soon", "not a duration"},
		{"linger", "-1ms", "must not be negative"},
		{"write-timeout", "-2s", "must not be negative"},
		{"max-delay", "-5ms", "must not be negative"},
		{"work", "-1ms", "must not be negative"},
		{"bind", "127.0.0.1:7001", "want tcp://HOST:PORT or ipc://PATH"},
		{"bind", "tcp://127.0.0.1:99999", `port "99999": want a number 0..65535`},
		{"bind", "udp://127.0.0.1:7001", "unsupported transport"},
		{"connect", "127.0.0.1:7001", "want tcp://HOST:PORT or ipc://PATH"},
		{"connect", "tcp://127.0.0.1:99999", `port "99999"`},
		{"push", "0.0.0.0:7101", "want tcp://HOST:PORT or ipc://PATH"},
		{"alert", "tcp://127.0.0.1:70000", `port "70000"`},
		{"slow", "fast", "want drop or block"},
		{"on-late", "panic", "want croak or warn"},
		{"order", "random", "want none or topic"},
		{"frame-size", "10", "frame size 10 outside"},
		{"rate", "fast", "max"},
		{"workers", "-1", "must not be negative"},
		{"records", "-5", "must not be negative"},
		{"records", "many", "want a whole number"},
		{"json", "=maybe", "want true or false"},
		{"cpus", "1023", "cpu 1023 is not available to this process"},
		{"cpus", "x", `bad cpu "x"`},
		{"worker-cpus", "1023", "cpu 1023 is not available to this process"},
		{"level", "9", "compression level 9 outside [1, 4]"},
		{"symbols", "2000000", "symbols 2000000 outside"},
		{"size", "100000", "record size 100000 outside"},
		{"max-gap", "-5", "want -1 (never croak) or a number of records"},
		{"eos-wait", "-1s", "must not be negative"},
		{"heartbeat-timeout", "1ns", "under 10ms a PING's round trip can take longer"},
		{"heartbeat-timeout", "0s", "give a duration (3s)"},
	}
	// Where each rule must be seen to hold, so the table cannot pass by
	// finding no command with the flag.
	mustHave := map[string][]string{
		"duration":          {"alerts", "bench", "demo", "pub", "record", "replay", "sub", "worker"},
		"bind":              {"pub", "replay"},
		"connect":           {"alerts", "record", "sub", "worker"},
		"frame-size":        {"bench", "pub", "replay"},
		"slow":              {"pub", "replay"},
		"rate":              {"bench", "demo", "pub", "replay"},
		"alert":             {"pub", "replay", "sub"},
		"cpus":              {"bench", "demo", "sub"},
		"level":             {"gen", "record"},
		"size":              {"bench", "demo", "gen", "pub"},
		"eos-wait":          {"record", "sub"},
		"heartbeat-timeout": {"demo", "sub"},
	}
	seen := map[string]map[string]bool{}
	for _, cmd := range commandNames() {
		flags := helpFlags(t, cmd)
		for _, m := range mistakes {
			typ, ok := flags[m.flag]
			if !ok || m.flag == "symbols" && typ != "N" { // replay's --symbols is a list of topics
				continue
			}
			if seen[m.flag] == nil {
				seen[m.flag] = map[string]bool{}
			}
			seen[m.flag][cmd] = true
			arg := []string{"--" + m.flag, m.value}
			shown := "--" + m.flag + " " + m.value + ": "
			if strings.HasPrefix(m.value, "=") {
				arg, shown = []string{"--" + m.flag + m.value}, "--"+m.flag+m.value+": "
			}
			code, out, errOut := runLocal(append([]string{cmd}, arg...)...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if code != exitUsage || out != "" || len(lines) != 2 ||
				!strings.HasPrefix(lines[0], "bbox "+cmd+": "+shown) || !strings.Contains(lines[0], m.want) ||
				lines[1] != "Run 'bbox help "+cmd+"' for its flags." {
				t.Errorf("bbox %s %s: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and `bbox %s: %s…%s…` then the help hint",
					cmd, strings.Join(arg, " "), code, out, errOut, cmd, shown, m.want)
			}
		}
	}
	for flag, cmds := range mustHave {
		for _, cmd := range cmds {
			if !seen[flag][cmd] {
				t.Errorf("bbox %s has no --%s any more: the table no longer checks it", cmd, flag)
			}
		}
	}

	// Checks across flags, also before anything binds.
	for _, cmd := range []string{"pub", "replay"} {
		args := []string{cmd, "--bind", "tcp://127.0.0.1:0", "--hwm", "1000"}
		if cmd == "replay" {
			args = append(args, "day.bbc")
		}
		code, _, errOut := runLocal(args...)
		if code != exitUsage || !strings.Contains(errOut, "--hwm 1000 is below --frame-size 65536") {
			t.Errorf("bbox %s: exit %d, %q; want 2 naming --hwm and --frame-size", strings.Join(args, " "), code, errOut)
		}
	}
	// Nothing is logged (nothing has started) before the usage error.
	if code, _, errOut := runLocal("sub", "--connect", "tcp://127.0.0.1:1", "--push", "tcp://127.0.0.1:0", "--tap", filepath.Join(t.TempDir(), "tap")); code != exitUsage ||
		!strings.HasPrefix(errOut, "bbox sub: --tap taps in-process workers") || strings.Count(errOut, "\n") != 2 {
		t.Errorf("bbox sub --push --tap: exit %d, %q; want 2 and only the usage error", code, errOut)
	}
	if code, _, errOut := runLocal("pub", "--bind", "tcp://127.0.0.1:0", "--idle-exit", "1s"); code != exitUsage || !strings.Contains(errOut, "--idle-exit: ends an upstream --source") {
		t.Errorf("bbox pub --idle-exit with gen: exit %d, %q; want 2", code, errOut)
	}
}

// packagePrefix matches a Go package name used as an error prefix.
var packagePrefix = regexp.MustCompile(`(^|: )(shard|replay|tuning|feed|workers|zmqx|config|bench|itch): `)

var commandPrefix = regexp.MustCompile(`bbox [a-z]+: `)

// TestErrorsOnePrefix (16.1): an error reads `bbox CMD: what: where: why`,
// with the command's prefix once and no package's on top of it.
func TestErrorsOnePrefix(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.bbc")
	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte("not a capture"), 0o644)
	noWorkers := filepath.Join(dir, "topo.conf")
	os.WriteFile(noWorkers, []byte("[pub]\nrate = 10\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string // the whole first line
	}{
		{[]string{"replay", missing, "--bind", "tcp://127.0.0.1:0"}, "bbox replay: " + missing + ": open: no such file or directory"},
		{[]string{"inspect", missing}, "bbox inspect: " + missing + ": open: no such file or directory"},
		{[]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", missing}, "bbox pub: --source: " + missing + ": no such file or directory"},
		{[]string{"gen", "--out", filepath.Join(dir, "no", "day.bbc"), "--records", "10"}, "bbox gen: open " + filepath.Join(dir, "no", "day.bbc") + ": no such file or directory"},
		{[]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", foreign}, "bbox pub: --source: " + foreign + ": offset 0: not a bbox capture file"},
		{[]string{"pub", "--bind", "tcp://192.0.2.1:7000"}, "bbox pub: shard 0: bind tcp://192.0.2.1:7000: listen tcp 192.0.2.1:7000: bind: cannot assign requested address"},
		{[]string{"sub", "--connect", "tcp://127.0.0.1:1", "--alert", "tcp://192.0.2.1:7000"}, "bbox sub: --alert: bind tcp://192.0.2.1:7000: listen tcp 192.0.2.1:7000: bind: cannot assign requested address"},
		{[]string{"pub", "--config", missing + ".conf", "--bind", "tcp://127.0.0.1:0"}, "bbox pub: open " + missing + ".conf: no such file or directory"},
		{[]string{"worker", "--config", noWorkers}, "bbox worker: " + noWorkers + ": no [workers] endpoint: bbox worker connects to it (or give --connect)"},
	} {
		code, _, errOut := runLocal(c.args...)
		var first string
		for _, l := range strings.Split(errOut, "\n") {
			if strings.HasPrefix(l, "bbox ") {
				first = l
				break
			}
		}
		rest := strings.TrimPrefix(first, "bbox "+c.args[0]+": ")
		if code != exitError || !strings.HasPrefix(first, c.want) || commandPrefix.MatchString(rest) || packagePrefix.MatchString(rest) {
			t.Errorf("bbox %s: exit %d, error line %q; want exit 1 and %q (one prefix, no package names)\n%s",
				strings.Join(c.args, " "), code, first, c.want, errOut)
		}
	}
}

// TestPlural (16.10): counts read as words.
func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 shards"}, {1, "1 shard"}, {2, "2 shards"}, {12000, "12,000 shards"}} {
		if got := words.Count(c.n, "shard", "shards"); got != c.want {
			t.Errorf("words.Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := words.Count(1, "batch", "batches"); got != "1 batch" {
		t.Errorf("words.Count(1, batch) = %q", got)
	}
}

// TestFlagTypesAfterParse: parse leaves the flag package's own values in
// place, so flag.UnquoteUsage (the generated reference) still sees types.
func TestFlagTypesAfterParse(t *testing.T) {
	var out bytes.Buffer
	fs := newFlags(&env{stdout: &out, stderr: &out}, &command{name: "x"})
	fs.Bool("json", false, "a switch")
	fs.Duration("duration", 0, "a duration")
	if code, ok := parse(fs, []string{"--json", "--duration", "1s"}); !ok {
		t.Fatalf("parse: %d", code)
	}
	for name, want := range map[string]string{"json": "", "duration": "duration"} {
		if typ, _ := flag.UnquoteUsage(fs.Lookup(name)); typ != want {
			t.Errorf("--%s: UnquoteUsage type %q, want %q", name, typ, want)
		}
	}
}

// TestConfigHeldToFlagRules: a --config value breaking a flag rule is
// refused with the file and line, like the same value on the command line.
func TestConfigHeldToFlagRules(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"[pub]\nframe-size = 10\n", `topo.conf:2: [pub] frame-size = "10": invalid value for --frame-size`},
		{"[pub]\nduration = 5\n", "a duration needs a unit: 5s"},
		{"[pub]\nslow = fast\n", "want drop or block"},
		{"[sub]\nduration = -1s\n", "must not be negative"},
	} {
		cfg := writeConfig(t, c.text)
		side := strings.Trim(strings.SplitN(c.text, "\n", 2)[0], "[]")
		args := []string{side, "--config", cfg}
		if side == "pub" {
			args = append(args, "--bind", "tcp://127.0.0.1:0")
		} else {
			args = append(args, "--connect", "tcp://127.0.0.1:1")
		}
		code, _, errOut := runLocal(args...)
		if code != exitError || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, %q; want 1 and %q", c.text, code, errOut, c.want)
		}
	}
}

// TestUsageErrorsBeforeMetrics: a flag mistake that only the subscriber's
// own checks find (--recover, --recover-timeout) is still a usage error
// before anything starts: no metrics endpoint, no log line, exit 2.
func TestUsageErrorsBeforeMetrics(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.bbc")
	for _, args := range [][]string{
		{"sub", "--connect", "tcp://127.0.0.1:1", "--metrics", "127.0.0.1:0", "--recover", "bogus"},
		{"sub", "--connect", "tcp://127.0.0.1:1", "--metrics", "127.0.0.1:0", "--recover-timeout", "0s"},
		{"record", "--connect", "tcp://127.0.0.1:1", "--out", out, "--metrics", "127.0.0.1:0", "--recover", "bogus"},
	} {
		code, stdout, stderr := runIn(args...)
		if code != exitUsage || stdout != "" || strings.Contains(stderr, "metrics on") || strings.Count(stderr, "\n") != 2 {
			t.Errorf("bbox %s: exit %d, stdout %q, stderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}
