package shard

import (
	"context"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// emptyStore answers every request "unknown stream".
type emptyStore struct{}

func (emptyStore) Answer(*RecoveryRequest, int, func(*zmqx.Frame) bool) RecoveryReply {
	return RecoveryReply{Status: RecUnknownStream}
}

// lingerDone runs s.linger in the background and reports its return.
func lingerDone(s *recoveryServer, ctx context.Context, quiet time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() { s.linger(ctx, quiet); close(done) }()
	return done
}

// TestRecoveryLingerWhileConnected: after the stream ends a recovery
// endpoint stays while a client is connected, however long it has been
// silent (a loaded subscriber goes quiet between requests for longer than
// any fixed quiet), goes once the client hangs up, and never outstays
// its bound.
func TestRecoveryLingerWhileConnected(t *testing.T) {
	srv, err := NewRecoveryServer("tcp://127.0.0.1:0", zmqx.Options{}, emptyStore{}, RecoveryLimits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := srv.s
	const quiet = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wait := func(done <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("linger did not return %s", what)
		}
	}
	// Nobody connected, nothing asked: nothing to wait for.
	wait(lingerDone(s, ctx, quiet), "with no client")

	ep, _ := zmqx.ParseEndpoint(srv.Endpoint())
	p, err := zmqx.Dial(ctx, ep, zmq4.Dealer, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Send(AppendRecoveryRequest(nil, &RecoveryRequest{ID: 1, Publisher: 1, Epoch: 1, From: 1, Count: 10})); err != nil {
		t.Fatal(err)
	}
	p.SetReadDeadline(time.Now().Add(20 * time.Second))
	msg, err := p.RecvMsg()
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := ParseRecoveryReply(msg.Frames[0]); err != nil || rep.Type != RepEnd || rep.Status != RecUnknownStream {
		t.Fatalf("reply %+v, %v: want END unknown stream", rep, err)
	}

	// Connected and silent for many times quiet: still lingering.
	done := lingerDone(s, ctx, quiet)
	select {
	case <-done:
		t.Fatalf("linger returned while a client was connected (silent past quiet)")
	case <-time.After(20 * quiet):
	}
	// The client hangs up: linger ends.
	p.Close()
	wait(done, "after the client hung up")

	// A connected client holds it only up to the bound.
	p2, err := zmqx.Dial(ctx, ep, zmq4.Dealer, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	for s.peers.Load() == 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	bctx, bcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer bcancel()
	wait(lingerDone(s, bctx, quiet), "at its bound")
}
