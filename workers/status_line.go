package workers

import "time"

// StatusLine is Status of w's counters now (bbox worker's status line);
// rate turns the records handled so far into records per second lately.
func (w *Worker) StatusLine(elapsed time.Duration, rate func(n int64) float64) string {
	st := w.Stats()
	return Status(elapsed, rate(st.Records), st)
}
