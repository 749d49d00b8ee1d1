package main

// Command-level tests of recovery (issue 12): gaps from a link outage, a
// paused subscriber and a late join are filled from the publisher's
// rewind window and handed over exactly once, in order per partition
// (counted through --tap); what the window no longer holds is reported
// as unrecoverable, with exact ranges.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// recoverySummary is the part of the JSON summary the recovery tests read.
type recoverySummary struct {
	jsonSummary
	Verdict              string `json:"verdict"`
	VerdictDetail        string `json:"verdict_detail"`
	BeforeJoin           int64  `json:"records_before_join"`
	RecordsRecovered     int64  `json:"records_recovered"`
	RecoveryRequests     int64  `json:"recovery_requests"`
	RecordsUnrecoverable int64  `json:"records_unrecoverable"`
	RecoveryMaxMs        float64
	Unrecoverable        []struct {
		Partition uint64 `json:"partition"`
		First     uint64 `json:"first_seq"`
		Last      uint64 `json:"last_seq"`
		Records   int64  `json:"records"`
	} `json:"unrecoverable"`
}

// tapOrder reads a tap file (one worker: delivery order) and returns the
// sequences per partition in the order handled.
func tapOrder(t *testing.T, path string) map[uint64][]uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[uint64][]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 6 {
			t.Fatalf("%s: bad tap line %q", path, sc.Text())
		}
		part, _ := strconv.ParseUint(fields[3], 10, 32)
		seq, _ := strconv.ParseUint(fields[4], 10, 64)
		out[part] = append(out[part], seq)
	}
	return out
}

// checkInOrder: every partition's records are 1..max exactly once, in
// order, and there are want of them.
func checkInOrder(t *testing.T, seqs map[uint64][]uint64, want int64) {
	t.Helper()
	var total int64
	for part, ss := range seqs {
		for i, s := range ss {
			if s != uint64(i+1) {
				t.Fatalf("partition %d: record %d handed over is seq %d, want %d (in order, exactly once)", part, i, s, i+1)
			}
		}
		total += int64(len(ss))
	}
	if total != want {
		t.Fatalf("%d records handed over, %d published", total, want)
	}
}

// TestNetnsLinkDownRecovers: the link between the publisher's box and the
// subscriber's goes down for 3 s at 100,000 records/s. The publisher cuts
// the stuck connection, the subscriber notices the silence and
// reconnects, and the gap is recovered from the rewind window: every
// record exactly once, in order per partition, and the summary says so.
func TestNetnsLinkDownRecovers(t *testing.T) {
	needNetns(t)
	a, b := twoBoxes(t)
	port := freePorts(t, 1)[0] % 60000
	ep := fmt.Sprintf("tcp://198.18.77.1:%d", port)
	const records = 1000000
	tap := filepath.Join(t.TempDir(), "sub.tap")
	pub := startCmd(t, "pub in "+a, exec.Command("ip", "netns", "exec", a, bboxBin, "pub", "--bind", ep,
		"--rate", "100000", "--records", strconv.Itoa(records), "--wait-subs", "1", "--json"))
	sub := startCmd(t, "sub in "+b, exec.Command("ip", "netns", "exec", b, bboxBin, "sub", "--connect", ep,
		"--exit-on-eos", "--workers", "1", "--tap", tap, "--json"))
	waitFor(t, 20*time.Second, "the subscriber to connect", func() bool {
		return strings.Contains(sub.stderr.String(), "connected to "+ep)
	})
	time.Sleep(2 * time.Second) // records flow
	for _, nic := range []string{"a0", "a1"} {
		ipCmd(t, "-n", a, "link", "set", nic, "down")
	}
	time.Sleep(3 * time.Second)
	for _, nic := range []string{"a0", "a1"} {
		ipCmd(t, "-n", a, "link", "set", nic, "up")
	}
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d\n%s", code, tail(pub.stderr.String(), 20))
	}
	if code := sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox sub exited %d\n%s", code, tail(sub.stderr.String(), 30))
	}
	var s recoverySummary
	sub.summary(&s)
	t.Logf("sub: received %d recovered %d in %d requests, unrecoverable %d, lost %d, gaps %d, verdict %s (%s)",
		s.RecordsReceived, s.RecordsRecovered, s.RecoveryRequests, s.RecordsUnrecoverable, s.RecordsLost, s.Gaps, s.Verdict, s.VerdictDetail)
	checkInOrder(t, tapOrder(t, tap), records)
	if s.RecordsReceived != records || s.RecordsLost != 0 || s.RecordsUnrecoverable != 0 {
		t.Fatalf("received %d lost %d unrecoverable %d, want %d, 0, 0", s.RecordsReceived, s.RecordsLost, s.RecordsUnrecoverable, records)
	}
	if s.Gaps == 0 || s.RecordsRecovered == 0 || s.RecoveryRequests == 0 {
		t.Fatalf("gaps %d, recovered %d, requests %d: the outage cost nothing to recover?", s.Gaps, s.RecordsRecovered, s.RecoveryRequests)
	}
	if s.Verdict != "exactly_once" || !strings.Contains(sub.stderr.String(), "arrived exactly once ("+words.Group(s.RecordsRecovered)+" recovered)") {
		t.Fatalf("verdict %q (%q), want exactly once with the recovery named\n%s", s.Verdict, s.VerdictDetail, tail(sub.stderr.String(), 12))
	}
	if !strings.Contains(sub.stderr.String(), "recovery: "+words.Group(s.RecordsRecovered)+" recovered") {
		t.Errorf("no recovery line in the human summary:\n%s", tail(sub.stderr.String(), 12))
	}
}

// pausedRun runs a publisher at 100,000 records/s and a subscriber that
// is SIGSTOPped for pause, long enough for the publisher to drop at its
// high-water mark, and returns the subscriber's summary and tap. The
// publisher does not cut it (write-timeout is a limit far past any stall
// of a loaded box): catching up, the subscriber hands the recovered
// range over for longer than a short write-timeout, was cut again, and
// redialled after the publisher had gone, missing the end-of-stream.
// TestNetnsLinkDownRecovers covers the cut and the reconnect.
func pausedRun(t *testing.T, pause time.Duration, pubArgs ...string) (recoverySummary, map[uint64][]uint64, int64) {
	t.Helper()
	port := freePorts(t, 1)[0] % 60000
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	const records = 800000
	tap := filepath.Join(t.TempDir(), "sub.tap")
	args := append([]string{"pub", "--bind", ep, "--rate", "100000", "--records", strconv.Itoa(records), "--wait-subs", "1",
		"--hwm", strconv.Itoa(1 << 20), "--write-timeout", "60s", "--json"}, pubArgs...)
	pub := startBBox(t, "pub", args...)
	sub := startBBox(t, "sub", "sub", "--connect", ep, "--exit-on-eos", "--workers", "1", "--tap", tap, "--json",
		"--rcvbuf", "65536")
	waitFor(t, 20*time.Second, "the subscriber to connect", func() bool {
		return strings.Contains(sub.stderr.String(), "connected to "+ep)
	})
	time.Sleep(time.Second)
	syscall.Kill(sub.cmd.Process.Pid, syscall.SIGSTOP)
	time.Sleep(pause)
	syscall.Kill(sub.cmd.Process.Pid, syscall.SIGCONT)
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d\n%s", code, tail(pub.stderr.String(), 20))
	}
	code := sub.wait(60 * time.Second)
	var s recoverySummary
	sub.summary(&s)
	var ps struct {
		Dropped   int64 `json:"records_dropped_slow"`
		Discarded int64 `json:"records_discarded"`
	}
	pub.summary(&ps)
	t.Logf("sub exit %d: received %d recovered %d in %d requests, unrecoverable %d, lost %d, gaps %d, verdict %s (%s); pub dropped %d discarded %d",
		code, s.RecordsReceived, s.RecordsRecovered, s.RecoveryRequests, s.RecordsUnrecoverable, s.RecordsLost, s.Gaps, s.Verdict, s.VerdictDetail,
		ps.Dropped, ps.Discarded)
	if ps.Dropped+ps.Discarded == 0 {
		t.Fatalf("the publisher neither dropped nor discarded anything for the paused subscriber: the test proves nothing")
	}
	return s, tapOrder(t, tap), records
}

// TestSubPausedRecovers: a subscriber paused long enough to be dropped at
// the publisher's high-water mark, then resumed, loses nothing.
func TestSubPausedRecovers(t *testing.T) {
	s, seqs, records := pausedRun(t, 3*time.Second)
	checkInOrder(t, seqs, records)
	if s.RecordsReceived != records || s.RecordsLost != 0 || s.RecordsRecovered == 0 || s.Verdict != "exactly_once" {
		t.Fatalf("received %d lost %d recovered %d verdict %s: want all %d, recovered, exactly once", s.RecordsReceived, s.RecordsLost, s.RecordsRecovered, s.Verdict, records)
	}
}

// TestSubPausedPastWindowUnrecoverable: the same pause with a window too
// small to hold it: what the window no longer had is reported as
// unrecoverable, in ranges that together with what was handed over cover
// every sequence exactly once, and nothing is invented.
func TestSubPausedPastWindowUnrecoverable(t *testing.T) {
	s, seqs, records := pausedRun(t, 3*time.Second, "--rewind", "256KiB")
	if s.RecordsUnrecoverable == 0 || len(s.Unrecoverable) == 0 || s.Verdict != "lost" {
		t.Fatalf("unrecoverable %d in %d ranges, verdict %s: want the loss reported", s.RecordsUnrecoverable, len(s.Unrecoverable), s.Verdict)
	}
	if s.RecordsLost != s.RecordsUnrecoverable {
		t.Fatalf("lost %d, unrecoverable %d: want the same (every gap was asked for)", s.RecordsLost, s.RecordsUnrecoverable)
	}
	// Handed over ∪ unrecoverable = 1..max of each partition, disjoint.
	gone := map[uint64]map[uint64]bool{}
	var sum int64
	for _, u := range s.Unrecoverable {
		if gone[u.Partition] == nil {
			gone[u.Partition] = map[uint64]bool{}
		}
		if u.Records != int64(u.Last-u.First+1) {
			t.Fatalf("range %+v: records do not match its bounds", u)
		}
		for q := u.First; q <= u.Last; q++ {
			gone[u.Partition][q] = true
		}
		sum += u.Records
	}
	if sum != s.RecordsUnrecoverable {
		t.Fatalf("ranges sum to %d, records_unrecoverable %d", sum, s.RecordsUnrecoverable)
	}
	var got int64
	for part, ss := range seqs {
		next := uint64(1)
		for _, q := range ss {
			for gone[part][next] {
				next++
			}
			if q != next {
				t.Fatalf("partition %d: seq %d handed over, want %d (neither received nor reported unrecoverable in between)", part, q, next)
			}
			next++
		}
		got += int64(len(ss))
	}
	if got+s.RecordsUnrecoverable != records || got != s.RecordsReceived {
		t.Fatalf("handed over %d (summary %d) + unrecoverable %d != published %d", got, s.RecordsReceived, s.RecordsUnrecoverable, records)
	}
}

// paced makes a publisher wait for a subscriber that falls behind rather
// than cut it (write-timeout is a limit, far past any stall of a loaded
// box) and keeps little queued for it (so Close's 2s drain always
// suffices): the late-join tests are about recovering the opening, and
// on a busy box a subscriber handing 200,000 recovered records over
// fell behind the live stream, was cut, and missed the end-of-stream
// when the publisher had gone before it redialled.
var paced = []string{"--slow", "block", "--hwm", "1048576", "--write-timeout", "60s"}

// TestSubLateJoinFromStart: a subscriber started after the publisher has
// published for a while, with --from-start, gets the whole stream from
// the window, exactly once and in order, then continues live.
func TestSubLateJoinFromStart(t *testing.T) {
	ports := freePorts(t, 2)
	eps := tcpEndpoints(ports...)
	const records = 600000
	tap := filepath.Join(t.TempDir(), "sub.tap")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--rate", "100000", "--records", strconv.Itoa(records), "--json",
		"--recovery-bind", tcpEndpoints(freePorts(t, 2)...), paced[0], paced[1], paced[2], paced[3], paced[4], paced[5])
	waitFor(t, 20*time.Second, "the publisher's recovery endpoints", func() bool {
		return strings.Contains(pub.stderr.String(), "recovery endpoints")
	})
	line := pub.stderr.String()
	line = line[strings.Index(line, "recovery endpoints ")+len("recovery endpoints "):]
	rec := strings.ReplaceAll(strings.TrimSpace(strings.SplitN(line, "\n", 2)[0]), " ", "")
	time.Sleep(2 * time.Second)
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--recovery", rec, "--from-start", "--exit-on-eos", "--workers", "1",
		"--tap", tap, "--json")
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d", code)
	}
	if code := sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox sub exited %d\n%s", code, tail(sub.stderr.String(), 20))
	}
	var s recoverySummary
	sub.summary(&s)
	t.Logf("received %d recovered %d requests %d before join %d verdict %s", s.RecordsReceived, s.RecordsRecovered, s.RecoveryRequests, s.BeforeJoin, s.Verdict)
	checkInOrder(t, tapOrder(t, tap), records)
	if s.RecordsRecovered < 100000 || s.BeforeJoin != 0 || s.RecordsLost != 0 || s.Verdict != "exactly_once" {
		t.Fatalf("recovered %d, before join %d, lost %d, verdict %s: want the opening recovered, exactly once", s.RecordsRecovered, s.BeforeJoin, s.RecordsLost, s.Verdict)
	}
}

// TestSubLateJoinFromArchive: a recorder runs from the start and serves
// its recording (bbox record --serve); a subscriber joins late with
// --from-start and a window far too small for what it missed: the window
// is asked first, the archive for the rest, and every record arrives
// exactly once, in order, then the stream continues live.
func TestSubLateJoinFromArchive(t *testing.T) {
	ports := freePorts(t, 3)
	eps, recEP, archEP := tcpEndpoints(ports[0]), tcpEndpoints(ports[1]), tcpEndpoints(ports[2])
	const records = 600000
	dir := t.TempDir()
	tap := filepath.Join(dir, "sub.tap")
	recorder := startBBox(t, "record", "record", "--connect", eps, "--recovery", recEP, "--out", filepath.Join(dir, "day.bbc"),
		"--flush", "50ms", "--serve", archEP, "--exit-on-eos", "--json")
	waitFor(t, 20*time.Second, "the recorder's archive endpoint", func() bool {
		return strings.Contains(recorder.stderr.String(), "serving recovery from the recording on")
	})
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--recovery-bind", recEP, "--rewind", "4MiB", "--rate", "100000",
		"--records", strconv.Itoa(records), "--wait-subs", "1", "--json", paced[0], paced[1], paced[2], paced[3], paced[4], paced[5])
	time.Sleep(2500 * time.Millisecond)
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--recovery", recEP, "--recover", "archive", "--archive", archEP,
		"--from-start", "--exit-on-eos", "--workers", "1", "--tap", tap, "--json")
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d", code)
	}
	if code := sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox sub exited %d\n%s", code, tail(sub.stderr.String(), 20))
	}
	if code := recorder.wait(30 * time.Second); code != 0 {
		t.Fatalf("bbox record exited %d\n%s", code, tail(recorder.stderr.String(), 20))
	}
	var s recoverySummary
	sub.summary(&s)
	t.Logf("received %d recovered %d requests %d unrecoverable %d verdict %s", s.RecordsReceived, s.RecordsRecovered, s.RecoveryRequests, s.RecordsUnrecoverable, s.Verdict)
	checkInOrder(t, tapOrder(t, tap), records)
	if s.RecordsRecovered < 150000 || s.BeforeJoin != 0 || s.RecordsLost != 0 || s.Verdict != "exactly_once" {
		t.Fatalf("recovered %d, before join %d, lost %d, verdict %s: want the opening recovered from the archive, exactly once\n%s",
			s.RecordsRecovered, s.BeforeJoin, s.RecordsLost, s.Verdict, tail(sub.stderr.String(), 20))
	}
}
