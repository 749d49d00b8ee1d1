package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "topo.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pub and sub read their side of one topology file; a flag on the
// command line beats the file.
func TestConfigPubSub(t *testing.T) {
	ports := freePorts(t, 2)
	cfg := writeConfig(t, fmt.Sprintf(`# one box, loopback
[pub]
records = 5000     # overridden on the command line below
rate = max
wait-subs = 1

[sub]
exit-on-eos = true
duration = 30s

[workers]
count = 3

[shard 0]
endpoint = tcp://127.0.0.1:%d

[shard 1]
endpoint = tcp://127.0.0.1:%d
`, ports[0], ports[1]))
	pub := startBBox(t, "pub", "pub", "--config", cfg, "--records", "2000", "--json")
	sub := startBBox(t, "sub", "sub", "--config", cfg, "--json")
	if code := sub.wait(40 * time.Second); code != 0 {
		t.Fatalf("sub exited %d\n%s", code, sub.stderr.String())
	}
	if code := pub.wait(20 * time.Second); code != 0 {
		t.Fatalf("pub exited %d\n%s", code, pub.stderr.String())
	}
	var ps, ss jsonSummary
	pub.summary(&ps)
	sub.summary(&ss)
	if ps.RecordsPublished != 2000 || ss.RecordsReceived != 2000 || ss.RecordsLost != 0 {
		t.Errorf("published %d received %d lost %d: want 2000 (--records beats the file's 5000), none lost", ps.RecordsPublished, ss.RecordsReceived, ss.RecordsLost)
	}
	if len(ss.Shards) != 2 || len(ss.Workers) != 3 {
		t.Errorf("sub ran %d shards and %d workers, want the file's 2 and 3", len(ss.Shards), len(ss.Workers))
	}
	if !strings.Contains(pub.stderr.String(), "--records on the command line overrides "+cfg+":3") {
		t.Errorf("pub does not say the command line overrode the file:\n%s", pub.stderr.String())
	}
}

// A mistake in the file stops the command with exit 1 and names the file
// and line.
func TestConfigErrors(t *testing.T) {
	f := func(cmd, text, want string) {
		t.Helper()
		cfg := writeConfig(t, text)
		code, p := runBBox(t, 10*time.Second, cmd, "--config", cfg)
		if code != 1 || !strings.Contains(p.stderr.String(), want) {
			t.Errorf("bbox %s with %q: exit %d, stderr %q; want 1 and %q", cmd, text, code, p.stderr.String(), want)
		}
	}
	f("pub", "[pub]\nrate = 1000\nfrequency = 3\n", "topo.conf:3: [pub] frequency: bbox pub has no flag --frequency")
	f("sub", "[sub]\nmax-delay = 5xs\n", `topo.conf:2: [sub] max-delay = "5xs": invalid value`)
	f("sub", "[sub]\ngogc = lots\n", `topo.conf:2: [sub] gogc = "lots"`)
	f("sub", "[sub]\nconnect = tcp://h:1\n[shard 0]\nendpoint = tcp://h:2\n", "topo.conf:2: [sub] connect is also set by the [shard N] sections (line 3)")
	f("sub", "[sub]\ncpus = 0\n[shard 0]\nendpoint = tcp://h:2\nsub-cpu = 0\n", "topo.conf:2: [sub] cpus is also set by the shards' sub-cpu")
	f("sub", "[workers]\ncpus = 0-x\n", `topo.conf:2: [workers] cpus = "0-x"`)
	f("sub", "[sub]\nconnect = tcp://h:1\ncpus = x\n", `topo.conf:3: [sub] cpus = "x"`)
	f("pub", "[shard 0]\nendpoint = tcp://h:1\npub-nic = a/b\n", "topo.conf:3: [shard 0] pub-nic")
	f("pub", "[pub]\nconfig = other.conf\n", "topo.conf:2: [pub] config: a config file cannot name another")
	f("pub", "[pub\n", "topo.conf:1: bad section header")
	code, p := runBBox(t, 10*time.Second, "pub", "--config", filepath.Join(t.TempDir(), "nope.conf"))
	if code != 1 || !strings.Contains(p.stderr.String(), "nope.conf") {
		t.Errorf("missing file: exit %d %q", code, p.stderr.String())
	}
}
