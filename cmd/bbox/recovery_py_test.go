package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
	"github.com/go-zeromq/zmq4"
)

// recoveryPy is a recovery client written from docs/wire.md section 9
// alone, with pyzmq (libzmq): it learns publisher, epoch and a partition
// from the live stream, asks the recovery endpoint for that partition's
// first 1,000 records, checks every DATA frame (CRC, sequences) and the
// END message, then sends garbage and expects "bad request".
const recoveryPy = `
import struct, sys, zlib, zmq
pub_ep, rec_ep = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"p")
sub.setsockopt(zmq.RCVTIMEO, 15000)
sub.connect(pub_ep)
while True:
    prefix, frame = sub.recv_multipart()
    (count,) = struct.unpack_from("<I", frame, 20)
    (first,) = struct.unpack_from("<Q", frame, 40)
    if count > 0 and first > 1000:
        break
(partition,) = struct.unpack_from("<I", frame, 12)
publisher, epoch = struct.unpack_from("<QQ", frame, 24)
d = ctx.socket(zmq.DEALER)
d.setsockopt(zmq.RCVTIMEO, 15000)
d.connect(rec_ep)
want_from, want_n = 1, 1000
d.send(b"BBRQ" + bytes([1, 0, 0, 0]) + struct.pack("<QQQIIQ", 7, publisher, epoch, partition, want_n, want_from))
seqs = []
while True:
    parts = d.recv_multipart()
    magic, ver, typ, status, rid = struct.unpack_from("<4sBBHQ", parts[0])
    assert magic == b"BBRP" and ver == 1 and rid == 7, parts[0]
    if typ == 2:
        avail, nxt, served_from, served_to, nframes, nrecs = struct.unpack_from("<QQQQII", parts[0], 16)
        break
    f = parts[1]
    (hlen,) = struct.unpack_from("<H", f, 4)
    (cnt,) = struct.unpack_from("<I", f, 20)
    (s0,) = struct.unpack_from("<Q", f, 40)
    blen, crc = struct.unpack_from("<II", f, 48)
    assert zlib.crc32(f[hlen:]) & 0xffffffff == crc and blen == len(f) - hlen
    off = hlen
    for i in range(cnt):
        (rl,) = struct.unpack_from("<H", f, off)
        if want_from <= s0 + i < want_from + want_n:
            seqs.append(s0 + i)
        off += rl
    assert off == len(f)
ok = seqs == list(range(want_from, want_from + want_n))
print("status", status, "records", len(seqs), "in-order", ok, "served_to", served_to, "end-records", nrecs)
d.send(b"not a request")
parts = d.recv_multipart()
print("garbage status", struct.unpack_from("<H", parts[0], 6)[0])
`

// TestRecoveryFromPyzmq: a libzmq DEALER written from the spec recovers
// records from bbox pub's window.
func TestRecoveryFromPyzmq(t *testing.T) {
	py := pythonZMQ(t)
	script := filepath.Join(t.TempDir(), "recover.py")
	if err := os.WriteFile(script, []byte(recoveryPy), 0o644); err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 2)
	pubEP, recEP := tcpEndpoints(ports[0]), tcpEndpoints(ports[1])
	startBBox(t, "pub", "pub", "--bind", pubEP, "--recovery-bind", recEP, "--rate", "100000", "--duration", "30s")
	time.Sleep(300 * time.Millisecond)
	cmd := exec.Command(py, "-u", script, pubEP, recEP)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the pyzmq client did not finish:\n%s", out)
	}
	if err != nil {
		t.Fatalf("pyzmq client: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "status 0 records 1000 in-order True served_to 1001 end-records 1000") || !strings.Contains(got, "garbage status 4") {
		t.Fatalf("pyzmq client said:\n%s", got)
	}
}

// TestRecoveryHostileLiveComplete: while clients flood bbox pub's
// recovery endpoint (garbage, ranges of 2^32 records, about 1,000
// requests a second each, replies never read), a live subscriber still
// gets every record exactly once, in order, and the publisher counts the
// abuse.
func TestRecoveryHostileLiveComplete(t *testing.T) {
	ports := freePorts(t, 2)
	pubEP, recEP := tcpEndpoints(ports[0]), tcpEndpoints(ports[1])
	const records = 500000
	tap := filepath.Join(t.TempDir(), "sub.tap")
	sub := startBBox(t, "sub", "sub", "--connect", pubEP, "--recovery", recEP, "--exit-on-eos", "--workers", "1", "--tap", tap, "--json")
	pub := startBBox(t, "pub", "pub", "--bind", pubEP, "--recovery-bind", recEP, "--rate", "100000", "--records", strconv.Itoa(records),
		"--wait-subs", "1", "--json")
	ep, _ := zmqx.ParseEndpoint(recEP)
	var id, epoch uint64
	waitFor(t, 20*time.Second, "the publisher's id", func() bool {
		e := pub.stderr.String()
		i := strings.Index(e, "publisher ")
		if i < 0 || !strings.Contains(e[i:], " on ") {
			return false
		}
		_, err := fmt.Sscanf(e[i:], "publisher %x epoch %d", &id, &epoch)
		return err == nil
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for h := 0; h < 3; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				p, err := zmqx.Dial(ctx, ep, zmq4.Dealer, zmqx.Options{})
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				for i := 0; ctx.Err() == nil && i < 3000; i++ {
					msg := []byte("garbage")
					switch i % 3 {
					case 1: // someone else's stream
						msg = shard.AppendRecoveryRequest(nil, &shard.RecoveryRequest{ID: uint64(i), Publisher: uint64(i), Epoch: 1, From: 1, Count: ^uint32(0)})
					case 2: // everything this publisher ever sent, again and again
						msg = shard.AppendRecoveryRequest(nil, &shard.RecoveryRequest{ID: uint64(i), Publisher: id, Epoch: epoch, Partition: uint32(i % 4), From: 1, Count: ^uint32(0)})
					}
					if p.Send(msg) != nil {
						break
					}
					time.Sleep(time.Millisecond)
				}
				p.Close()
			}
		}()
	}
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d", code)
	}
	stop()
	wg.Wait()
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("bbox sub exited %d\n%s", code, tail(sub.stderr.String(), 20))
	}
	var ps struct {
		Recovery []shard.RecoveryStats `json:"recovery"`
	}
	pub.summary(&ps)
	var s recoverySummary
	sub.summary(&s)
	checkInOrder(t, tapOrder(t, tap), records)
	if s.RecordsLost != 0 || s.Gaps != 0 || s.Verdict != "exactly_once" {
		t.Fatalf("live subscriber: lost %d gaps %d verdict %s", s.RecordsLost, s.Gaps, s.Verdict)
	}
	if len(ps.Recovery) != 1 || ps.Recovery[0].Bad == 0 || ps.Recovery[0].Unknown+ps.Recovery[0].Busy == 0 {
		t.Fatalf("the publisher's recovery counters do not show the abuse: %+v", ps.Recovery)
	}
	t.Logf("publisher's recovery endpoint: %+v", ps.Recovery[0])
}
