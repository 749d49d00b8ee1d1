package zmqx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

func TestParseEndpoint(t *testing.T) {
	f := func(in string, want Endpoint, wantErr bool) {
		t.Helper()
		got, err := ParseEndpoint(in)
		if (err != nil) != wantErr {
			t.Fatalf("ParseEndpoint(%q) error %v, want error %v", in, err, wantErr)
		}
		if wantErr {
			if err != nil && !bytes.Contains([]byte(err.Error()), []byte(in)) {
				t.Fatalf("error %q does not name the endpoint %q", err, in)
			}
			return
		}
		want.Raw = in
		if got != want {
			t.Fatalf("ParseEndpoint(%q) = %+v, want %+v", in, got, want)
		}
	}
	f("tcp://127.0.0.1:7001", Endpoint{Network: "tcp", Addr: "127.0.0.1:7001"}, false)
	f("tcp://*:7001", Endpoint{Network: "tcp", Addr: ":7001"}, false)
	f("tcp://eth1;10.0.0.2:7001", Endpoint{Network: "tcp", Addr: "10.0.0.2:7001", Device: "eth1"}, false)
	f("tcp://192.168.1.1;10.0.0.2:7001", Endpoint{Network: "tcp", Addr: "10.0.0.2:7001", Source: "192.168.1.1"}, false)
	f("tcp://[::1]:7001", Endpoint{Network: "tcp", Addr: "[::1]:7001"}, false)
	f("ipc:///tmp/bbox.sock", Endpoint{Network: "unix", Addr: "/tmp/bbox.sock"}, false)
	f("udp://1.2.3.4:5", Endpoint{}, true)
	f("127.0.0.1:7001", Endpoint{}, true)
	f("tcp://127.0.0.1", Endpoint{}, true)
	f("tcp://;1.2.3.4:5", Endpoint{}, true)
}

// pipePeer runs a server-side handshake over one end of a pipe and
// returns the other end for the test to speak raw bytes on.
func pipePeer(t *testing.T, o Options) (raw net.Conn, res chan error) {
	t.Helper()
	a, b := net.Pipe()
	res = make(chan error, 1)
	go func() {
		p, err := handshake(a, zmq4.Pub, true, &o)
		if err == nil {
			_, err = p.RecvMsg()
		}
		res <- err
	}()
	t.Cleanup(func() { a.Close(); b.Close() })
	return b, res
}

func greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xFF, 0x7F, 3
	copy(g[12:], "NULL")
	return g
}

// readyCmd is a NULL-mechanism READY command announcing a SUB socket.
func readyCmd() []byte {
	body := []byte{5}
	body = append(body, "READY"...)
	body = append(body, 11)
	body = append(body, "Socket-Type"...)
	body = binary.BigEndian.AppendUint32(body, 3)
	body = append(body, "SUB"...)
	return append([]byte{0x04, byte(len(body))}, body...)
}

// drain discards what the server writes so the pipe never blocks it.
func drain(c net.Conn) { go io.Copy(io.Discard, c) }

func TestGuardRefusesGarbage(t *testing.T) {
	var st Counters
	raw, res := pipePeer(t, Options{Stats: &st, HandshakeTimeout: 5 * time.Second})
	drain(raw)
	raw.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	if err := <-res; !errors.Is(err, ErrNotZMTP) {
		t.Fatalf("err %v, want ErrNotZMTP", err)
	}
	if st.NotZMTP.Load() != 1 {
		t.Fatalf("NotZMTP = %d", st.NotZMTP.Load())
	}
}

func TestGuardRefusesHugeFrame(t *testing.T) {
	for _, afterHandshake := range []bool{false, true} {
		var st Counters
		raw, res := pipePeer(t, Options{Stats: &st, MaxFrame: 1 << 20})
		drain(raw)
		raw.Write(greeting())
		if afterHandshake {
			raw.Write(readyCmd())
		}
		hdr := make([]byte, 9)
		hdr[0] = 0x02 // long message frame
		binary.BigEndian.PutUint64(hdr[1:], 1<<40)
		raw.Write(hdr)
		if err := <-res; !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("after handshake %v: err %v, want ErrFrameTooLarge", afterHandshake, err)
		}
		if st.Oversize.Load() != 1 || st.LastOversize.Load() != 1<<40 {
			t.Fatalf("oversize counters %d, %d", st.Oversize.Load(), st.LastOversize.Load())
		}
	}
}

func TestGuardSwallowsPing(t *testing.T) {
	raw, res := pipePeer(t, Options{})
	drain(raw)
	raw.Write(greeting())
	raw.Write(readyCmd())
	ping := append([]byte{0x04, 7, 4}, "PING"...)
	ping = append(ping, 0, 10)
	raw.Write(ping)
	raw.Write(append([]byte{0x00, 3, 1}, "p0"...)) // a subscription message
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("RecvMsg after a PING: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RecvMsg did not return the message after the PING")
	}
}

func TestListenDialRoundTrip(t *testing.T) {
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := Listen(ep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go ln.Serve(zmq4.Pull, func(p *Peer) {
		m, err := p.RecvMsg()
		if err == nil {
			got <- m.Frames[0]
		}
		p.Close()
	})
	dep, _ := ParseEndpoint(ln.Endpoint())
	p, err := Dial(context.Background(), dep, zmq4.Push, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Coalesce()
	big := bytes.Repeat([]byte("x"), 100000)
	if err := p.Send(big); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, big) {
			t.Fatalf("got %d bytes, want %d", len(b), len(big))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("message not received")
	}
}

// FuzzGuard feeds arbitrary bytes to a listening side's guard and zmq4's
// ZMTP code. Property: no panic, and the connection either completes a
// message or fails with an error — never an allocation past MaxFrame.
func FuzzGuard(f *testing.F) {
	f.Add(append(greeting(), readyCmd()...))
	f.Add([]byte("garbage"))
	f.Add(append(greeting(), 0x02, 0, 0, 1, 0, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		o := Options{MaxFrame: 64 << 10, HandshakeTimeout: time.Second}
		done := make(chan struct{})
		go func() {
			defer close(done)
			p, err := handshake(a, zmq4.Pub, true, &o)
			if err == nil {
				p.SetReadDeadline(time.Now().Add(time.Second))
				p.RecvMsg()
			}
		}()
		go io.Copy(io.Discard, b)
		b.Write(in)
		b.Close()
		<-done
	})
}

// TestHandshakeUnknownSocketType: zmq4 panics on a READY naming a socket
// type it does not know; bbox must refuse that peer and carry on.
func TestHandshakeUnknownSocketType(t *testing.T) {
	raw, res := pipePeer(t, Options{})
	drain(raw)
	raw.Write(greeting())
	body := []byte{5}
	body = append(body, "READY"...)
	body = append(body, 11)
	body = append(body, "Socket-Type"...)
	body = binary.BigEndian.AppendUint32(body, 5)
	body = append(body, "BOGUS"...)
	raw.Write(append([]byte{0x04, byte(len(body))}, body...))
	if err := <-res; !errors.Is(err, ErrPeerPanic) {
		t.Fatalf("err %v, want ErrPeerPanic", err)
	}
}
