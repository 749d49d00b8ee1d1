package workers

import (
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// Status is a worker process's status line (bbox worker) at elapsed:
// its rate (records per second lately, the caller's to measure) and what
// st says it has handled.
func Status(elapsed time.Duration, rate float64, st WorkerProcStats) string {
	return fmt.Sprintf("[%2.0fs] %s rec/s, %s handled", elapsed.Seconds(), words.RateFixed(rate), words.Group(st.Records))
}

// StatusLine is Status of w's counters now (bbox worker's status line);
// rate turns the records handled so far into records per second lately.
func (w *Worker) StatusLine(elapsed time.Duration, rate func(n int64) float64) string {
	st := w.Stats()
	return Status(elapsed, rate(st.Records), st)
}
