package tuning

import (
	"reflect"
	"strings"
	"testing"
)

func TestPlanCores(t *testing.T) {
	f := func(in CoreInput, shards, rest []int, warns ...string) {
		t.Helper()
		p, err := PlanCores(in)
		if err != nil {
			t.Errorf("%+v: %v", in, err)
			return
		}
		if !reflect.DeepEqual(p.Shards, shards) || !reflect.DeepEqual(p.Rest, rest) {
			t.Errorf("%+v: shards %v rest %v, want %v %v", in, p.Shards, p.Rest, shards, rest)
		}
		if len(p.Warnings) != len(warns) {
			t.Errorf("%+v: warnings %q, want %d containing %q", in, p.Warnings, len(warns), warns)
			return
		}
		for i, w := range warns {
			if !strings.Contains(p.Warnings[i], w) {
				t.Errorf("%+v: warning %q, want it to contain %q", in, p.Warnings[i], w)
			}
		}
	}
	four := []int{0, 1, 2, 3}
	// Pinned threads: the rest of the cores go to everything else.
	f(CoreInput{Online: four, Shards: 2, ShardCPUs: []int{2, 3}, Workers: 2}, []int{2, 3}, []int{0, 1})
	// Fewer cores than shards: threads cycle and share.
	f(CoreInput{Online: four, Shards: 3, ShardCPUs: []int{2, 3}}, []int{2, 3, 2}, []int{0, 1}, "shards 0 and 2 share core 2")
	// Unpinned: no restriction unless asked for.
	f(CoreInput{Online: four, Shards: 2, Workers: 1}, nil, nil)
	f(CoreInput{Online: four, Shards: 2, RestCPUs: []int{0}}, nil, []int{0})
	// Explicit rest overlapping a shard core.
	f(CoreInput{Online: four, Shards: 1, ShardCPUs: []int{1}, RestCPUs: []int{0, 1}}, []int{1}, []int{0, 1}, "both shard 0's subscriber core and a worker core")
	// "none": pinned, but nothing else restricted.
	f(CoreInput{Online: four, Shards: 1, ShardCPUs: []int{1}, RestCPUs: []int{}}, []int{1}, nil)
	// The 2-core box: two pinned threads leave nothing; busy threads outnumber cores.
	// One warning for one layout (bbox demo's and bbox sub --cpus 0,1's).
	f(CoreInput{Online: []int{0, 1}, Shards: 2, ShardCPUs: []int{0, 1}, Workers: 2}, []int{0, 1}, nil,
		"2 subscriber threads pinned to cores 0-1 and 2 in-process workers on 2 cores: the subscriber threads take every core")
	f(CoreInput{Online: []int{0, 1}, Shards: 2, ShardCPUs: []int{0, 1}}, []int{0, 1}, nil,
		"2 subscriber threads pinned to cores 0-1 on 2 cores: no core is left for the Go runtime")
	f(CoreInput{Online: []int{0}, Shards: 1, ShardCPUs: []int{0}, Workers: 1}, []int{0}, nil,
		"1 subscriber thread pinned to core 0 and 1 in-process worker on 1 core:")
	f(CoreInput{Online: []int{0, 1}, Shards: 1, ShardCPUs: []int{1}, Workers: 1}, []int{1}, []int{0})
	f(CoreInput{Online: []int{0, 1}, Shards: 2, Workers: 1}, nil, nil, "3 busy threads (2 subscriber threads and 1 in-process worker) on 2 cores")

	for _, in := range []CoreInput{
		{Online: []int{0, 1}, Shards: 1, ShardCPUs: []int{5}},
		{Online: []int{0, 1}, Shards: 1, RestCPUs: []int{2}},
	} {
		if _, err := PlanCores(in); err == nil || !strings.Contains(err.Error(), "not available to this process (online: 0-1)") {
			t.Errorf("%+v: err %v, want one naming the core and the online list", in, err)
		}
	}
}

func TestCPUList(t *testing.T) {
	f := func(s string, want []int, back string) {
		t.Helper()
		got, err := ParseCPUList(s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v", s, got, err, want)
		}
		if f := FormatCPUList(got); f != back {
			t.Errorf("FormatCPUList(%v) = %q, want %q", got, f, back)
		}
	}
	f("0", []int{0}, "0")
	f("0,2-3", []int{0, 2, 3}, "0,2-3")
	f("3,1,2", []int{3, 1, 2}, "1-3")
	f(" 0-1 , 4 ", []int{0, 1, 4}, "0-1,4")
	for _, bad := range []string{"", "x", "-1", "3-1", "0-1024", "1024", "1,,a"} {
		if _, err := ParseCPUList(bad); err == nil {
			t.Errorf("ParseCPUList(%q): no error", bad)
		}
	}
}
