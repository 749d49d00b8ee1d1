package main

// Issue 2's "done when" checks, run as a user would: separate bbox
// processes on loopback.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDemoJSON(t *testing.T) {
	code, p := runBBox(t, time.Minute, "demo", "--duration", "3s", "--json")
	if code != 0 {
		t.Fatalf("demo exited %d\n%s", code, p.stderr.String())
	}
	var s jsonSummary
	p.summary(&s)
	if s.RecordsReceived <= 0 || s.RecordsLost != 0 || s.Gaps != 0 {
		t.Fatalf("received %d, lost %d, gaps %d", s.RecordsReceived, s.RecordsLost, s.Gaps)
	}
	if s.RecordsPublished != s.RecordsReceived {
		t.Fatalf("published %d, received %d", s.RecordsPublished, s.RecordsReceived)
	}
	if len(s.Shards) != 2 {
		t.Fatalf("%d shards, want 2", len(s.Shards))
	}
	for _, sh := range s.Shards {
		if sh.Records == 0 {
			t.Fatalf("shard %d carried no records", sh.ID)
		}
	}
	var sum int64
	for _, w := range s.Workers {
		if w.Records == 0 {
			t.Fatalf("worker %d handled no records", w.ID)
		}
		sum += w.Records
	}
	if len(s.Workers) == 0 || sum != s.RecordsReceived {
		t.Fatalf("workers handled %d records in total, received %d", sum, s.RecordsReceived)
	}
	if s.LatencyUS.P50 <= 0 || s.LatencyUS.Max < s.LatencyUS.P99 {
		t.Fatalf("implausible latency block %+v", s.LatencyUS)
	}
}

// tapSeqs reads tap files and returns how often each (partition, seq) was
// handled, plus per-file counts.
func tapSeqs(t *testing.T, paths ...string) (map[[2]uint64]int, []int) {
	t.Helper()
	seen := map[[2]uint64]int{}
	var per []int
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) != 6 {
				t.Fatalf("%s: bad tap line %q", p, sc.Text())
			}
			part, _ := strconv.ParseUint(fields[3], 10, 32)
			seq, _ := strconv.ParseUint(fields[4], 10, 64)
			seen[[2]uint64{part, seq}]++
			n++
		}
		f.Close()
		per = append(per, n)
	}
	return seen, per
}

// checkExactlyOnce verifies every partition's sequences 1..max appear
// exactly once and their total is want.
func checkExactlyOnce(t *testing.T, seen map[[2]uint64]int, want int64) {
	t.Helper()
	maxSeq := map[uint64]uint64{}
	var total int64
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("partition %d seq %d handled %d times", k[0], k[1], n)
		}
		maxSeq[k[0]] = max(maxSeq[k[0]], k[1])
		total++
	}
	for part, m := range maxSeq {
		for s := uint64(1); s <= m; s++ {
			if seen[[2]uint64{part, s}] != 1 {
				t.Fatalf("partition %d: seq %d missing (max %d)", part, s, m)
			}
		}
	}
	if total != want {
		t.Fatalf("%d distinct records handled, %d published", total, want)
	}
}

func TestPubSubProcesses(t *testing.T) {
	ports := freePorts(t, 2)
	dir := t.TempDir()
	tap := filepath.Join(dir, "sub.tap")
	sub := startBBox(t, "sub", "sub", "--connect", tcpEndpoints(ports...), "--exit-on-eos", "--tap", tap, "--json")
	code, pub := runBBox(t, time.Minute, "pub", "--bind", tcpEndpoints(ports...), "--rate", "max",
		"--records", "300000", "--wait-subs", "1", "--json")
	if code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("sub exited %d", code)
	}
	var ps, ss jsonSummary
	pub.summary(&ps)
	sub.summary(&ss)
	if ps.RecordsPublished != 300000 || ss.RecordsReceived != 300000 || ss.RecordsLost != 0 || ss.Gaps != 0 {
		t.Fatalf("published %d, received %d, lost %d, gaps %d", ps.RecordsPublished, ss.RecordsReceived, ss.RecordsLost, ss.Gaps)
	}
	seen, _ := tapSeqs(t, tap)
	checkExactlyOnce(t, seen, 300000)
}

func TestPubSubWorkerProcesses(t *testing.T) {
	ports := freePorts(t, 3)
	dir := t.TempDir()
	taps := []string{filepath.Join(dir, "w1.tap"), filepath.Join(dir, "w2.tap")}
	push := tcpEndpoints(ports[2])
	var ws []*proc
	for i, tp := range taps {
		ws = append(ws, startBBox(t, fmt.Sprintf("worker%d", i), "worker", "--connect", push, "--exit-on-eos", "--tap", tp, "--json"))
	}
	sub := startBBox(t, "sub", "sub", "--connect", tcpEndpoints(ports[:2]...), "--push", push, "--exit-on-eos", "--json")
	// Both workers must be connected before records flow, or one may get all.
	waitFor(t, 20*time.Second, "two workers to connect", func() bool {
		return strings.Count(sub.stderr.String(), "connected from") >= 2
	})
	code, _ := runBBox(t, time.Minute, "pub", "--bind", tcpEndpoints(ports[:2]...), "--rate", "200000",
		"--records", "200000", "--wait-subs", "1", "--json")
	if code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("sub exited %d", code)
	}
	for _, w := range ws {
		if code := w.wait(30 * time.Second); code != 0 {
			t.Fatalf("%s exited %d", w.name, code)
		}
	}
	var ss jsonSummary
	sub.summary(&ss)
	if ss.RecordsReceived != 200000 || ss.RecordsLost != 0 {
		t.Fatalf("sub received %d, lost %d", ss.RecordsReceived, ss.RecordsLost)
	}
	seen, per := tapSeqs(t, taps...)
	for i, n := range per {
		if n == 0 {
			t.Fatalf("worker %d handled nothing: no load spreading (%v)", i, per)
		}
	}
	checkExactlyOnce(t, seen, 200000)
}

// peakRSS reads a process's high-water resident set (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// TestStoppedSubscriber: a subscriber frozen with SIGSTOP for 5 s while the
// publisher sends 200k records/s must not stall the other subscriber, and
// the publisher's memory stays bounded.
func TestStoppedSubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~10s")
	}
	ports := freePorts(t, 2)
	eps := tcpEndpoints(ports...)
	// B croaks if any record reaches it later than 1s: proof that it never
	// stalled behind the stopped subscriber for that long.
	b := startBBox(t, "subB", "sub", "--connect", eps, "--exit-on-eos", "--max-delay", "1s", "--warmup", "500ms", "--json")
	a := startBBox(t, "subA", "sub", "--connect", eps, "--exit-on-eos", "--json")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--rate", "200000", "--duration", "9s", "--wait-subs", "2",
		"--write-timeout", "2s", "--json")
	waitFor(t, 20*time.Second, "publishing to start", func() bool { return strings.Contains(a.stderr.String(), "connected to") })
	time.Sleep(time.Second)
	if err := syscall.Kill(a.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var peak int64
	stopUntil := time.Now().Add(5 * time.Second)
	for time.Now().Before(stopUntil) {
		if rss, err := peakRSS(pub.cmd.Process.Pid); err == nil {
			peak = max(peak, rss)
		}
		if b.exited() {
			t.Fatalf("subscriber B exited while A was stopped:\n%s", tail(b.stderr.String(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(a.cmd.Process.Pid, syscall.SIGCONT)
	for !pub.exited() {
		if rss, err := peakRSS(pub.cmd.Process.Pid); err == nil {
			peak = max(peak, rss)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := b.wait(30 * time.Second); code != 0 {
		t.Fatalf("subscriber B exited %d (croaked or failed):\n%s", code, tail(b.stderr.String(), 20))
	}
	a.wait(30 * time.Second)
	var ps, bs jsonSummary
	pub.summary(&ps)
	b.summary(&bs)
	if bs.RecordsReceived != ps.RecordsPublished || bs.RecordsLost != 0 || bs.Gaps != 0 {
		t.Fatalf("B received %d of %d, lost %d, gaps %d", bs.RecordsReceived, ps.RecordsPublished, bs.RecordsLost, bs.Gaps)
	}
	if peak == 0 || peak > 512<<20 {
		t.Fatalf("publisher peak RSS %d MiB, want under 512 MiB", peak>>20)
	}
	// Issue 3: the publisher cut the stopped subscriber off at its write
	// deadline (not because it went away: it was frozen, not closed).
	stuck := 0
	for _, c := range ps.Connections {
		if strings.HasPrefix(c.State, "stuck") {
			stuck++
		}
	}
	t.Logf("publisher peak RSS %d MiB; connections: %+v", peak>>20, ps.Connections)
	if stuck != 2 {
		t.Fatalf("%d connections cut off as stuck, want A's two: %+v", stuck, ps.Connections)
	}
}

// TestHostilePeers sends garbage and a ZMTP frame header announcing 2^40
// bytes to a publisher's port; bbox must refuse both, keep running, and
// keep its normal subscriber flowing.
func TestHostilePeers(t *testing.T) {
	ports := freePorts(t, 1)
	eps := tcpEndpoints(ports...)
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--exit-on-eos", "--json")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--rate", "50000", "--duration", "3s", "--wait-subs", "1", "--json")
	waitFor(t, 20*time.Second, "the subscriber to connect", func() bool { return strings.Contains(sub.stderr.String(), "connected to") })
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])

	garbage, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	garbage.Write([]byte("GET / HTTP/1.1\r\nHost: bbox\r\n\r\n" + strings.Repeat("\x00\xff", 500)))

	huge, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer huge.Close()
	// A valid ZMTP 3.0 greeting (NULL mechanism, as a SUB), then a long
	// frame header claiming 2^40 bytes instead of the READY command.
	greet := make([]byte, 64)
	greet[0], greet[9], greet[10], greet[11] = 0xFF, 0x7F, 3, 0
	copy(greet[12:], "NULL")
	hdr := make([]byte, 9)
	hdr[0] = 0x06 // long command frame
	binary.BigEndian.PutUint64(hdr[1:], 1<<40)
	huge.Write(append(greet, hdr...))

	// The hostile connections must be closed by bbox.
	for _, c := range []net.Conn{garbage, huge} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("bbox did not close a hostile connection within 10s")
				}
				break
			}
		}
	}
	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("pub exited %d after hostile peers:\n%s", code, pub.stderr.String())
	}
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("sub exited %d", code)
	}
	var ps, ss jsonSummary
	pub.summary(&ps)
	sub.summary(&ss)
	if ss.RecordsReceived != ps.RecordsPublished || ss.RecordsLost != 0 || ss.Gaps != 0 || ps.RecordsPublished == 0 {
		t.Fatalf("normal subscriber got %d of %d (lost %d, gaps %d)", ss.RecordsReceived, ps.RecordsPublished, ss.RecordsLost, ss.Gaps)
	}
	errs := pub.stderr.String()
	if !strings.Contains(errs, "ZMTP") || !strings.Contains(errs, "larger than the limit") {
		t.Fatalf("publisher did not report both refusals:\n%s", errs)
	}
}
