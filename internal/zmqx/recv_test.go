package zmqx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

func TestRecv(t *testing.T) {
	credit := frame(false, true, append([]byte{6}, "CREDIT\x00\x08"...))
	msg := append(frame(true, false, []byte("p0000")), frame(false, false, bytes.Repeat([]byte("x"), 300))...)
	var st Counters
	g := newGuard(&bytesConn{r: bytes.NewReader(append(credit, msg...))}, &Options{Stats: &st})
	g.greetLeft = 0
	g.handshook.Store(true)
	p := &Peer{g: g}
	m, err := p.RecvMsg()
	if err != nil || !m.IsCommand() || m.Cmd != "CREDIT" || string(m.Body) != "\x00\x08" || len(m.Frames) != 0 {
		t.Fatalf("command: %+v, %v; want CREDIT with its data", m, err)
	}
	var sizes []int
	m, err = p.Recv(nil, func(i, n int) []byte { sizes = append(sizes, n); return make([]byte, n) })
	if err != nil || m.IsCommand() || len(m.Frames) != 2 || string(m.Frames[0]) != "p0000" || len(m.Frames[1]) != 300 {
		t.Fatalf("message: %d frames, %v", len(m.Frames), err)
	}
	if len(sizes) != 2 || sizes[0] != 5 || sizes[1] != 300 {
		t.Fatalf("alloc asked for %v, want [5 300]", sizes)
	}
	if _, err := p.RecvMsg(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the data: %v, want EOF", err)
	}
	if st.BadFrames.Load() != 0 {
		t.Fatalf("BadFrames = %d on good input", st.BadFrames.Load())
	}
}

// TestRecvBadCommand: ZMTP 3 commands are single frames with a name that
// fits; anything else closes the connection, counted, for Recv and
// RecvMessage alike.
func TestRecvBadCommand(t *testing.T) {
	for name, data := range map[string][]byte{
		"command with MORE":    append(frame(true, true, []byte("\x04PONG")), frame(false, false, []byte("x"))...),
		"command in a message": append(frame(true, false, []byte("p0")), frame(false, true, []byte("\x04PONG"))...),
		"name past the frame":  frame(false, true, []byte("\x09PONG")),
		"empty name":           frame(false, true, []byte("\x00x")),
		"command over 64 KiB":  frame(false, true, append([]byte("\x04HUGE"), make([]byte, maxCommand)...)),
	} {
		for _, keep := range []bool{true, false} {
			var st Counters
			g := newGuard(&bytesConn{r: bytes.NewReader(data)}, &Options{Stats: &st})
			g.greetLeft = 0
			g.handshook.Store(true)
			p := &Peer{g: g}
			var err error
			if keep {
				_, err = p.RecvMsg()
			} else {
				_, _, err = p.RecvMessage(nil, func(i, n int) []byte { return make([]byte, n) })
			}
			// RecvMessage discards command bodies unread: it does not check names or sizes.
			lenient := !keep && (name == "name past the frame" || name == "empty name" || name == "command over 64 KiB")
			if lenient {
				if err != nil {
					t.Errorf("%s: RecvMessage: %v, want the command skipped", name, err)
				}
				continue
			}
			if !errors.Is(err, ErrBadCommand) || st.BadFrames.Load() != 1 {
				t.Errorf("%s (keep %v): err %v, BadFrames %d; want ErrBadCommand, 1", name, keep, err, st.BadFrames.Load())
			}
		}
	}
}

// TestSendRecvRoundTrip: what Send and SendCmd write, plain (one writev
// per message) and coalesced, Recv reads back frame for frame, over a real
// handshake.
func TestSendRecvRoundTrip(t *testing.T) {
	for _, coalesce := range []bool{false, true} {
		ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
		ln, err := Listen(ep, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []Msg, 1)
		go ln.Serve(zmq4.Pull, func(p *Peer) {
			defer p.Close()
			p.SetReadDeadline(time.Now().Add(10 * time.Second))
			var ms []Msg
			for range 3 {
				m, err := p.RecvMsg()
				if err != nil {
					break
				}
				ms = append(ms, m)
			}
			got <- ms
		})
		dep, _ := ParseEndpoint(ln.Endpoint())
		p, err := Dial(context.Background(), dep, zmq4.Push, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if coalesce {
			p.Coalesce()
		}
		big := bytes.Repeat([]byte("y"), 70000)
		if err := p.Send([]byte("a"), nil, big); err != nil {
			t.Fatal(err)
		}
		if err := p.SendCmd("CREDIT", []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		if err := p.Send(bytes.Repeat([]byte("z"), 256)); err != nil {
			t.Fatal(err)
		}
		if err := p.Flush(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		var ms []Msg
		select {
		case ms = <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("nothing received")
		}
		p.Close()
		ln.Close()
		if len(ms) != 3 {
			t.Fatalf("coalesce %v: got %d messages, want 3", coalesce, len(ms))
		}
		if f := ms[0].Frames; len(f) != 3 || string(f[0]) != "a" || len(f[1]) != 0 || !bytes.Equal(f[2], big) {
			t.Fatalf("coalesce %v: first message %d frames", coalesce, len(f))
		}
		if ms[1].Cmd != "CREDIT" || !bytes.Equal(ms[1].Body, []byte{1, 2}) {
			t.Fatalf("coalesce %v: command %+v", coalesce, ms[1])
		}
		if f := ms[2].Frames; len(f) != 1 || len(f[0]) != 256 {
			t.Fatalf("coalesce %v: third message %d frames", coalesce, len(f))
		}
	}
	p := &Peer{g: newGuard(&bytesConn{r: bytes.NewReader(nil)}, &Options{})}
	if p.Send() == nil || p.SendCmd("", nil) == nil || p.SendCmd(string(make([]byte, 256)), nil) == nil {
		t.Fatal("an empty message or a bad command name was sent")
	}
}

// FuzzRecv: whatever a peer sends after the handshake, Recv returns a
// message, a command or an error, never panics, never allocates a frame
// past MaxFrame (nor a command past 64 KiB), and after an error the
// connection is closed.
func FuzzRecv(f *testing.F) {
	f.Add(frame(false, true, append([]byte{6}, "CREDIT\x00\x00\x00\x08"...)))
	f.Add(append(frame(true, false, []byte("p0001")), frame(false, false, make([]byte, 300))...))
	f.Add(append(frame(false, true, []byte("\x04PING\x00\x00")), frame(false, false, []byte("x"))...))
	f.Add([]byte{0x04, 3, 9, 'A', 'B'})
	f.Add([]byte{0x02, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &closeConn{bytesConn: bytesConn{r: bytes.NewReader(data)}}
		g := newGuard(c, &Options{MaxFrame: 1 << 16})
		g.greetLeft = 0
		g.handshook.Store(true)
		p := &Peer{g: g}
		alloc := func(i, n int) []byte {
			if n > 1<<16 {
				t.Fatalf("alloc(%d, %d) past MaxFrame", i, n)
			}
			return make([]byte, n)
		}
		for range len(data) + 1 {
			m, err := p.Recv(nil, alloc)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !c.closed {
					t.Fatalf("refused input (%v) left the connection open", err)
				}
				return
			}
			switch {
			case m.IsCommand() && (len(m.Cmd) > 255 || len(m.Frames) != 0 || len(m.Body) > maxCommand):
				t.Fatalf("command %q with %d frames, %d bytes", m.Cmd, len(m.Frames), len(m.Body))
			case !m.IsCommand() && len(m.Frames) == 0:
				t.Fatal("a message with no frames")
			}
		}
		t.Fatal("more messages than bytes")
	})
}

// closeConn records Close.
type closeConn struct {
	bytesConn
	closed bool
}

func (c *closeConn) Close() error { c.closed = true; return nil }

var _ net.Conn = (*closeConn)(nil)
