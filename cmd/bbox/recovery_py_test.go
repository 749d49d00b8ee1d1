package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
