package zmqx

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// TestListenerCloseCutsHandshakes: Close ends a handshake that a silent
// peer holds open, so Serve returns without waiting out the (here one
// hour) handshake timeout, and the cut is neither counted nor logged as
// the peer's failure.
func TestListenerCloseCutsHandshakes(t *testing.T) {
	var st Counters
	var logged []string
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := Listen(ep, Options{Stats: &st, HandshakeTimeout: time.Hour,
		Logf: func(f string, a ...any) { logged = append(logged, f) }})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		ln.Serve(zmq4.Pub, func(p *Peer) { t.Error("a silent peer completed a handshake"); p.Close() })
	}()
	c, err := net.Dial("tcp", strings.TrimPrefix(ln.Endpoint(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The handshake has begun once the listener's greeting arrives.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Fatalf("no greeting from the listener: %v", err)
	}
	ln.Close()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close with a handshake under way")
	}
	if st.Handshake.Load() != 0 || len(logged) != 0 {
		t.Fatalf("the cut handshake was counted (%d) or logged (%q)", st.Handshake.Load(), logged)
	}
}

// TestOptionsValidate: zero Options are the defaults; a negative bound is
// refused, by Validate and by Listen before it binds.
func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
	for _, o := range []Options{{MaxFrame: -1}, {ReadBuf: -1}, {RcvBuf: -1}, {SndBuf: -1}, {HandshakeTimeout: -1}, {DialTimeout: -1}} {
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Fatalf("%+v: %v, want it refused", o, err)
		}
		if ln, lerr := Listen(ep, o); lerr == nil || !strings.Contains(lerr.Error(), err.Error()) {
			if ln != nil {
				ln.Close()
			}
			t.Fatalf("%+v: Listen says %v, want %v", o, lerr, err)
		}
	}
}
