package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// Process mode passes the idle strategy to bbox sub as --idle NAME
// (nothing for park, bbox sub's default), and refuses a strategy that no
// command line can name; in-process, a spinning subscriber still counts
// every record.
func TestIdleReachesTheSubscriber(t *testing.T) {
	for _, c := range []struct {
		idle shard.IdleStrategy
		want []string
	}{{shard.IdleSpin, []string{"--idle", "spin"}}, {shard.IdleYield, []string{"--idle", "yield"}}, {shard.IdlePark, nil}} {
		args := subArgs(LoadConfig{Workers: 1, Idle: c.idle}, procEnv{}, []string{"tcp://127.0.0.1:1"}, "lat.hlog")
		i := slices.Index(args, "--idle")
		if c.want == nil && i >= 0 || c.want != nil && (i < 0 || i+1 >= len(args) || args[i+1] != c.want[1]) {
			t.Errorf("idle %+v: bbox %s", c.idle, strings.Join(args, " "))
		}
	}
	o := Options{Load: LoadConfig{Rate: 1000, Duration: time.Second, From: FromSource, Idle: shard.IdleStrategy{Spin: 3}}, Process: true, Exe: "bbox"}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "by name") {
		t.Errorf("an unnamed strategy in process mode: %v", err)
	}
	o.Process = false
	if err := o.Validate(); err != nil {
		t.Errorf("an unnamed strategy in-process: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunLoad(ctx, LoadConfig{Rate: 20000, Duration: 300 * time.Millisecond, From: FromSource, Idle: shard.IdleSpin})
	if err != nil {
		t.Fatal(err)
	}
	if res.Received == 0 || res.Received != res.Published || res.Lost != 0 {
		t.Fatalf("a spinning subscriber: published %d, received %d, lost %d", res.Published, res.Received, res.Lost)
	}
}

// Process mode hands its subscriber GOMAXPROCS to bbox sub as
// --gomaxprocs N (nothing at 0, bbox sub's default) and names it in the
// run's description; in-process, or negative, it is refused.
func TestSubGoMaxProcsReachesTheSubscriber(t *testing.T) {
	eps := []string{"tcp://127.0.0.1:1"}
	if args := subArgs(LoadConfig{Workers: 1}, procEnv{}, eps, "lat.hlog"); slices.Contains(args, "--gomaxprocs") {
		t.Errorf("default: bbox %s", strings.Join(args, " "))
	}
	args := subArgs(LoadConfig{Workers: 1}, procEnv{GoMaxProcs: 1}, eps, "lat.hlog")
	if i := slices.Index(args, "--gomaxprocs"); i < 0 || i+1 >= len(args) || args[i+1] != "1" {
		t.Errorf("GoMaxProcs 1: bbox %s", strings.Join(args, " "))
	}
	o := Options{Load: LoadConfig{Rate: 1000, Duration: time.Second, From: FromSource}, Process: true, Exe: "bbox", SubGoMaxProcs: 1}
	if err := o.Validate(); err != nil {
		t.Fatalf("process mode, GOMAXPROCS 1: %v", err)
	}
	if d := o.describe(PathBBox); !strings.Contains(d, "bbox sub --gomaxprocs 1") {
		t.Errorf("description %q does not name the setting", d)
	}
	o.SubGoMaxProcs = -1
	if err := o.Validate(); err == nil {
		t.Error("GOMAXPROCS -1 accepted")
	}
	o.SubGoMaxProcs, o.Process = 1, false
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "process mode") {
		t.Errorf("in-process with a subscriber GOMAXPROCS: %v", err)
	}
}
