package tuning

import (
	"errors"
	"strings"
	"testing"
)

func TestBoxPlanString(t *testing.T) {
	p := BoxPlan{Runtime: RuntimeState{MaxProcs: 4, GOGC: 100, MemLimit: -1}}
	base := "runtime " + p.Runtime.String()
	if got := p.String(); got != base {
		t.Errorf("unpinned: %q", got)
	}
	p.Cores = CorePlan{Shards: []int{2, 3}, Rest: []int{0, 1}}
	if got, want := p.String(), base+"; subscriber threads on cores [2 3]; everything else on cores 0-1"; got != want {
		t.Errorf("pinned: %q, want %q", got, want)
	}
}

func TestSockBufCappedWarning(t *testing.T) {
	if w := SockBufCappedWarning(0); w != "" {
		t.Errorf("0: %q", w)
	}
	if w := SockBufCappedWarning(2); !strings.HasPrefix(w, "2 sockets got smaller buffers than --rcvbuf/--sndbuf asked for") {
		t.Errorf("2: %q", w)
	}
}

func TestShardCPUs(t *testing.T) {
	online := Online()
	for _, s := range []string{"", "none"} {
		if c, err := ShardCPUs(s, 3); c != nil || err != nil {
			t.Errorf("%q: %v, %v", s, c, err)
		}
	}
	c, err := ShardCPUs("auto", len(online)+1)
	if err != nil || len(c) != len(online)+1 || c[0] != online[0] || c[len(online)] != online[0] {
		t.Errorf("auto: %v, %v (online %v)", c, err, online)
	}
	if c, err := ShardCPUs("0,2-3", 1); err != nil || len(c) != 3 {
		t.Errorf("list: %v, %v", c, err)
	}
	if _, err := ShardCPUs("x", 1); err == nil {
		t.Error("bad list accepted")
	}
}

func TestAvailableCPUs(t *testing.T) {
	online := Online()
	if c, err := AvailableCPUs(FormatCPUList(online)); err != nil || len(c) != len(online) {
		t.Errorf("online cores: %v, %v", c, err)
	}
	if _, err := AvailableCPUs("1023"); err == nil || !strings.HasPrefix(err.Error(), "cpu 1023 is not available to this process (online: ") {
		t.Errorf("core 1023: %v", err)
	}
	if _, err := AvailableCPUs("x"); err == nil {
		t.Error("bad list accepted")
	}
}

// TestSetupBox: the plan is checked before anything changes, and a plan
// that pins nothing restricts nothing.
func TestSetupBox(t *testing.T) {
	_, err := SetupBox(BoxConfig{Shards: 1, ShardCPUs: []int{1023}})
	var ue *UnavailableCPUError
	if !errors.As(err, &ue) || !ue.Shards {
		t.Fatalf("core 1023: %v, want an *UnavailableCPUError for a subscriber thread", err)
	}
	if _, err := PlanBox(BoxConfig{Shards: 1, RestCPUs: []int{1023}}); !errors.As(err, &ue) || ue.Shards {
		t.Fatalf("rest core 1023: %v", err)
	}
	before := CurrentRuntime()
	p, err := SetupBox(BoxConfig{Runtime: Runtime{MaxProcs: before.MaxProcs}, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cores.Rest != nil || p.Cores.Shards != nil || p.Runtime.MaxProcs != before.MaxProcs {
		t.Errorf("unpinned plan: %+v", p)
	}
	if p, _ := SetupBox(BoxConfig{Runtime: Runtime{MaxProcs: 1}, Shards: 2, Workers: 2}); len(Online()) > 1 &&
		!strings.Contains(strings.Join(p.Warnings, "\n"), "GOMAXPROCS 1 is below the 4 busy threads") {
		t.Errorf("GOMAXPROCS 1 for 4 busy threads: warnings %q", p.Warnings)
	}
	Runtime{MaxProcs: before.MaxProcs}.Apply()
}
