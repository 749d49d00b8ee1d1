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

type slot struct {
	mu       sync.Mutex
	total    *hdrhistogram.Histogram
	interval *hdrhistogram.Histogram
	clamped  int64
}

// Recorder keeps one histogram per receiving thread.
type Recorder struct {
	from  Stamp
	slots []slot
}

// NewRecorder returns a recorder for n threads.
func NewRecorder(n int, from Stamp) *Recorder {
	r := &Recorder{from: from, slots: make([]slot, n)}
	for i := range r.slots {
		r.slots[i].total = NewHistogram()
		r.slots[i].interval = NewHistogram()
	}
	return r
}

// Observe records the latency of recs, received at now (ns), into thread
// i's histograms. It matches shard.SubConfig.Observe.
func (r *Recorder) Observe(i int, now int64, recs []feed.Record) {
	s := &r.slots[i]
	s.mu.Lock()
	for k := range recs {
		ts := recs[k].SendTS
		if r.from == FromSource {
			ts = recs[k].SourceTS
		}
		v := now - ts
		if v < minValue {
			v = minValue // clocks are monotonic per box; a skewed peer can still go below zero
		}
		if v > maxValue {
			v = maxValue
			s.clamped++
		}
		s.total.RecordValue(v)
		s.interval.RecordValue(v)
	}
	s.mu.Unlock()
}

// Merged returns a new histogram with every thread's values so far.
func (r *Recorder) Merged() *hdrhistogram.Histogram {
	h := NewHistogram()
	for i := range r.slots {
		s := &r.slots[i]
		s.mu.Lock()
		h.Merge(s.total)
		s.mu.Unlock()
	}
	return h
}

// Interval returns the values recorded since the previous call, merged,
// and starts a new interval.
func (r *Recorder) Interval() *hdrhistogram.Histogram {
	h := NewHistogram()
	for i := range r.slots {
		s := &r.slots[i]
		s.mu.Lock()
		h.Merge(s.interval)
		s.interval.Reset()
		s.mu.Unlock()
	}
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
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Summarize reads the summary percentiles of h (ns) in microseconds.
func Summarize(h *hdrhistogram.Histogram) Percentiles {
	us := func(v int64) float64 { return float64(v) / 1e3 }
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)), P99: us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max()),
	}
}
