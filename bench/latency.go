package bench

import (
	"sync"
	"sync/atomic"
	"time"

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
	warm    *hdrhistogram.Histogram // values of the warm-up, when there is one
	clamped int64
	_       [32]byte // keep neighbouring slots' locks off one cache line
}

// Recorder keeps one histogram per receiving thread.
type Recorder struct {
	from    Stamp
	created time.Time
	slots   []slot
	// warmup is the length of the warm-up (0: none); until is the stamp
	// (ns) before which a frame belongs to it, set from the first frame.
	warmup int64
	until  atomic.Int64

	rmu     sync.Mutex // serialises readers; guards the fields below
	spares  []*hdrhistogram.Histogram
	wspares []*hdrhistogram.Histogram
	total   *hdrhistogram.Histogram // every value after the warm-up swapped out so far
	wtotal  *hdrhistogram.Histogram // every value of the warm-up swapped out so far
	pending *hdrhistogram.Histogram // swapped out since the last Interval
	handed  *hdrhistogram.Histogram // what the last Interval returned; the next one reuses it
}

// NewRecorder returns a recorder for n threads.
func NewRecorder(n int, from Stamp) *Recorder {
	r := &Recorder{from: from, created: time.Now(), slots: make([]slot, n), spares: make([]*hdrhistogram.Histogram, n), wspares: make([]*hdrhistogram.Histogram, n),
		total: NewHistogram(), wtotal: NewHistogram(), pending: NewHistogram(), handed: NewHistogram()}
	for i := range r.slots {
		r.slots[i].active = NewHistogram()
		r.slots[i].warm = NewHistogram()
		r.spares[i] = NewHistogram()
		r.wspares[i] = NewHistogram()
	}
	return r
}

// SetWarmup splits off a warm-up of length d: every frame whose first
// record's stamp (the one latency is measured from) is earlier than the
// first frame's plus d is recorded apart, in MergedWarmup, and left out
// of Merged; intervals include both. Call it before the first Observe.
func (r *Recorder) SetWarmup(d time.Duration) { r.warmup = int64(d) }

// SetWarmupUntil fixes the warm-up's end as an absolute stamp (ns since
// the epoch) instead of from the first frame: a run that knows when its
// schedule started uses it, so a slow first frame cannot shift it.
func (r *Recorder) SetWarmupUntil(until int64) {
	if r.warmup == 0 {
		r.warmup = 1
	}
	r.until.Store(until)
}

// target is the histogram a frame stamped stamp goes into. s.mu is held.
func (r *Recorder) target(s *slot, stamp int64) *hdrhistogram.Histogram {
	if r.warmup == 0 {
		return s.active
	}
	until := r.until.Load()
	if until == 0 {
		r.until.CompareAndSwap(0, stamp+r.warmup)
		until = r.until.Load()
	}
	if stamp < until {
		return s.warm
	}
	return s.active
}

// Observe records the latency of recs, received at now (ns), into thread
// i's histogram. It matches shard.SubConfig.Observe.
func (r *Recorder) Observe(i int, now int64, recs []feed.Record) {
	if len(recs) == 0 {
		return
	}
	s := &r.slots[i]
	s.mu.Lock()
	if r.from == FromSource {
		h := r.target(s, recs[0].SourceTS)
		for k := range recs {
			s.record(h, now-recs[k].SourceTS)
		}
	} else {
		h := r.target(s, recs[0].SendTS)
		for k := range recs {
			s.record(h, now-recs[k].SendTS)
		}
	}
	s.mu.Unlock()
}

// ObserveValues records latencies in ns into thread i's histogram; stamp
// is the first value's record stamp (ns since the epoch), which places
// them in or after the warm-up.
func (r *Recorder) ObserveValues(i int, stamp int64, vs []int64) {
	if len(vs) == 0 {
		return
	}
	s := &r.slots[i]
	s.mu.Lock()
	h := r.target(s, stamp)
	for _, v := range vs {
		s.record(h, v)
	}
	s.mu.Unlock()
}

// record records v into h, clamped to the histogram's range. s.mu is held.
func (s *slot) record(h *hdrhistogram.Histogram, v int64) {
	if v < minValue {
		v = minValue // clocks are monotonic per box; a skewed peer can still go below zero
	}
	if v > maxValue {
		v = maxValue
		s.clamped++
	}
	h.RecordValue(v)
}

// swap moves every thread's values into total and pending. r.rmu is held.
func (r *Recorder) swap() {
	for i := range r.slots {
		s := &r.slots[i]
		fresh, wfresh := r.spares[i], r.wspares[i]
		s.mu.Lock()
		full, wfull := s.active, s.warm
		s.active, s.warm = fresh, wfresh
		s.mu.Unlock()
		r.total.Merge(full)
		r.pending.Merge(full)
		full.Reset()
		r.spares[i] = full
		if wfull.TotalCount() > 0 {
			r.wtotal.Merge(wfull)
			r.pending.Merge(wfull)
			wfull.Reset()
		}
		r.wspares[i] = wfull
	}
}

// Merged returns a new histogram with every thread's values so far,
// the warm-up's left out.
func (r *Recorder) Merged() *hdrhistogram.Histogram { return r.copyTotal(r.total) }

// MergedWarmup returns a new histogram with the warm-up's values so far
// (empty without a warm-up).
func (r *Recorder) MergedWarmup() *hdrhistogram.Histogram { return r.copyTotal(r.wtotal) }

// copyTotal copies total (r.total or r.wtotal, made once in NewRecorder)
// once the threads' values so far are in it.
func (r *Recorder) copyTotal(total *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.swap()
	h := NewHistogram()
	h.Merge(total)
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

// pendingEmpty reports whether nothing was recorded since the last
// Interval.
func (r *Recorder) pendingEmpty() bool {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.swap()
	return r.pending.TotalCount() == 0
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
