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
