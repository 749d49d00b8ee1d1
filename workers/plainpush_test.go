package workers

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

// TestPlainPushGetsOnlyTheOpeningCredit: a PUSH that never announces the
// credit protocol (any libzmq PUSH) gets the worker's opening credit and
// no acknowledgements after it: they would be commands it ignores, and
// one unread when it closes resets the connection under the batches
// still in flight.
func TestPlainPushGetsOnlyTheOpeningCredit(t *testing.T) {
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan *zmqx.Peer, 1)
	go ln.Serve(zmq4.Push, func(p *zmqx.Peer) { peers <- p })
	var handled atomic.Int64
	w, err := NewWorker(WorkerConfig{Connect: []string{ln.Endpoint()}, ExitOnEOS: true},
		HandlerFunc(func(recs []feed.Record) { handled.Add(int64(len(recs))) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var p *zmqx.Peer
	select {
	case p = <-peers:
	case <-ctx.Done():
		t.Fatal("the worker did not connect")
	}
	var credits atomic.Int64
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			m, err := p.Recv(nil, func(_, n int) []byte { return make([]byte, n) })
			if err != nil {
				return
			}
			if m.IsCommand() && m.Cmd == cmdCredit {
				credits.Add(1)
			}
		}
	}()
	hdr := feed.Header{Shards: 1, Partitions: 1, Publisher: 9, Epoch: 1}
	seq := uint64(1)
	for _, b := range batches(50, 10) {
		var enc feed.Encoder
		hdr.FirstSeq = seq
		enc.Reset(nil, hdr)
		for i := range b.Recs {
			b.Recs[i].Seq = seq
			seq++
			enc.Append(&b.Recs[i])
		}
		if err := p.Send(enc.Finish()); err != nil {
			t.Fatal(err)
		}
		feed.PutBatch(b)
	}
	var enc feed.Encoder
	hdr.Flags, hdr.FirstSeq = feed.FlagEOS, seq
	enc.Reset(nil, hdr)
	if err := p.Send(enc.Finish()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-read: // the worker hung up
	case <-ctx.Done():
		p.Close()
		<-read
	}
	if handled.Load() != 500 || credits.Load() != 1 {
		t.Fatalf("handled %d of 500; the PUSH got %d credit commands, want the opening one only", handled.Load(), credits.Load())
	}
}
