package replay

import "time"

// StatusLine is RecordStatus of r's counters now (bbox record's status
// line); rate turns the records received so far into records per second
// lately.
func (r *Recording) StatusLine(el time.Duration, rate func(n int64) float64) string {
	ss := r.sub.Stats()
	return RecordStatus(el, rate(ss.Received), ss, r.rec.Stats())
}
