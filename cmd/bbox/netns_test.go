package main

// Two "boxes" with two NICs each, built from network namespaces and veth
// pairs, prove that each shard's traffic leaves and arrives through the
// NIC the topology file names for it.
//
//	box A (publisher)                       box B (subscriber)
//	a0 198.18.77.1/24  ══ veth pair 0 ══   b0 198.18.77.3/24
//	a1 198.18.77.2/24  ══ veth pair 1 ══   b1 198.18.77.4/24
//
// Why the routing table cannot be what separates the shards: all four
// addresses are in ONE subnet, so each box has two equal routes to
// 198.18.77.0/24 (one per NIC) and the kernel uses the first for every
// destination. Routing alone therefore sends both shards over one NIC
// pair; the test checks that with `ip route get` and shows it happen in
// a control run without NIC names. Linux answers ARP for any of its
// addresses on any NIC and rp_filter is off here, so that single path
// really works for both shards. Only SO_BINDTODEVICE, applied by zmqx on
// the publisher's listening socket (and so on the accepted connections)
// and on the subscriber's dialing socket, can put shard 1 on pair 1.
// The addresses are from 198.18.0.0/15, the range set aside for network
// benchmarks; they exist only inside these namespaces.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/tuning"
)

var nsSeq atomic.Int64

// ipCmd runs `ip args...` and fails the test with its output on error.
func ipCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// needNetns skips unless this test can create network namespaces.
func needNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs `ip` (iproute2) for network namespaces: apt-get install iproute2")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("`ip netns` is unavailable here: %v %s", err, out)
	}
}

// newNetns creates a namespace with a name unique to this run and
// deletes it (and the NICs in it) when the test ends, pass or fail.
func newNetns(t *testing.T, role string) string {
	t.Helper()
	name := fmt.Sprintf("bbox-%s-%d-%d-%d", role, os.Getpid(), time.Now().UnixNano()%1e6, nsSeq.Add(1))
	ipCmd(t, "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("deleting namespace %s: %v %s", name, err, out)
		}
	})
	return name
}

type nicCounters struct{ rx, tx int64 }

// counters reads the byte counters of nic inside ns.
func counters(t *testing.T, ns, nic string) nicCounters {
	t.Helper()
	var links []struct {
		Stats struct {
			RX struct{ Bytes int64 } `json:"rx"`
			TX struct{ Bytes int64 } `json:"tx"`
		} `json:"stats64"`
	}
	out := ipCmd(t, "-n", ns, "-j", "-s", "link", "show", "dev", nic)
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j -s link show %s in %s: %v %q", nic, ns, err, out)
	}
	return nicCounters{rx: links[0].Stats.RX.Bytes, tx: links[0].Stats.TX.Bytes}
}

// routeDev is the device the routing table picks in ns for dst.
func routeDev(t *testing.T, ns, dst string) string {
	t.Helper()
	f := strings.Fields(ipCmd(t, "-n", ns, "route", "get", dst))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "dev" {
			return f[i+1]
		}
	}
	t.Fatalf("ip route get %s in %s: no dev in %q", dst, ns, f)
	return ""
}

// twoBoxes builds the two namespaces and returns their names.
func twoBoxes(t *testing.T) (a, b string) {
	a, b = newNetns(t, "pubbox"), newNetns(t, "subbox")
	for i := 0; i < 2; i++ {
		ipCmd(t, "link", "add", fmt.Sprintf("a%d", i), "netns", a, "type", "veth", "peer", "name", fmt.Sprintf("b%d", i), "netns", b)
	}
	for _, box := range []struct {
		ns    string
		nics  [2]string
		addrs [2]string
	}{{a, [2]string{"a0", "a1"}, [2]string{"198.18.77.1", "198.18.77.2"}}, {b, [2]string{"b0", "b1"}, [2]string{"198.18.77.3", "198.18.77.4"}}} {
		// rp_filter off (the namespace may inherit strict mode from the
		// host): with two NICs in one subnet the unbound control run
		// receives on the NIC the reverse route does not point at.
		// IPv6 off keeps router solicitations out of the byte counters.
		sysctls := []string{"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
			"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"}
		for _, nic := range box.nics {
			sysctls = append(sysctls, "net.ipv4.conf."+nic+".rp_filter=0", "net.ipv6.conf."+nic+".disable_ipv6=1")
		}
		if out, err := exec.Command("ip", append([]string{"netns", "exec", box.ns, "sysctl", "-q", "-w"}, sysctls...)...).CombinedOutput(); err != nil {
			t.Fatalf("sysctl in %s: %v %s", box.ns, err, out)
		}
		ipCmd(t, "-n", box.ns, "link", "set", "lo", "up")
		for i, nic := range box.nics {
			ipCmd(t, "-n", box.ns, "addr", "add", box.addrs[i]+"/24", "dev", nic)
			ipCmd(t, "-n", box.ns, "link", "set", nic, "up")
		}
	}
	return a, b
}

// pubSummary is what the test needs of bbox pub's JSON.
type pubSummary struct {
	RecordsPublished int64 `json:"records_published"`
	Shards           []struct {
		ID      int   `json:"id"`
		Records int64 `json:"records"`
	} `json:"shards"`
	Connections []struct {
		Shard int   `json:"shard"`
		Bytes int64 `json:"bytes"`
	} `json:"connections"`
}

// runBoxes runs bbox pub in box a and bbox sub in box b with cfg, checks
// that every record arrived exactly once, and returns the bytes each
// shard's connection carried and the NIC counters' growth.
func runBoxes(t *testing.T, a, b, cfg string) (shardBytes [2]int64, deltas map[string]nicCounters) {
	t.Helper()
	nics := map[string]string{"a0": a, "a1": a, "b0": b, "b1": b}
	before := map[string]nicCounters{}
	for nic, ns := range nics {
		before[nic] = counters(t, ns, nic)
	}
	pub := startCmd(t, "pub in "+a, exec.Command("ip", "netns", "exec", a, bboxBin, "pub", "--config", cfg, "--json"))
	sub := startCmd(t, "sub in "+b, exec.Command("ip", "netns", "exec", b, bboxBin, "sub", "--config", cfg, "--json"))
	if code := sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox sub exited %d\n%s", code, tail(sub.stderr.String(), 30))
	}
	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d\n%s", code, tail(pub.stderr.String(), 30))
	}
	var ps pubSummary
	var ss jsonSummary
	pub.summary(&ps)
	sub.summary(&ss)
	if ps.RecordsPublished == 0 || ss.RecordsReceived != ps.RecordsPublished || ss.RecordsLost != 0 || ss.Gaps != 0 {
		t.Fatalf("published %d, received %d, lost %d, gaps %d: want every record exactly once",
			ps.RecordsPublished, ss.RecordsReceived, ss.RecordsLost, ss.Gaps)
	}
	if len(ps.Shards) != 2 || len(ss.Shards) != 2 {
		t.Fatalf("want 2 shards on both sides: pub %+v sub %+v", ps.Shards, ss.Shards)
	}
	for i := range 2 {
		if ss.Shards[i].Records != ps.Shards[i].Records || ps.Shards[i].Records == 0 {
			t.Errorf("shard %d: published %d, received %d", i, ps.Shards[i].Records, ss.Shards[i].Records)
		}
	}
	for _, c := range ps.Connections {
		shardBytes[c.Shard] += c.Bytes
	}
	deltas = map[string]nicCounters{}
	for nic, ns := range nics {
		now := counters(t, ns, nic)
		deltas[nic] = nicCounters{rx: now.rx - before[nic].rx, tx: now.tx - before[nic].tx}
	}
	t.Logf("shard bytes %v; NIC byte counters grew by %+v", shardBytes, deltas)
	return shardBytes, deltas
}

// The publisher runs flat out but paces itself to the subscriber (slow =
// block over a small hwm), and write-timeout is a limit far past any
// stall a loaded box makes: this test is about which NIC carries a
// shard, not about slow subscribers. Without that, a subscriber starved
// for CPU still held most of a shard in the publisher's queue when the
// publisher's Close stopped waiting for it (Drain, 2s), and the
// discarded tail (or a cut and a redial that came after the publisher
// had gone) failed the exactly-once check.
const netnsTopology = `# two boxes, two NICs each: shard i on NIC i on both sides
[pub]
records = 300000
rate = max
wait-subs = 1
wait-timeout = 20s
slow = block
hwm = 1048576
write-timeout = 60s

[sub]
exit-on-eos = true
duration = 50s
workers = 1

[shard 0]
endpoint = tcp://198.18.77.1:7001
%s

[shard 1]
endpoint = tcp://198.18.77.2:7002
%s
`

func TestShardsOnTheirOwnNICs(t *testing.T) {
	needNetns(t)
	a, b := twoBoxes(t)

	// Routing alone cannot separate the shards: one device for both.
	pubRoute := routeDev(t, a, "198.18.77.3")
	if d := routeDev(t, a, "198.18.77.4"); d != pubRoute {
		t.Fatalf("box A routes to the two subscriber addresses over %s and %s: the test needs routing that does not separate the shards", pubRoute, d)
	}
	subRoute := routeDev(t, b, "198.18.77.1")
	if d := routeDev(t, b, "198.18.77.2"); d != subRoute {
		t.Fatalf("box B routes to the two publisher addresses over %s and %s: the test needs routing that does not separate the shards", subRoute, d)
	}
	routedPair := strings.TrimPrefix(pubRoute, "a")
	if strings.TrimPrefix(subRoute, "b") != routedPair {
		t.Fatalf("the boxes route over different pairs (%s, %s); the control below assumes one", pubRoute, subRoute)
	}
	other := map[string]string{"0": "1", "1": "0"}[routedPair]
	t.Logf("routing alone uses pair %s (a%s/b%s) for everything", routedPair, routedPair, routedPair)

	write := func(name, s0, s1 string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(fmt.Sprintf(netnsTopology, s0, s1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The byte counters also carry ZMTP and TCP/IP headers, ACKs and ARP:
	// allow that much on top of a shard's bytes, far less than the other
	// shard's ~15 MB.
	slack := func(n int64) int64 { return n/10 + 256<<10 }

	t.Run("control: routing alone puts both shards on one NIC", func(t *testing.T) {
		sb, d := runBoxes(t, a, b, write("routed.conf", "", ""))
		both := sb[0] + sb[1]
		if d["a"+routedPair].tx < both || d["b"+routedPair].rx < both {
			t.Errorf("pair %s carried a:tx %d b:rx %d, want all %d bytes of both shards", routedPair, d["a"+routedPair].tx, d["b"+routedPair].rx, both)
		}
		if d["a"+other].tx > slack(0) || d["b"+other].rx > slack(0) {
			t.Errorf("pair %s carried a:tx %d b:rx %d without NIC names, want next to nothing", other, d["a"+other].tx, d["b"+other].rx)
		}
	})

	t.Run("bound: shard i on NIC i on both boxes", func(t *testing.T) {
		s0, s1 := "pub-nic = a0\nsub-nic = b0", "pub-nic = a1\nsub-nic = b1"
		if on := tuning.Online(); len(on) >= 2 { // and each subscriber thread on its own core
			s0, s1 = s0+fmt.Sprintf("\nsub-cpu = %d", on[0]), s1+fmt.Sprintf("\nsub-cpu = %d", on[1])
		}
		sb, d := runBoxes(t, a, b, write("bound.conf", s0, s1))
		for i := range 2 {
			an, bn := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
			mine, theirs := sb[i], sb[1-i]
			// All of shard i left A through a_i and arrived at B on b_i ...
			if d[an].tx < mine || d[bn].rx < mine {
				t.Errorf("shard %d: %s sent %d and %s received %d bytes, want at least the shard's %d", i, an, d[an].tx, bn, d[bn].rx, mine)
			}
			// ... and none of the other shard did.
			if d[an].tx > mine+slack(mine) || d[bn].rx > mine+slack(mine) {
				t.Errorf("shard %d: %s sent %d and %s received %d bytes for the shard's %d: the other shard's %d bytes went this way too",
					i, an, d[an].tx, bn, d[bn].rx, mine, theirs)
			}
			// The subscriber's side of the connection (handshake,
			// subscriptions, ACKs) went back over the same pair.
			if d[bn].tx == 0 || d[an].rx == 0 {
				t.Errorf("shard %d: nothing went back from %s to %s (tx %d, rx %d)", i, bn, an, d[bn].tx, d[an].rx)
			}
		}
	})
}

// A namespace is deleted when its test ends, also when the test fails:
// a child test process creates one, fails, and the namespace is gone.
func TestNetnsDeletedOnFailure(t *testing.T) {
	if name := os.Getenv("BBOX_NETNS_FAIL_CHILD"); name != "" {
		newNetns(t, name)
		t.Fatal("failing on purpose, after creating a namespace")
	}
	needNetns(t)
	role := fmt.Sprintf("failchild%d", os.Getpid())
	cmd := exec.Command(os.Args[0], "-test.run=^TestNetnsDeletedOnFailure$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BBOX_NETNS_FAIL_CHILD="+role)
	out, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("failing on purpose")) {
		t.Fatalf("the child test should have failed on purpose: %v\n%s", err, out)
	}
	list, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(list, []byte("bbox-"+role+"-")) {
		t.Errorf("the failed test left its namespace behind:\n%s", list)
	}
}
