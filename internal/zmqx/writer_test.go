package zmqx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// rawPair returns the server side of a ZMTP connection over loopback TCP
// (a PUB peer, handshaken by Listener.Serve) and the client side as a raw
// net.Conn past the handshake, so a test can read exactly what was written
// or refuse to read at all. small shrinks both socket buffers so a client
// that does not read stalls the writer quickly.
func rawPair(t *testing.T, small bool) (*Peer, net.Conn, *bufio.Reader) {
	t.Helper()
	o := Options{}
	if small {
		o.SndBuf = 4096
	}
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := Listen(ep, o)
	if err != nil {
		t.Fatal(err)
	}
	peers := make(chan *Peer, 1)
	go ln.Serve(zmq4.Pub, func(p *Peer) { peers <- p })
	t.Cleanup(func() { ln.Close() })
	d := net.Dialer{Timeout: 5 * time.Second}
	if small {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}
	}
	raw, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	raw.Write(greeting())
	raw.Write(readyCmd())
	br := bufio.NewReaderSize(raw, 64<<10)
	if _, err := io.ReadFull(br, make([]byte, 64)); err != nil {
		t.Fatalf("server greeting: %v", err)
	}
	if flags, body, err := readPart(br); err != nil || flags&0x04 == 0 || !bytes.HasPrefix(body, []byte("\x05READY")) {
		t.Fatalf("server READY: flags %#x %q %v", flags, body, err)
	}
	raw.SetDeadline(time.Time{})
	select {
	case p := <-peers:
		t.Cleanup(func() { p.Close() })
		return p, raw, br
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake")
	}
	return nil, nil, nil
}

// readPart reads one ZMTP frame.
func readPart(br *bufio.Reader) (flags byte, body []byte, err error) {
	var hdr [9]byte
	if _, err = io.ReadFull(br, hdr[:2]); err != nil {
		return 0, nil, err
	}
	flags, size := hdr[0], uint64(hdr[1])
	if flags&0x02 != 0 {
		if _, err = io.ReadFull(br, hdr[2:9]); err != nil {
			return 0, nil, err
		}
		size = binary.BigEndian.Uint64(hdr[1:9])
	}
	body = make([]byte, size)
	_, err = io.ReadFull(br, body)
	return flags, body, err
}

// readMsgs reads complete messages until EOF or error, skipping commands.
func readMsgs(br *bufio.Reader) (msgs [][][]byte, err error) {
	var cur [][]byte
	for {
		flags, body, err := readPart(br)
		if err != nil {
			return msgs, err
		}
		if flags&0x04 != 0 {
			continue
		}
		cur = append(cur, body)
		if flags&0x01 == 0 {
			msgs = append(msgs, cur)
			cur = nil
		}
	}
}

func testFrame(i, size int) *Frame {
	body := bytes.Repeat([]byte{byte(i)}, size)
	binary.BigEndian.PutUint32(body, uint32(i))
	return NewFrame([]byte{'p', byte(i % 4)}, body, 3)
}

func waitDone(t *testing.T, w *Writer) {
	t.Helper()
	select {
	case <-w.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("writer did not stop")
	}
}

func TestWriterDeliversInOrder(t *testing.T) {
	p, raw, br := rawPair(t, false)
	var info CloseInfo
	w, err := NewWriter(p, WriterConfig{OnClose: func(ci CloseInfo) { info = ci }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	sizes := []int{4, 255, 256, 600, 70000} // short and long ZMTP frames, copied and referenced parts
	for i := 0; i < n; i++ {
		f := testFrame(i, sizes[i%len(sizes)])
		if r := w.Send(f); r != Queued {
			t.Fatalf("Send %d: %v", i, r)
		}
		f.Unref()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan [][][]byte, 1)
	go func() { m, _ := readMsgs(br); got <- m }()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	w.Close(Shutdown, "test done")
	waitDone(t, w)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	msgs := <-got
	if len(msgs) != n {
		t.Fatalf("received %d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		want := testFrame(i, sizes[i%len(sizes)])
		if len(m) != 2 || !bytes.Equal(m[0], want.Prefix) || !bytes.Equal(m[1], want.Body) {
			t.Fatalf("message %d: %d parts, prefix %q, body %d bytes", i, len(m), m[0], len(m[len(m)-1]))
		}
	}
	st := w.Stats()
	if st.Written.Frames != n || st.Written.Records != 3*n || st.Discarded.Frames != 0 || st.QueuedFrames != 0 {
		t.Fatalf("stats %+v", st)
	}
	if info.Reason != Shutdown || info.Detail != "test done" || info.String() != "closed: test done" {
		t.Fatalf("close info %+v (%s)", info, info)
	}
}

// TestWriterAnswersPingWhenIdle: nothing queued, the peer PINGs: the PONG
// must come at once, not with the next frame.
func TestWriterAnswersPingWhenIdle(t *testing.T) {
	p, raw, br := rawPair(t, false)
	w, _ := NewWriter(p, WriterConfig{})
	defer w.Close(Shutdown, "")
	go p.RecvMsg() // PINGs are seen (and swallowed) by the peer's reader
	for i := 0; i < 3; i++ {
		raw.Write(append([]byte{0x04, 7, 4}, "PING\x00\x0a"...))
		raw.SetReadDeadline(time.Now().Add(5 * time.Second))
		flags, body, err := readPart(br)
		if err != nil || flags != 0x04 || string(body) != "\x04PONG" {
			t.Fatalf("ping %d: got flags %#x %q, %v; want a PONG command", i, flags, body, err)
		}
	}
}

// TestWriterStuckCountsExactly: a peer that stops reading is cut off at
// the write deadline, and every frame sent is either written (and then
// received by the peer, which reads once we have given up) or discarded.
func TestWriterStuckCountsExactly(t *testing.T) {
	p, _, br := rawPair(t, true)
	var info CloseInfo
	w, _ := NewWriter(p, WriterConfig{WriteTimeout: 200 * time.Millisecond, MaxWrite: 64 << 10, OnClose: func(ci CloseInfo) { info = ci }})
	queued := int64(0)
	for i := 0; i < 400; i++ {
		f := testFrame(i, 8000)
		if w.Send(f) == Queued {
			queued++
		}
		f.Unref()
	}
	waitDone(t, w)
	if info.Reason != Stuck {
		t.Fatalf("closed %s, want stuck", info)
	}
	st := info.Stats
	if st.Written.Frames+info.Discarded.Frames != queued || st.Written.Records+info.Discarded.Records != 3*queued {
		t.Fatalf("written %+v + discarded %+v != %d queued", st.Written, info.Discarded, queued)
	}
	if info.Discarded.Frames == 0 || info.InFlight.Frames == 0 || info.InFlight.Frames > info.Discarded.Frames {
		t.Fatalf("discarded %+v, in flight %+v: want some of each", info.Discarded, info.InFlight)
	}
	if st.Written.Bytes+info.Discarded.Bytes != queued*8002 {
		t.Fatalf("bytes %d + %d != %d", st.Written.Bytes, info.Discarded.Bytes, queued*8002)
	}
	msgs, _ := readMsgs(br) // what the kernel had taken still arrives, then EOF
	if int64(len(msgs)) != st.Written.Frames {
		t.Fatalf("peer received %d whole messages, writer counted %d written", len(msgs), st.Written.Frames)
	}
}

func TestWriterDropsAtHWM(t *testing.T) {
	p, _, _ := rawPair(t, true)
	hwm := atomic.Int64{}
	var info CloseInfo
	w, _ := NewWriter(p, WriterConfig{MaxBytes: 3 * 8000, WriteTimeout: -1,
		OnHWM: func(int) { hwm.Add(1) }, OnClose: func(ci CloseInfo) { info = ci }})
	var res [3]int64
	for i := 0; i < 500; i++ {
		f := testFrame(i, 8000)
		res[w.Send(f)]++
		f.Unref()
	}
	st := w.Stats()
	if res[Dropped] == 0 || st.Dropped.Frames != res[Dropped] || st.Dropped.Records != 3*res[Dropped] || st.HWMEvents == 0 || hwm.Load() != st.HWMEvents {
		t.Fatalf("results %v, stats %+v, OnHWM %d", res, st, hwm.Load())
	}
	if st.QueuedBytes > 3*8000 {
		t.Fatalf("queued %d bytes past the bound", st.QueuedBytes)
	}
	// A frame held past the bound is queued even now, and counted.
	if st.QueuedBytes+8000 <= 3*8000 {
		t.Fatalf("queued %d bytes: the queue is not full, the check below proves nothing", st.QueuedBytes)
	}
	past := testFrame(500, 8000)
	if r := w.HoldPast(past); r != Queued {
		t.Fatalf("HoldPast over the bound: %v, want Queued", r)
	}
	past.Unref()
	res[Queued]++ // so the count at Close below includes it
	if after := w.Stats(); after.Dropped.Frames != st.Dropped.Frames {
		t.Fatalf("after HoldPast: dropped %d frames, was %d", after.Dropped.Frames, st.Dropped.Frames)
	}
	w.Close(Shutdown, "")
	waitDone(t, w)
	if info.Stats.Written.Frames+info.Discarded.Frames != res[Queued] {
		t.Fatalf("written %d + discarded %d != queued %d", info.Stats.Written.Frames, info.Discarded.Frames, res[Queued])
	}
}

func TestWriterBlocksForSpace(t *testing.T) {
	p, _, br := rawPair(t, true)
	w, _ := NewWriter(p, WriterConfig{MaxFrames: 2, Full: FullBlock})
	got := make(chan int, 1)
	go func() {
		n := 0
		for {
			if _, _, err := readPart(br); err != nil {
				got <- n
				return
			}
			n++
			if n%50 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for i := 0; i < 300; i++ {
		f := testFrame(i, 3000)
		if r := w.Send(f); r != Queued {
			t.Fatalf("Send %d: %v", i, r)
		}
		f.Unref()
		if q := w.Stats().QueuedFrames; q > 2 {
			t.Fatalf("%d frames queued, bound 2", q)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	w.Close(Shutdown, "")
	waitDone(t, w)
	if n := <-got; n != 600 {
		t.Fatalf("peer read %d parts, want 600", n)
	}
	if st := w.Stats(); st.Written.Frames != 300 || st.Blocked == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestWriterBlockEndsAtClose: a Send waiting for space returns Closed when
// the peer is cut off, and the writer reports what it discarded.
func TestWriterBlockEndsAtClose(t *testing.T) {
	p, _, _ := rawPair(t, true)
	w, _ := NewWriter(p, WriterConfig{MaxFrames: 1, Full: FullBlock, WriteTimeout: 100 * time.Millisecond})
	var last SendResult
	var res [3]int
	for i := 0; i < 1000 && last != Closed; i++ {
		f := testFrame(i, 8000)
		last = w.Send(f)
		res[last]++
		f.Unref()
	}
	t.Logf("results %v", res)
	if last != Closed {
		t.Fatal("Send never returned Closed for a peer that reads nothing")
	}
	waitDone(t, w)
	if st := w.Stats(); st.Reason != Stuck || st.Discarded.Frames != 1 {
		t.Fatalf("stats %+v: want stuck with the one frame in flight discarded", st)
	}
}

func TestWriterFullClose(t *testing.T) {
	p, _, _ := rawPair(t, true)
	w, _ := NewWriter(p, WriterConfig{MaxFrames: 4, Full: FullClose, WriteTimeout: -1})
	for i := 0; i < 1000; i++ {
		f := testFrame(i, 8000)
		r := w.Send(f)
		f.Unref()
		if r != Queued {
			break
		}
	}
	waitDone(t, w)
	if st := w.Stats(); st.Reason != HWM || st.Dropped.Frames != 1 || st.Discarded.Frames == 0 {
		t.Fatalf("stats %+v, want closed hwm", st)
	}
}

// TestWriterReclaim: with Reclaim, frames queued but never started come
// back to OnClose with their references; every frame is released once.
func TestWriterReclaim(t *testing.T) {
	p, _, _ := rawPair(t, true)
	var released atomic.Int64
	var info CloseInfo
	w, _ := NewWriter(p, WriterConfig{Reclaim: true, WriteTimeout: -1, MaxWrite: 16 << 10, OnClose: func(ci CloseInfo) { info = ci }})
	const n = 200
	for i := 0; i < n; i++ {
		f := testFrame(i, 8000)
		f.Init(func() { released.Add(1) })
		w.Send(f)
		f.Unref()
	}
	time.Sleep(50 * time.Millisecond) // let the writer block in a write
	w.Close(Aborted, "subscriber croaked")
	waitDone(t, w)
	if info.Reason != Aborted || len(info.Unsent) == 0 || int64(len(info.Unsent)) != info.Stats.Reclaimed.Frames {
		t.Fatalf("info %+v (%d unsent)", info.Stats, len(info.Unsent))
	}
	if got := info.Stats.Written.Frames + info.Discarded.Frames + int64(len(info.Unsent)); got != n {
		t.Fatalf("written %d + discarded %d + unsent %d != %d", info.Stats.Written.Frames, info.Discarded.Frames, len(info.Unsent), n)
	}
	if r := released.Load(); r != n-int64(len(info.Unsent)) {
		t.Fatalf("%d released before the unsent were given back, want %d", r, n-int64(len(info.Unsent)))
	}
	for i, f := range info.Unsent {
		if i > 0 && binary.BigEndian.Uint32(f.Body) != binary.BigEndian.Uint32(info.Unsent[i-1].Body)+1 {
			t.Fatal("unsent frames out of order")
		}
		f.Unref()
	}
	if released.Load() != n {
		t.Fatalf("%d of %d frames released", released.Load(), n)
	}
}

func TestWriterCloseByReader(t *testing.T) {
	p, raw, _ := rawPair(t, false)
	w, _ := NewWriter(p, WriterConfig{})
	go func() {
		_, err := p.RecvMsg()
		w.Close(ReadCloseReason(err))
	}()
	raw.Close()
	waitDone(t, w)
	if st := w.Stats(); st.Reason != ClosedByPeer {
		t.Fatalf("stats %+v, want closed_by_peer", st)
	}
	if err := w.Drain(context.Background()); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Drain after close: %v", err)
	}
	if r := w.Send(testFrame(1, 10)); r != Closed {
		t.Fatalf("Send after close: %v", r)
	}
}

func TestClosedStateText(t *testing.T) {
	for _, s := range ClosedStates() {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back ClosedState
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Fatalf("%s: round trip %s -> %v, %v", s, b, back, err)
		}
	}
	if got := Stuck.Describe("no progress"); got != "stuck: no progress" {
		t.Fatalf("Describe = %q", got)
	}
	var s ClosedState
	if err := s.UnmarshalText([]byte("nonsense")); err == nil {
		t.Fatal("unknown name accepted")
	}
	if r, _ := ReadCloseReason(ErrFrameTooLarge); r != ProtocolError {
		t.Fatalf("oversize frame: %v", r)
	}
}

// TestWriterAllocs pins the writer's steady state at zero allocations per
// frame: the queue, the iovecs and the scratch are reused.
func TestWriterAllocs(t *testing.T) {
	p, raw, _ := rawPair(t, false)
	w, _ := NewWriter(p, WriterConfig{})
	defer w.Close(Shutdown, "")
	go func() {
		buf := make([]byte, 256<<10)
		for {
			if _, err := raw.Read(buf); err != nil {
				return
			}
		}
	}()
	small, big := testFrame(1, 200), testFrame(2, 30000)
	sent := int64(0)
	send := func() {
		w.Send(small)
		w.Send(big)
		sent += 2
		for w.Stats().Written.Frames < sent {
			runtime.Gosched()
		}
	}
	for i := 0; i < 100; i++ {
		send() // warm up: scratch and iovec capacity
	}
	if a := testing.AllocsPerRun(500, send); a != 0 {
		t.Fatalf("%.2f allocations per send of two frames, want 0", a)
	}
}
