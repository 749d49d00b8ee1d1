package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/bench"
)

// An ITCH replay that reached no subscriber says so, as a bbox capture's
// replay does (PUB sockets drop what no one is subscribed to).
func TestExchangeReplayNoSubscriberWarns(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "200", "--symbols", "3"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	code, p := runBBox(t, 30*time.Second, "replay", f, "--bind", ep, "--speed", "max")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, p.stderr.String())
	}
	out := p.stdout.String()
	if !strings.Contains(out, "no subscriber received anything") || !strings.Contains(out, "ITCH messages read from") {
		t.Fatalf("replay to nobody does not say so:\n%s", out)
	}
}

// bench --mode process describes its topology in words, not "1 shard(s)".
func TestDescribeProcessPlurals(t *testing.T) {
	o := &benchOpts{}
	o.load.Shards, o.load.Workers = 1, 1
	if got := o.describeProcess(bench.PathBBox, "x"); !strings.Contains(got, "(1 shard, 1 worker)") {
		t.Errorf("one shard, one worker: %q", got)
	}
	o.load.Shards, o.load.Workers = 2, 3
	if got := o.describeProcess(bench.PathBBox, "x"); !strings.Contains(got, "(2 shards, 3 workers)") {
		t.Errorf("two shards, three workers: %q", got)
	}
}
