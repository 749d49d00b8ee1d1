package zmqx

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// Source addresses and devices apply on both sides: a listener binds its
// source, a dialer's connection leaves from it, SO_BINDTODEVICE is set on
// both, and a mistake is an error naming the endpoint. (That the traffic
// really uses the named NIC is proven with two network namespaces in
// cmd/bbox/netns_test.go.)
func TestBindSourceAndDevice(t *testing.T) {
	listen := func(raw string) (*Listener, error) {
		ep, err := ParseEndpoint(raw)
		if err != nil {
			t.Fatal(err)
		}
		return Listen(ep, Options{})
	}
	dial := func(raw string) (*Peer, error) {
		ep, err := ParseEndpoint(raw)
		if err != nil {
			t.Fatal(err)
		}
		return Dial(context.Background(), ep, zmq4.Sub, Options{})
	}
	serve := func(l *Listener) chan *Peer {
		got := make(chan *Peer, 1)
		go l.Serve(zmq4.Pub, func(p *Peer) { got <- p })
		t.Cleanup(func() { l.Close() })
		return got
	}

	// Listener: tcp://SRC;*:PORT binds SRC.
	l, err := listen("tcp://127.0.0.1;*:0")
	if err != nil {
		t.Fatal(err)
	}
	if ip := l.Addr().(*net.TCPAddr).IP; !ip.Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("tcp://127.0.0.1;*:0 bound %v, want 127.0.0.1", ip)
	}
	got := serve(l)
	// Dialer: the connection leaves from the source address (any 127/8
	// address is local, so 127.0.0.2 differs from the default 127.0.0.1).
	p, err := dial("tcp://127.0.0.2;" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := <-got
	defer srv.Close()
	if !strings.HasPrefix(srv.Remote, "127.0.0.2:") || !strings.HasPrefix(p.Local, "127.0.0.2:") {
		t.Errorf("dialed from source 127.0.0.2: listener saw %s, dialer local %s", srv.Remote, p.Local)
	}

	if _, err := listen("tcp://127.0.0.1;127.0.0.2:0"); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("bind with a contradicting source: %v", err)
	}

	// Devices, on both sides (SO_BINDTODEVICE needs CAP_NET_RAW).
	l2, err := listen("tcp://lo;127.0.0.1:0")
	if errors.Is(err, syscall.EPERM) {
		t.Skip("SO_BINDTODEVICE needs CAP_NET_RAW")
	}
	if err != nil {
		t.Fatal(err)
	}
	got2 := serve(l2)
	p2, err := dial("tcp://lo;" + l2.Addr().String())
	if err != nil {
		t.Fatalf("dial bound to lo: %v", err)
	}
	p2.Close()
	(<-got2).Close()
	if _, err := dial("tcp://nosuchnic0;" + l2.Addr().String()); err == nil || !strings.Contains(err.Error(), `bind to device "nosuchnic0"`) {
		t.Errorf("dial bound to a missing device: %v, want an error naming it", err)
	}
	if _, err := listen("tcp://nosuchnic0;127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "nosuchnic0") {
		t.Errorf("bind to a missing device: %v, want an error naming it", err)
	}
}
