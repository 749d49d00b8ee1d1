package zmqx

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unsafe"
)

// within reports whether s lies inside b's memory.
func within(b, s []byte) bool {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

// testMem is a ReadMem that scribbles over itself when its last
// reference goes, so a frame read after its buffer was recycled shows.
type testMem struct {
	b    []byte
	refs int
	live *int
}

func (m *testMem) Bytes() []byte { return m.b }
func (m *testMem) Retain()       { m.refs++ }
func (m *testMem) Release() {
	m.refs--
	switch {
	case m.refs < 0:
		panic("testMem released more often than retained")
	case m.refs == 0:
		for i := range m.b {
			m.b[i] = 0xAA
		}
		*m.live--
	}
}

// chunkReader returns at most n bytes a read, as a socket may.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// lendingPeer is a Peer past its handshake reading data in reads of at
// most chunk bytes into buffers of readBuf bytes it lends; live counts
// the buffers not yet recycled.
func lendingPeer(data []byte, chunk, readBuf int, live *int) *Peer {
	o := &Options{ReadBuf: readBuf, MaxFrame: 64 << 10}
	g := newGuard(&bytesConn{}, o)
	g.br.src = &chunkReader{r: bytes.NewReader(data), n: chunk}
	g.greetLeft = 0
	g.handshook.Store(true)
	p := &Peer{g: g}
	p.LendReads(func(n int) ReadMem {
		*live++
		return &testMem{b: make([]byte, n), refs: 1, live: live}
	})
	return p
}

// checkLending receives data with RecvLent (reads of chunk bytes into
// readBuf-byte buffers) and with RecvMessage into fresh memory: both see
// the same messages, commands and errors; every lent frame, its buffer
// retained, still holds its bytes at the end (a lent byte is never
// overwritten, moved or recycled while held); and every buffer is
// recycled once the Peer stops lending and the frames are released.
func checkLending(t *testing.T, data []byte, chunk, readBuf int) (messages int) {
	t.Helper()
	live := 0
	p := lendingPeer(data, chunk, readBuf, &live)
	plain := &Peer{g: newGuard(&bytesConn{r: bytes.NewReader(data)}, &Options{MaxFrame: 64 << 10})}
	plain.g.greetLeft = 0
	plain.g.handshook.Store(true)
	alloc := func(i, n int) []byte { return make([]byte, n) }
	var kept, want [][]byte
	var held []ReadMem
	for range len(data) + 1 {
		fr, cmd, err := p.RecvLent(nil)
		pfr, pcmd, perr := plain.RecvMessage(nil, alloc)
		if (err == nil) != (perr == nil) || (err == nil && (cmd != pcmd || len(fr) != len(pfr))) {
			t.Fatalf("lent: %d frames, command %v, %v; copied: %d frames, command %v, %v", len(fr), cmd, err, len(pfr), pcmd, perr)
		}
		if err != nil {
			break
		}
		if cmd {
			continue
		}
		messages++
		m := p.LentFrom()
		m.Retain()
		held = append(held, m)
		for i := range fr {
			if !bytes.Equal(fr[i], pfr[i]) {
				t.Fatalf("message %d frame %d: lent %q, copied %q", messages, i, fr[i], pfr[i])
			}
			if len(fr[i]) > 0 && !within(m.Bytes(), fr[i]) {
				t.Fatalf("message %d frame %d is not in the buffer LentFrom returned", messages, i)
			}
		}
		kept, want = append(kept, fr...), append(want, pfr...)
	}
	for i := range kept {
		if !bytes.Equal(kept[i], want[i]) {
			t.Fatalf("lent frame %d changed while its buffer was held: %q, want %q", i, kept[i], want[i])
		}
	}
	if p.g.pingsOwed() != plain.g.pingsOwed() {
		t.Fatalf("lending swallowed %d PINGs, copying %d", p.g.pingsOwed(), plain.g.pingsOwed())
	}
	p.EndLending()
	for _, m := range held {
		m.Release()
	}
	if live != 0 {
		t.Fatalf("%d read buffers never recycled", live)
	}
	return messages
}

func TestRecvLent(t *testing.T) {
	msg := func(body []byte) []byte {
		return append(frame(true, false, []byte("p0001")), frame(false, false, body)...)
	}
	ping := frame(false, true, []byte("\x04PING\x00\x00"))
	pong := frame(false, true, []byte("\x04PONG"))
	var data []byte
	for i := range 40 {
		data = append(data, msg(bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*7))...)
		if i%5 == 0 {
			data = append(data, ping...)
		}
		if i%7 == 0 {
			data = append(data, pong...)
		}
	}
	data = append(data, msg(bytes.Repeat([]byte("B"), 3000))...) // bigger than the buffer
	data = append(data, msg([]byte("after the big one"))...)
	// A PING inside a message is swallowed there, as without lending.
	data = append(data, frame(true, false, []byte("p0002"))...)
	data = append(data, ping...)
	data = append(data, frame(false, false, []byte("last"))...)
	data = append(data, pong...) // a command with nothing after it is received alone
	for _, c := range []struct{ chunk, buf int }{{1, 64}, {7, 64}, {100, 256}, {4096, 512}, {1 << 20, 1 << 16}} {
		if n := checkLending(t, data, c.chunk, c.buf); n != 43 {
			t.Fatalf("reads of %d into %d-byte buffers: %d messages, want 43", c.chunk, c.buf, n)
		}
	}

	// Without LendReads, RecvLent is refused rather than copying quietly.
	if _, _, err := peerOver(data).RecvLent(nil); !errors.Is(err, errNotLending) {
		t.Fatalf("RecvLent without LendReads: %v", err)
	}
}

// FuzzRecvLent: whatever the peer sends and however the socket splits
// it, receiving with lent frames does not panic and agrees with receiving
// into fresh memory (checkLending's properties).
func FuzzRecvLent(f *testing.F) {
	f.Add(append(frame(true, false, []byte("p0001")), frame(false, false, []byte("body"))...), uint8(3), uint8(0))
	f.Add(append(frame(false, true, []byte("\x04PING\x00\x00")), frame(false, false, bytes.Repeat([]byte("x"), 300))...), uint8(1), uint8(1))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 1, 0}, uint8(9), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk, buf uint8) {
		checkLending(t, data, 1+int(chunk), 16+int(buf))
	})
}
