package main

// Worker processes under credit-based flow control: a stopped worker does
// not stall the subscriber, a dropped or killed worker's unacknowledged
// records are counted exactly (or redelivered), a croak ends the workers,
// and a libzmq PULL with heartbeats is served as a plain PULL.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// subWorker is one workers[] entry of `bbox sub --json`.
type subWorker struct {
	ID          int    `json:"id"`
	Records     int64  `json:"records"`
	Handled     int64  `json:"handled"`
	Lost        int64  `json:"lost"`
	Redelivered int64  `json:"redelivered"`
	Peer        string `json:"peer"`
	Mode        string `json:"mode"`
	State       string `json:"state"`
	CloseReason string `json:"close_reason"`
}

type subWorkers struct {
	RecordsReceived int64       `json:"records_received"`
	Workers         []subWorker `json:"workers"`
	Warnings        []string    `json:"warnings"`
}

type workerSummary struct {
	Records     int64  `json:"records"`
	Discarded   int64  `json:"records_discarded"`
	Croaked     bool   `json:"croaked"`
	CroakReason string `json:"croak_reason"`
}

// workerRig is `bbox sub --push` with two `bbox worker --tap` processes.
type workerRig struct {
	pubEPs  string
	push    string
	sub     *proc
	workers []*proc
	taps    []string
}

// startWorkerRig starts the sub and the workers (worker i gets
// workerArgs[i]; --exit-on-eos unless croak) and waits until all have
// taken credit.
func startWorkerRig(t *testing.T, croak bool, subArgs []string, workerArgs ...[]string) *workerRig {
	t.Helper()
	ports := freePorts(t, 3)
	r := &workerRig{pubEPs: tcpEndpoints(ports[:2]...), push: tcpEndpoints(ports[2])}
	dir := t.TempDir()
	args := append([]string{"sub", "--connect", r.pubEPs, "--push", r.push, "--exit-on-eos", "--json"}, subArgs...)
	r.sub = startBBox(t, "sub", args...)
	for i, wa := range workerArgs {
		tp := filepath.Join(dir, fmt.Sprintf("w%d.tap", i))
		r.taps = append(r.taps, tp)
		a := append([]string{"worker", "--connect", r.push, "--tap", tp, "--json"}, wa...)
		if !croak {
			a = append(a, "--exit-on-eos")
		}
		r.workers = append(r.workers, startBBox(t, fmt.Sprintf("worker%d", i), a...))
		// One at a time, so sub's worker i is worker process i.
		waitFor(t, 20*time.Second, fmt.Sprintf("worker %d to take credit", i), func() bool {
			return strings.Count(r.sub.stderr.String(), "takes credit") > i
		})
	}
	return r
}

func (r *workerRig) pub(t *testing.T, rate, records int) *proc {
	return startBBox(t, "pub", "pub", "--bind", r.pubEPs, "--rate", fmt.Sprint(rate), "--records", fmt.Sprint(records),
		"--wait-subs", "1", "--json")
}

// waitTap waits until worker i has handled (and flushed) about n records.
func (r *workerRig) waitTap(t *testing.T, i int, n int64) {
	waitFor(t, 30*time.Second, fmt.Sprintf("worker %d to handle records", i), func() bool {
		st, err := os.Stat(r.taps[i])
		return err == nil && st.Size() > n*20 // tap lines are over 20 bytes
	})
}

func tapCount(t *testing.T, path string) int64 {
	_, per := tapSeqs(t, path)
	return int64(per[0])
}

// checkAccounts checks what holds for every run: each entry's lost is
// exactly what it was written and did not acknowledge (unless
// redelivered), and handled + lost over all entries is every record the
// subscriber received.
func checkAccounts(t *testing.T, s subWorkers) (handled, lost, redelivered int64) {
	t.Helper()
	for _, w := range s.Workers {
		if w.Mode != "credit" {
			t.Fatalf("worker %d served in mode %q, want credit: %+v", w.ID, w.Mode, w)
		}
		if w.Handled+w.Lost+w.Redelivered != w.Records {
			t.Fatalf("worker %d: handled %d + lost %d + redelivered %d != written %d", w.ID, w.Handled, w.Lost, w.Redelivered, w.Records)
		}
		handled += w.Handled
		lost += w.Lost
		redelivered += w.Redelivered
	}
	if handled+lost != s.RecordsReceived {
		t.Fatalf("workers handled %d + lost %d != %d received: %+v", handled, lost, s.RecordsReceived, s.Workers)
	}
	return handled, lost, redelivered
}

// TestStoppedWorker: one of two workers is frozen with SIGSTOP mid-stream.
// The subscriber keeps flowing to the other (it would croak at
// --max-delay if it stalled until the stopped worker is dropped), the
// publisher cuts nothing, and after --worker-timeout the stopped worker's
// unacknowledged records are reported lost, exactly.
func TestStoppedWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~10s")
	}
	const n = 600000
	r := startWorkerRig(t, false, []string{"--worker-timeout", "5s", "--max-delay", "3s", "--warmup", "500ms"}, nil, nil)
	pub := r.pub(t, 200000, n)
	r.waitTap(t, 1, 1000)
	victim := r.workers[1]
	if err := syscall.Kill(victim.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := r.sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("sub exited %d (croaked: it stalled behind the stopped worker?)", code)
	}
	if code := r.workers[0].wait(30 * time.Second); code != 0 {
		t.Fatalf("worker 0 exited %d", code)
	}
	// Resumed, the stopped worker finds its connection cut and discards
	// what it had queued (the subscriber counted it lost).
	syscall.Kill(victim.cmd.Process.Pid, syscall.SIGCONT)
	waitFor(t, 10*time.Second, "the resumed worker to notice", func() bool { return strings.Contains(victim.stderr.String(), "lost ") })
	syscall.Kill(victim.cmd.Process.Pid, syscall.SIGTERM)
	victim.wait(30 * time.Second)

	var ps jsonSummary
	var ss subWorkers
	var base jsonSummary
	pub.summary(&ps)
	r.sub.summary(&ss)
	r.sub.summary(&base)
	if ps.RecordsPublished != n || base.RecordsReceived != n || base.RecordsLost != 0 || base.Gaps != 0 {
		t.Fatalf("published %d, sub received %d, lost %d, gaps %d", ps.RecordsPublished, base.RecordsReceived, base.RecordsLost, base.Gaps)
	}
	for _, c := range ps.Connections {
		if c.DroppedRecords != 0 || strings.HasPrefix(c.State, "stuck") {
			t.Fatalf("the publisher cut or dropped for the subscriber: %+v", ps.Connections)
		}
	}
	if len(ss.Workers) != 2 {
		t.Fatalf("%d worker connections, want 2: %+v", len(ss.Workers), ss.Workers)
	}
	_, lost, _ := checkAccounts(t, ss)
	ok, stopped := ss.Workers[0], ss.Workers[1]
	if ok.State != "finished" || ok.Handled != ok.Records || tapCount(t, r.taps[0]) != ok.Records {
		t.Fatalf("running worker: %+v, tap %d lines", ok, tapCount(t, r.taps[0]))
	}
	if stopped.State != "dropped" || stopped.Lost == 0 || lost != stopped.Lost {
		t.Fatalf("stopped worker: %+v (want dropped with its unacknowledged records lost)", stopped)
	}
	// Every acknowledged record is in the tap; nothing beyond what was written.
	if tp := tapCount(t, r.taps[1]); tp < stopped.Handled || tp > stopped.Records {
		t.Fatalf("stopped worker's tap has %d lines, acknowledged %d, written %d", tp, stopped.Handled, stopped.Records)
	}
	seen, _ := tapSeqs(t, r.taps...)
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("partition %d seq %d handled %d times", k[0], k[1], c)
		}
	}
	if !strings.Contains(r.sub.stderr.String(), "lost to workers") { // the counts line and the verdict say it
		t.Fatalf("sub's summary does not name the records lost to workers:\n%s", tail(r.sub.stderr.String(), 20))
	}
	var vs workerSummary
	victim.summary(&vs)
	t.Logf("stopped worker: %+v; its process handled %d and discarded %d", stopped, vs.Records, vs.Discarded)
}

// TestKilledWorker: SIGKILL one of two workers mid-stream. What it was
// written and never acknowledged is lost, exactly; with --redeliver it is
// re-sent, every record reaches a tap at least once, and the summary says
// at least once.
func TestKilledWorker(t *testing.T) {
	for _, redeliver := range []bool{false, true} {
		t.Run(fmt.Sprintf("redeliver=%v", redeliver), func(t *testing.T) {
			const n = 200000
			var subArgs []string
			if redeliver {
				subArgs = append(subArgs, "--redeliver")
			}
			// The victim is slow, and it is stopped before it is killed: a
			// slow worker that has just acknowledged its last batch holds
			// nothing (the kill would then prove no loss), but a stopped one
			// acknowledges nothing more while the dispatcher still hands it
			// batches whenever it is no busier than the other worker.
			r := startWorkerRig(t, false, subArgs, nil, []string{"--work", "20us", "--credit", "16"})
			pub := r.pub(t, 100000, n)
			r.waitTap(t, 1, 5000)
			victim := r.workers[1].cmd.Process.Pid
			if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // well under the sub's 5s --worker-timeout
			if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if code := pub.wait(60 * time.Second); code != 0 {
				t.Fatalf("pub exited %d", code)
			}
			if code := r.sub.wait(60 * time.Second); code != 0 {
				t.Fatalf("sub exited %d", code)
			}
			if code := r.workers[0].wait(30 * time.Second); code != 0 {
				t.Fatalf("worker 0 exited %d", code)
			}
			var ss subWorkers
			r.sub.summary(&ss)
			if ss.RecordsReceived != n {
				t.Fatalf("sub received %d of %d", ss.RecordsReceived, n)
			}
			_, lost, redelivered := checkAccounts(t, ss)
			if len(ss.Workers) != 2 {
				t.Fatalf("%d worker connections, want 2: %+v", len(ss.Workers), ss.Workers)
			}
			ok, killed := ss.Workers[0], ss.Workers[1]
			if killed.State != "disconnected" || killed.Records-killed.Handled == 0 {
				t.Fatalf("killed worker: %+v (want disconnected holding unacknowledged records)", killed)
			}
			tapOK, tapKilled := tapCount(t, r.taps[0]), tapCount(t, r.taps[1])
			if ok.State != "finished" || ok.Handled != ok.Records || tapOK != ok.Handled {
				t.Fatalf("surviving worker: %+v, tap %d lines", ok, tapOK)
			}
			// The tap is flushed before each acknowledgement: the killed
			// worker's file holds at least what it acknowledged.
			if tapKilled < killed.Handled || tapKilled > killed.Records {
				t.Fatalf("killed worker's tap has %d lines, acknowledged %d, written %d", tapKilled, killed.Handled, killed.Records)
			}
			seen, _ := tapSeqs(t, r.taps...)
			out := r.sub.stdout.String()
			if !redeliver {
				if lost != killed.Records-killed.Handled || redelivered != 0 {
					t.Fatalf("lost %d, redelivered %d; the killed worker was written %d and acknowledged %d",
						lost, redelivered, killed.Records, killed.Handled)
				}
				for k, c := range seen {
					if c != 1 {
						t.Fatalf("partition %d seq %d handled %d times", k[0], k[1], c)
					}
				}
				t.Logf("lost %d to the killed worker; its tap shows %d it handled but never acknowledged", lost, tapKilled-killed.Handled)
				return
			}
			if lost != 0 || redelivered != killed.Records-killed.Handled {
				t.Fatalf("with --redeliver: lost %d, redelivered %d; the killed worker was written %d and acknowledged %d",
					lost, redelivered, killed.Records, killed.Handled)
			}
			if int64(len(seen)) != n {
				t.Fatalf("%d distinct records in the taps, %d published", len(seen), n)
			}
			if !strings.Contains(out+r.sub.stderr.String(), "at least once") {
				t.Fatalf("summary does not say at least once:\n%s", tail(out, 20))
			}
		})
	}
}

// TestCroakEndsWorkers: a subscriber that croaks tells its workers why,
// and they exit with status 3 even without --exit-on-eos.
func TestCroakEndsWorkers(t *testing.T) {
	// Workers far too slow for the feed: the subscriber's hand-off stalls
	// and it croaks at --max-delay.
	slow := []string{"--work", "1ms", "--credit", "4"}
	r := startWorkerRig(t, true, []string{"--max-delay", "50ms"}, slow, slow)
	pub := r.pub(t, 100000, 1000000)
	if code := r.sub.wait(60 * time.Second); code != exitCroaked {
		t.Fatalf("sub exited %d, want %d (croaked)", code, exitCroaked)
	}
	var base jsonSummary
	r.sub.summary(&base)
	if !base.Croaked || base.CroakReason == "" {
		t.Fatalf("sub did not report its croak: %+v", base)
	}
	for i, w := range r.workers {
		if code := w.wait(30 * time.Second); code != exitCroaked {
			t.Fatalf("worker %d exited %d, want %d", i, code, exitCroaked)
		}
		var ws workerSummary
		w.summary(&ws)
		if !ws.Croaked || !strings.Contains(ws.CroakReason, base.CroakReason) {
			t.Fatalf("worker %d: croaked %v, reason %q; the subscriber's was %q", i, ws.Croaked, ws.CroakReason, base.CroakReason)
		}
		if !strings.Contains(w.stderr.String(), "CROAKED") {
			t.Fatalf("worker %d does not say it croaked:\n%s", i, w.stderr.String())
		}
	}
	var ss subWorkers
	r.sub.summary(&ss)
	for _, w := range ss.Workers {
		if w.State != "aborted" {
			t.Fatalf("worker %d state %q, want aborted", w.ID, w.State)
		}
	}
	pub.cmd.Process.Signal(syscall.SIGTERM)
	pub.wait(30 * time.Second)
}

// pullHeartbeat is a libzmq PULL with ZMTP heartbeats that counts the
// records of every batch until an EOS frame.
const pullHeartbeat = `
import sys, struct, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
s.setsockopt(zmq.HEARTBEAT_IVL, 100)
s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 300)
s.setsockopt(zmq.RCVTIMEO, 30000)
s.connect(sys.argv[1])
records = 0
while True:
    f = s.recv()
    if f[:2] != b"BB":
        sys.exit("bad frame")
    flags, = struct.unpack_from("<B", f, 3)
    count, = struct.unpack_from("<I", f, 20)
    if flags & 4:
        break
    records += count
print(records, flush=True)
`

// TestInteropHeartbeatPull: a libzmq PULL with ZMQ_HEARTBEAT_IVL and
// ZMQ_HEARTBEAT_TIMEOUT set stays connected to `bbox sub --push` through
// idle time (the dispatcher answers its PINGs), is served as a plain PULL
// (it sends no credit) and gets every record and the end-of-stream.
func TestInteropHeartbeatPull(t *testing.T) {
	py := pythonZMQ(t)
	const n = 50000
	ports := freePorts(t, 3)
	pubEPs, push := tcpEndpoints(ports[:2]...), tcpEndpoints(ports[2])
	sub := startBBox(t, "sub", "sub", "--connect", pubEPs, "--push", push, "--exit-on-eos", "--json")
	pull := startCmd(t, "python PULL", exec.Command(py, "-u", "-c", pullHeartbeat, push))
	waitFor(t, 20*time.Second, "the PULL to be served as plain", func() bool {
		return strings.Contains(sub.stderr.String(), "plain PULL")
	})
	// Idle for several heartbeat timeouts: without PONGs libzmq would drop
	// the connection and reconnect.
	time.Sleep(1500 * time.Millisecond)
	code, _ := runBBox(t, time.Minute, "pub", "--bind", pubEPs, "--rate", "100000", "--records", fmt.Sprint(n), "--wait-subs", "1", "--json")
	if code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("sub exited %d", code)
	}
	if code := pull.wait(30 * time.Second); code != 0 {
		t.Fatalf("python PULL exited %d:\n%s", code, pull.stderr.String())
	}
	var ss subWorkers
	sub.summary(&ss)
	if len(ss.Workers) != 1 {
		t.Fatalf("%d worker connections, want 1 (the PULL was dropped and reconnected?): %+v", len(ss.Workers), ss.Workers)
	}
	w := ss.Workers[0]
	if w.Mode != "plain" || w.State != "finished" || w.Records != n {
		t.Fatalf("PULL's connection: %+v", w)
	}
	if got := strings.TrimSpace(pull.stdout.String()); got != fmt.Sprint(n) {
		t.Fatalf("the PULL received %s records, want %d", got, n)
	}
}

// pushPlain is a libzmq PUSH that sends n records in batch frames of 10
// (docs/wire.md section 5), then an EOS frame.
const pushPlain = `
import sys, struct, zlib, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.bind(sys.argv[1])
n = int(sys.argv[2])
def frame(flags, seq, recs):
    body = b""
    for (q, topic) in recs:
        body += struct.pack("<HBBqqQ", 28 + len(topic) + 3, len(topic), ord("A"), 1, 2, q) + topic + b"abc"
    hdr = struct.pack("<2sBBHHHHIIIQQQII", b"BB", 1, flags, 56, 0, 1, 0, 0, 1, len(recs), 7, 1, seq, len(body), zlib.crc32(body))
    return hdr + body
seq = 1
for i in range(n // 10):
    s.send(frame(1, seq, [(seq + k, b"SYM") for k in range(10)]))
    seq += 10
s.send(frame(5, seq, []))
s.setsockopt(zmq.LINGER, 60000)  # a bound: close waits until the worker has taken all (a loaded -race run took >5s)
s.close()
ctx.term()
`

// TestInteropLibzmqPush: `bbox worker` pulling from a libzmq PUSH. Its
// credit messages are ZMTP commands, which libzmq drops, so it works as a
// plain PULL would and gets every record and the end-of-stream.
func TestInteropLibzmqPush(t *testing.T) {
	py := pythonZMQ(t)
	const n = 20000
	ep := tcpEndpoints(freePorts(t, 1)...)
	push := startCmd(t, "python PUSH", exec.Command(py, "-u", "-c", pushPlain, ep, fmt.Sprint(n)))
	dir := t.TempDir()
	tap := filepath.Join(dir, "w.tap")
	code, w := runBBox(t, time.Minute, "worker", "--connect", ep, "--exit-on-eos", "--tap", tap, "--json")
	if code != 0 {
		t.Fatalf("worker exited %d", code)
	}
	if code := push.wait(30 * time.Second); code != 0 {
		t.Fatalf("python PUSH exited %d:\n%s", code, push.stderr.String())
	}
	var ws workerSummary
	w.summary(&ws)
	if ws.Records != n || tapCount(t, tap) != n {
		t.Fatalf("worker handled %d records (tap %d, discarded %d), want %d:\n%s", ws.Records, tapCount(t, tap), ws.Discarded, n, w.stderr.String())
	}
}

// TestSubWaitsForWorkers: with --wait-workers 2, bbox sub --push does
// not subscribe (not even try the publisher's endpoints) until both
// workers took credit, then delivers everything; --wait-workers without
// --push is a usage error.
func TestSubWaitsForWorkers(t *testing.T) {
	expect(t, exitUsage, []string{"--wait-workers waits for worker processes: it needs --push"},
		"sub", "--connect", "tcp://127.0.0.1:1", "--wait-workers", "1")
	const n = 20000
	r := startWorkerRig(t, false, []string{"--wait-workers", "2"}, nil, nil)
	log := r.sub.stderr.String()
	waiting := strings.Index(log, "waiting for 2 workers on ")
	second := strings.LastIndex(log, "takes credit")
	shard := strings.Index(log, "shard 0")
	if waiting < 0 || second < waiting || (shard >= 0 && shard < second) {
		t.Fatalf("sub did not wait for both workers before its shards:\n%s", log)
	}
	pub := r.pub(t, 50000, n)
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := r.sub.wait(60 * time.Second); code != 0 {
		t.Fatalf("sub exited %d", code)
	}
	for i, w := range r.workers {
		if code := w.wait(30 * time.Second); code != 0 {
			t.Fatalf("worker %d exited %d", i, code)
		}
	}
	var ss subWorkers
	r.sub.summary(&ss)
	if ss.RecordsReceived != n {
		t.Fatalf("sub received %d of %d", ss.RecordsReceived, n)
	}
	if handled, lost, _ := checkAccounts(t, ss); handled != n || lost != 0 {
		t.Fatalf("handled %d, lost %d of %d", handled, lost, n)
	}
}
