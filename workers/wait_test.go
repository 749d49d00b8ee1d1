package workers

import (
	"context"
	"errors"
	"testing"
	"time"
)

// WaitWorkers returns once enough workers took credit, gives up when its
// context ends (saying how many were ready) and when the dispatcher
// closes.
func TestWaitWorkers(t *testing.T) {
	d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := d.WaitWorkers(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no worker: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.WaitWorkers(ctx, 2) }()
	var runs []chan error
	var stops []context.CancelFunc
	for i := range 2 {
		w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint()}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithCancel(ctx)
		defer wcancel()
		stops = append(stops, wcancel)
		errc := make(chan error, 1)
		go func() { errc <- w.Run(wctx) }()
		runs = append(runs, errc)
		if i == 0 {
			waitCredit(t, d, 1)
			select {
			case err := <-done:
				t.Fatalf("returned with one of two workers ready: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatalf("two workers took credit and WaitWorkers did not return: %+v", d.Stats())
	}

	go func() { done <- d.WaitWorkers(ctx, 3) }()
	time.Sleep(20 * time.Millisecond)
	d.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("returned nil after Close with 2 of 3 workers")
		}
	case <-ctx.Done():
		t.Fatal("WaitWorkers outlived Close")
	}
	for _, stop := range stops {
		stop()
	}
	for _, errc := range runs {
		select {
		case <-errc:
		case <-ctx.Done():
			t.Fatal("a worker did not end")
		}
	}
}
