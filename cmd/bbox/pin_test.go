package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
)

// threadStatus reads Cpus_allowed_list (the kernel's affinity of the
// thread) and the CPU it last ran on (field 39 of /proc/PID/task/TID/stat).
func threadStatus(pid, tid int) (allowed string, last int, err error) {
	dir := fmt.Sprintf("/proc/%d/task/%d", pid, tid)
	b, err := os.ReadFile(dir + "/status")
	if err != nil {
		return "", -1, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			allowed = strings.TrimSpace(v)
		}
	}
	st, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", -1, err
	}
	// The command name (field 2) may hold spaces: count from the ')'.
	s := string(st)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 37 {
		return "", -1, fmt.Errorf("short stat for thread %d: %q", tid, s)
	}
	last, err = strconv.Atoi(fields[36]) // field 39 overall; fields[0] is field 3
	return allowed, last, err
}

// threadSeen is what the sink saw on one delivery, read on the shard
// thread itself while it was running there.
type threadSeen struct {
	tid      int
	affinity []int
	allowed  string
	last     int
}

// pinSink records, for every delivered batch, which thread delivered it
// and where that thread may run and did run.
type pinSink struct {
	mu   sync.Mutex
	seen map[int][]threadSeen
	recs int64
}

func (s *pinSink) Deliver(shard int, b *feed.Batch) {
	tid := tuning.Tid()
	aff, _ := tuning.ThreadCPUs()
	allowed, last, _ := threadStatus(os.Getpid(), tid)
	s.mu.Lock()
	s.seen[shard] = append(s.seen[shard], threadSeen{tid, aff, allowed, last})
	s.recs += int64(len(b.Recs))
	s.mu.Unlock()
	feed.PutBatch(b)
}

// The subscriber thread of shard i runs only on its assigned core: every
// batch of shard i is delivered by one thread whose affinity (from the
// thread, and from /proc) is exactly that core, and which last ran there.
// The cores are assigned in reverse (shard 0 on the highest core) so an
// identity mapping cannot pass by accident.
func TestSubscriberThreadOnItsCore(t *testing.T) {
	online := tuning.Online()
	if len(online) < 2 {
		t.Skip("needs at least 2 cores to tell the assignments apart")
	}
	cpus := []int{online[1], online[0]}
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sink := &pinSink{seen: map[int][]threadSeen{}}
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints(), CPUs: cpus, ExitOnEOS: true}, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subDone := make(chan error, 1)
	go func() { subDone <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const n = 200000
	gen, err := feed.NewGenerator(feed.GenConfig{Records: n, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-subDone; err != nil {
		t.Fatal(err)
	}
	if sink.recs != n {
		t.Fatalf("delivered %d records, want %d", sink.recs, n)
	}
	st := sub.Stats()
	for i, want := range cpus {
		seen := sink.seen[i]
		if len(seen) < 2 {
			t.Fatalf("shard %d: only %d deliveries", i, len(seen))
		}
		if st.Shards[i].CPU != want {
			t.Errorf("shard %d: Stats says cpu %d, want %d", i, st.Shards[i].CPU, want)
		}
		tid := seen[0].tid
		for k, s := range seen {
			if s.tid != tid {
				t.Errorf("shard %d delivery %d: thread %d, earlier %d: the shard moved threads", i, k, s.tid, tid)
			}
			if len(s.affinity) != 1 || s.affinity[0] != want || s.allowed != strconv.Itoa(want) || s.last != want {
				t.Fatalf("shard %d delivery %d on thread %d: affinity %v, Cpus_allowed_list %q, last ran on cpu %d; want only cpu %d",
					i, k, s.tid, s.affinity, s.allowed, s.last, want)
			}
		}
		t.Logf("shard %d: thread %d, %d deliveries, all on cpu %d", i, tid, len(seen), want)
	}
	if sink.seen[0][0].tid == sink.seen[1][0].tid {
		t.Errorf("shards 0 and 1 were delivered by the same thread %d", sink.seen[0][0].tid)
	}
}

// The core plan of `bbox sub`, from outside the process: with --cpus 1
// (one shard), exactly one thread may run on core 1 only, and every other
// thread of the process (workers, Go runtime) is kept off it, on core 0.
func TestSubCorePlanThreads(t *testing.T) {
	online := tuning.Online()
	if len(online) < 2 {
		t.Skip("needs at least 2 cores")
	}
	shardCPU, rest := online[1], tuning.FormatCPUList(append(append([]int(nil), online[:1]...), online[2:]...))
	port := freePorts(t, 1)[0]
	p := startBBox(t, "sub", "sub", "--connect", fmt.Sprintf("tcp://127.0.0.1:%d", port), "--cpus", strconv.Itoa(shardCPU), "--duration", "20s", "--json")
	var masks map[int]string
	waitFor(t, 10*time.Second, "the pinned subscriber thread", func() bool {
		masks = map[int]string{}
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", p.cmd.Process.Pid))
		if err != nil {
			return false
		}
		pinned := 0
		for _, e := range ents {
			tid, _ := strconv.Atoi(e.Name())
			if a, _, err := threadStatus(p.cmd.Process.Pid, tid); err == nil {
				masks[tid] = a
				if a == strconv.Itoa(shardCPU) {
					pinned++
				}
			}
		}
		return pinned > 0
	})
	pinned := 0
	for tid, m := range masks {
		switch m {
		case strconv.Itoa(shardCPU):
			pinned++
		case rest:
		default:
			t.Errorf("thread %d may run on %s: want %d (the subscriber thread) or %s (everything else)", tid, m, shardCPU, rest)
		}
	}
	if pinned != 1 {
		t.Errorf("%d threads on core %d, want exactly 1 (the subscriber thread): %v", pinned, shardCPU, masks)
	}
	if len(masks) < 3 {
		t.Errorf("only %d threads seen: %v", len(masks), masks)
	}
}
