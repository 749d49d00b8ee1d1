package workers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// RunSummary turns a croak into a summary that says so, counts what the
// worker handled and names its busiest symbols.
func TestRunSummaryCroak(t *testing.T) {
	d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := NewSymbolStats()
	w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint()}}, h)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   WorkerSummary
		err error
	}
	done := make(chan result, 1)
	go func() { s, err := w.RunSummary(ctx, h); done <- result{s, err} }()
	waitCredit(t, d, 1)
	for _, b := range batches(10, 10) {
		d.Deliver(0, b)
	}
	d.AbortWith("CROAK: shard 0 is 9ms late")
	d.Close()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the worker did not stop after the abort")
	}
	s := r.s
	if r.err != nil || !s.Croaked || !strings.HasSuffix(s.CroakReason, "croaked: CROAK: shard 0 is 9ms late") || s.Command != "worker" {
		t.Fatalf("summary %+v, %v", s, r.err)
	}
	// The dispatcher counts what was unacknowledged at the abort as lost,
	// and the worker may have handled some of it first (acks in flight):
	// the worker's summary agrees with itself and never exceeds what was
	// sent.
	if s.Records+s.Discarded > 100 || len(s.Workers) != 1 || s.Workers[0].Handled != s.Records || (s.Records > 0 && len(s.TopSymbols) == 0) {
		t.Fatalf("summary counts %+v, dispatcher %+v", s, d.Stats())
	}
	var out strings.Builder
	s.WriteText(&out)
	if !strings.Contains(out.String(), "\nCROAKED: subscriber at ") {
		t.Errorf("text:\n%s", out.String())
	}
}

func TestWorkerSummaryText(t *testing.T) {
	var out strings.Builder
	s := WorkerSummary{Records: 1, Batches: 2, Malformed: 1, Discarded: 1234, Seconds: 1.25}
	s.WriteText(&out)
	want := "worker: 1 record in 2 batches over 1.2s, 1 malformed frame dropped, 1,234 records discarded (their subscriber dropped the connection or croaked)\n"
	if out.String() != want {
		t.Errorf("text %q, want %q", out.String(), want)
	}
}

// TestWorkerGivesUpOnAGoneSubscriber: with ExitOnEOS, a subscriber that
// hangs up without end-of-stream and stays away ends the worker's wait
// after EOSWait, beside one that ends properly; the summary says so.
func TestWorkerGivesUpOnAGoneSubscriber(t *testing.T) {
	d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go ln.Serve(zmq4.Push, func(p *zmqx.Peer) { ln.Close(); p.Close(); close(served) }) // a killed subscriber: one connection, then nothing
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint(), ln.Endpoint()}, ExitOnEOS: true,
		EOSWait: 200 * time.Millisecond, Retry: 10 * time.Millisecond, Logf: t.Logf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan WorkerSummary, 1)
	go func() { s, _ := w.RunSummary(ctx, nil); done <- s }()
	waitCredit(t, d, 1)
	for _, b := range batches(2, 10) {
		d.Deliver(0, b)
	}
	<-served
	d.Close() // sends end-of-stream
	s := <-done
	if ctx.Err() != nil || s.EOS != 1 || s.Gone != 1 || s.Records != 20 {
		t.Fatalf("summary %+v (context %v): want 20 records, 1 end-of-stream, 1 subscriber gone, before the deadline", s, ctx.Err())
	}
	var out strings.Builder
	s.WriteText(&out)
	if !strings.Contains(out.String(), "\n  1 subscriber gone: hung up without an end-of-stream") {
		t.Errorf("text:\n%s", out.String())
	}
}
