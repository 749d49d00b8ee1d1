package bench

import (
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/feed"
)

// Histogram range: 1 ns to 10 min at 3 significant digits (0.1% error);
// larger values are clamped to the top and counted in Clamped.
const (
	minValue = 1
	maxValue = int64(600e9)
	sigFigs  = 3
)

// NewHistogram returns an empty histogram with bbox's range (values in ns).
func NewHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(minValue, maxValue, sigFigs) }

// Stamp chooses which record timestamp latency is measured from.
type Stamp int

const (
	// FromSend measures from SendTS, when the publisher stamped the record.
	FromSend Stamp = iota
	// FromSource measures from SourceTS; for paced load that is the
	// scheduled send time, so a stalled sender cannot hide latency
	// (coordinated omission).
	FromSource
)

// String names the stamp the way reports do.
func (s Stamp) String() string {
	if s == FromSource {
		return "schedule"
	}
	return "send"
}

// slot is one receiving thread's histogram. The thread records into
// active under mu; the reader swaps active for an empty spare under mu
// (O(1)) and merges the full one afterwards, so a merge never holds up the
// receiving thread.
type slot struct {
	mu      sync.Mutex
	active  *hdrhistogram.Histogram
	clamped int64
	_       [40]byte // keep neighbouring slots' locks off one cache line
}

// Recorder keeps one histogram per receiving thread.
type Recorder struct {
	from  Stamp
	slots []slot

	rmu     sync.Mutex // serialises readers; guards the fields below
	spares  []*hdrhistogram.Histogram
	total   *hdrhistogram.Histogram // every value swapped out so far
	pending *hdrhistogram.Histogram // swapped out since the last Interval
	handed  *hdrhistogram.Histogram // what the last Interval returned; the next one reuses it
}

// NewRecorder returns a recorder for n threads.
func NewRecorder(n int, from Stamp) *Recorder {
	r := &Recorder{from: from, slots: make([]slot, n), spares: make([]*hdrhistogram.Histogram, n),
		total: NewHistogram(), pending: NewHistogram(), handed: NewHistogram()}
	for i := range r.slots {
		r.slots[i].active = NewHistogram()
		r.spares[i] = NewHistogram()
	}
	return r
}

// Observe records the latency of recs, received at now (ns), into thread
// i's histogram. It matches shard.SubConfig.Observe.
func (r *Recorder) Observe(i int, now int64, recs []feed.Record) {
	s := &r.slots[i]
	s.mu.Lock()
	if r.from == FromSource {
		for k := range recs {
			s.record(now - recs[k].SourceTS)
		}
	} else {
		for k := range recs {
			s.record(now - recs[k].SendTS)
		}
	}
	s.mu.Unlock()
}

// ObserveValues records latencies in ns into thread i's histogram.
func (r *Recorder) ObserveValues(i int, vs []int64) {
	s := &r.slots[i]
	s.mu.Lock()
	for _, v := range vs {
		s.record(v)
	}
	s.mu.Unlock()
}

// record records v, clamped to the histogram's range. s.mu is held.
func (s *slot) record(v int64) {
	if v < minValue {
		v = minValue // clocks are monotonic per box; a skewed peer can still go below zero
	}
	if v > maxValue {
		v = maxValue
		s.clamped++
	}
	s.active.RecordValue(v)
}

// swap moves every thread's values into total and pending. r.rmu is held.
func (r *Recorder) swap() {
	for i := range r.slots {
		s := &r.slots[i]
		fresh := r.spares[i]
		s.mu.Lock()
		full := s.active
		s.active = fresh
		s.mu.Unlock()
		r.total.Merge(full)
		r.pending.Merge(full)
		full.Reset()
		r.spares[i] = full
	}
}

// Merged returns a new histogram with every thread's values so far.
func (r *Recorder) Merged() *hdrhistogram.Histogram {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.swap()
	h := NewHistogram()
	h.Merge(r.total)
	return h
}

// Interval returns the values recorded since the previous call, merged,
// and starts a new interval. The histogram is valid until the next call:
// that call reuses it (a histogram is ~250 KB, and intervals come every
// second for as long as a run lasts), so one goroutine takes intervals.
func (r *Recorder) Interval() *hdrhistogram.Histogram {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.swap()
	h := r.pending
	r.handed.Reset()
	r.pending, r.handed = r.handed, h
	return h
}

// Clamped is the number of values above the histogram's range.
func (r *Recorder) Clamped() int64 {
	var n int64
	for i := range r.slots {
		s := &r.slots[i]
		s.mu.Lock()
		n += s.clamped
		s.mu.Unlock()
	}
	return n
}

// Percentiles is the latency block of the JSON summary, in microseconds.
type Percentiles struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	P9999 float64 `json:"p9999"`
	Max   float64 `json:"max"`
}

// Summarize reads the summary percentiles of h (ns) in microseconds.
func Summarize(h *hdrhistogram.Histogram) Percentiles {
	us := func(v int64) float64 { return float64(v) / 1e3 }
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)), P99: us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)), P9999: us(h.ValueAtQuantile(99.99)), Max: us(h.Max()),
	}
}
