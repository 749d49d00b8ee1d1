package workers

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// waitCredit waits until n connections of d take credit.
func waitCredit(t *testing.T, d *PushDispatcher, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		got := 0
		for _, w := range d.Stats() {
			if w.Mode == "credit" {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d workers took credit: %+v", got, n, d.Stats())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestStalledWorkerDropped: a worker whose handler hangs holds at most its
// window; the other worker takes everything else without Deliver waiting
// on the hung one, the hung one is dropped after AckTimeout, and what it
// was written and never acknowledged is Lost, exactly. With Redeliver it
// goes to the other worker instead.
func TestStalledWorkerDropped(t *testing.T) {
	for _, redeliver := range []bool{false, true} {
		d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", AckTimeout: 300 * time.Millisecond,
			Redeliver: redeliver, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		hang := make(chan struct{})
		var once sync.Once
		var taps [2]bytes.Buffer
		var wg sync.WaitGroup
		for i := range taps {
			h := HandlerFunc(func([]feed.Record) {})
			if i == 1 {
				// Handles one batch, then hangs until released.
				n := 0
				h = func([]feed.Record) {
					if n++; n > 1 {
						<-hang
					}
				}
			}
			w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint()}, Credit: 8, Tap: NewTap(&taps[i])}, h)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); w.Run(ctx) }()
			waitCredit(t, d, i+1) // worker i is the dispatcher's worker i
		}
		const nb, per = 400, 10
		for _, b := range batches(nb, per) {
			d.Deliver(0, b)
		}
		d.Close()
		once.Do(func() { close(hang) })
		cancel()
		wg.Wait()

		// The hung worker reconnects after being dropped (its reader is
		// fine) and may be dropped again: every entry but the first is it.
		st := d.Stats()
		if len(st) < 2 {
			t.Fatalf("%d connections: %+v", len(st), st)
		}
		ok, hung := st[0], st[1]
		if hung.State != stateDropped || hung.Records-hung.Handled == 0 {
			t.Fatalf("hung worker: %+v, want dropped holding unacknowledged records", hung)
		}
		if hung.Records > 9*per { // one handled, at most a window of 8 more
			t.Fatalf("hung worker was written %d records, more than its credit allows", hung.Records)
		}
		var handled, unacked int64
		for i, w := range st {
			handled += w.Handled
			if i > 0 {
				unacked += w.Records - w.Handled
			}
		}
		if redeliver {
			if d.Lost() != 0 || d.Redelivered() != unacked || handled != nb*per {
				t.Fatalf("redeliver: lost %d, redelivered %d (want %d), handled %d: %+v", d.Lost(), d.Redelivered(), unacked, handled, st)
			}
		} else if d.Lost() != unacked || handled+d.Lost() != nb*per || d.Redelivered() != 0 {
			t.Fatalf("lost %d (want %d), handled %d + lost != %d: %+v", d.Lost(), unacked, handled, nb*per, st)
		}
		if ok.State != stateFinished || ok.Handled != ok.Records {
			t.Fatalf("running worker: %+v", ok)
		}
	}
}

// TestAbortTellsWorkers: AbortWith ends every worker's Run with an
// *AbortError carrying the reason.
func TestAbortTellsWorkers(t *testing.T) {
	d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	waitCredit(t, d, 1)
	for _, b := range batches(10, 10) {
		d.Deliver(0, b)
	}
	d.AbortWith("CROAK: shard 0 is 9ms late")
	d.Close()
	select {
	case err := <-errc:
		ae, ok := err.(*AbortError)
		if !ok || ae.Reason != "CROAK: shard 0 is 9ms late" {
			t.Fatalf("Run returned %v, want an AbortError with the reason", err)
		}
	case <-ctx.Done():
		t.Fatal("the worker did not stop after the abort")
	}
	if st := d.Stats(); len(st) != 1 || st[0].State != stateAborted || st[0].Handled+st[0].Lost != st[0].Records {
		t.Fatalf("after abort: %+v", st)
	}
	if h := d.Stats()[0].Handled; h+d.Lost() != 100 {
		t.Fatalf("handled %d + lost %d != 100 delivered", h, d.Lost())
	}
}

func FuzzCredit(f *testing.F) {
	f.Add(credit{window: 64, batches: 3, records: 900}.marshal())
	f.Add([]byte{1})
	f.Add(marshalEnd(endAborted, "CROAK"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := parseCredit(b); err == nil {
			if got, err := parseCredit(c.marshal()); err != nil || got != c {
				t.Fatalf("round trip: %+v → %+v, %v", c, got, err)
			}
		}
		if code, reason, err := parseEnd(b); err == nil {
			if c2, r2, err := parseEnd(marshalEnd(code, reason)); err != nil || c2 != code || (len(reason) <= maxReason && r2 != reason) {
				t.Fatalf("end round trip: %d %q → %d %q, %v", code, reason, c2, r2, err)
			}
		}
	})
}
