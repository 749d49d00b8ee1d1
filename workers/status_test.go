package workers

import (
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	got := Status(12400*time.Millisecond, 125000, WorkerProcStats{Records: 1234567, Batches: 10})
	if want := "[12s] 125.0k rec/s, 1,234,567 handled"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A worker's status line is Status of its counters, its rate asked of
// the records handled.
func TestWorkerStatusLine(t *testing.T) {
	w, err := NewWorker(WorkerConfig{Connect: []string{"tcp://127.0.0.1:1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var asked int64 = -1
	got := w.StatusLine(3*time.Second, func(n int64) float64 { asked = n; return 2500 })
	if want := Status(3*time.Second, 2500, WorkerProcStats{}); got != want || asked != 0 || want != "[ 3s] 2.5k rec/s, 0 handled" {
		t.Fatalf("got %q (rate asked of %d), want %q", got, asked, want)
	}
}
