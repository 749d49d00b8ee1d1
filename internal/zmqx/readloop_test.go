package zmqx

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// bytesConn is a net.Conn that reads from a fixed buffer, then io.EOF.
type bytesConn struct {
	r *bytes.Reader
	net.Conn
}

func (c *bytesConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *bytesConn) Close() error                       { return nil }
func (c *bytesConn) SetReadDeadline(time.Time) error    { return nil }
func (c *bytesConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *bytesConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *bytesConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *bytesConn) SetDeadline(time.Time) error        { return nil }
func (c *bytesConn) SetWriteDeadline(t time.Time) error { return nil }

// peerOver is a Peer past its handshake whose read-ahead buffer holds data.
func peerOver(data []byte) *Peer {
	g := newGuard(&bytesConn{r: bytes.NewReader(data)}, &Options{})
	g.greetLeft = 0
	g.handshook.Store(true)
	g.br.Peek(min(len(data), len(g.br.b))) // fill the read-ahead buffer
	return &Peer{g: g}
}

func frame(more, cmd bool, body []byte) []byte {
	var flags byte
	if more {
		flags |= 1
	}
	if cmd {
		flags |= 4
	}
	if len(body) > 255 {
		b := []byte{flags | 2, 0, 0, 0, 0, 0, 0, 0, 0}
		for i, n := 8, len(body); i > 0; i, n = i-1, n>>8 {
			b[i] = byte(n)
		}
		return append(b, body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func TestMessageBuffered(t *testing.T) {
	pong := frame(false, true, []byte("\x04PONG"))
	msg := append(frame(true, false, []byte("p0000")), frame(false, false, bytes.Repeat([]byte("x"), 300))...)
	f := func(data []byte, wantSize int, wantOK bool) {
		t.Helper()
		size, ok := peerOver(data).MessageBuffered()
		if size != wantSize || ok != wantOK {
			t.Fatalf("MessageBuffered = %d, %v; want %d, %v", size, ok, wantSize, wantOK)
		}
	}
	f(nil, 0, false)
	f(msg, 305, true)
	f(append(pong, msg...), 305, true)            // a command before it is skipped
	f(msg[:len(msg)-1], 0, false)                 // one byte short
	f(frame(true, false, []byte("p0")), 0, false) // MORE and nothing after
	f(pong, 0, false)                             // only a command

	// More headers than the look-ahead keeps: the rest are parsed as usual.
	pongs := bytes.Repeat(pong, 5)
	if size, ok := peerOver(append(pongs, msg...)).MessageBuffered(); !ok || size != 305 {
		t.Fatalf("behind five commands: MessageBuffered = %d, %v", size, ok)
	}
	lp := peerOver(append(append(pongs, msg...), msg...))
	lp.MessageBuffered()
	for i := 0; i < 7; i++ {
		fr, cmd, err := lp.RecvMessage(nil, func(i, n int) []byte { return make([]byte, n) })
		if wantCmd := i < 5; err != nil || cmd != wantCmd || (!cmd && (len(fr) != 2 || string(fr[0]) != "p0000" || len(fr[1]) != 300)) {
			t.Fatalf("read %d after the look-ahead: %d frames, command %v, %v", i, len(fr), cmd, err)
		}
	}
	// A PING the look-ahead passed over is still swallowed, and counted.
	ping := frame(false, true, []byte("\x04PING\x00\x00"))
	pp := peerOver(append(ping, msg...))
	if size, ok := pp.MessageBuffered(); !ok || size != 305 {
		t.Fatalf("behind a PING: MessageBuffered = %d, %v", size, ok)
	}
	if fr, cmd, err := pp.RecvMessage(nil, func(i, n int) []byte { return make([]byte, n) }); err != nil || cmd || len(fr) != 2 || pp.g.pingsOwed() != 1 {
		t.Fatalf("behind a PING: %d frames, command %v, %v, %d PONGs owed", len(fr), cmd, err, pp.g.pingsOwed())
	}

	// RecvMessage returns the command, then the message, whole.
	p := peerOver(append(pong, msg...))
	alloc := func(i, n int) []byte { return make([]byte, n) }
	if fr, cmd, err := p.RecvMessage(nil, alloc); err != nil || !cmd || len(fr) != 0 {
		t.Fatalf("first: %q %v %v, want the PONG as a command", fr, cmd, err)
	}
	if fr, cmd, err := p.RecvMessage(nil, alloc); err != nil || cmd || len(fr) != 2 || string(fr[0]) != "p0000" || len(fr[1]) != 300 {
		t.Fatalf("second: %d frames %v %v", len(fr), cmd, err)
	}
}

// FuzzMessageBuffered: whatever sits in the buffer, MessageBuffered does
// not panic, and when it says a whole message is there, RecvMessage gets
// it (after any commands before it) without reading past the buffer, and
// gets what a Peer that did not look ahead gets (the headers the look
// kept are the ones the guard would have parsed).
func FuzzMessageBuffered(f *testing.F) {
	f.Add(append(frame(true, false, []byte("p0001")), frame(false, false, []byte("body"))...))
	f.Add(append(frame(false, true, []byte("\x04PING\x00\x00")), frame(false, false, []byte("x"))...))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := peerOver(data)
		size, ok := p.MessageBuffered()
		if !ok {
			return
		}
		alloc := func(i, n int) []byte { return make([]byte, n) }
		plain := peerOver(data)
		for range len(data) + 1 {
			fr, cmd, err := p.RecvMessage(nil, alloc)
			pfr, pcmd, perr := plain.RecvMessage(nil, alloc)
			if cmd != pcmd || (err == nil) != (perr == nil) || len(fr) != len(pfr) {
				t.Fatalf("after the look-ahead: %q %v %v; without: %q %v %v", fr, cmd, err, pfr, pcmd, perr)
			}
			for i := range fr {
				if !bytes.Equal(fr[i], pfr[i]) {
					t.Fatalf("frame %d after the look-ahead %q, without %q", i, fr[i], pfr[i])
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("MessageBuffered said %d bytes are buffered, RecvMessage read past the buffer: %v", size, err)
				}
				return // the guard refused a frame: a closed connection, not a hang
			}
			if cmd {
				continue
			}
			n := 0
			for _, b := range fr {
				n += len(b)
			}
			if n != size {
				t.Fatalf("MessageBuffered said %d bytes, RecvMessage got %d", size, n)
			}
			return
		}
		t.Fatal("no data message after all")
	})
}
