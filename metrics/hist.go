package metrics

import (
	"math"
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
)

// LatencyBuckets are the upper bounds, in seconds, of the histograms
// exported from bbox's HdrHistograms: 1 µs to 10 s, 1-2.5-5 steps.
var LatencyBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// histCollector exports an HdrHistogram of nanoseconds as a Prometheus
// histogram in seconds. The hot path records into its own HdrHistogram as
// it always does; the conversion happens here, at scrape time.
type histCollector struct {
	desc  *prometheus.Desc
	visit func(func(*hdrhistogram.Histogram))
	mu    sync.Mutex // one conversion at a time (scrapes may overlap)
}

// Histogram exports a histogram of every value so far, in ns, as the
// histogram bbox_NAME, in seconds. visit calls its argument with that
// histogram (bench.Recorder's Visit), which it only reads, during the
// call. constLabels may be nil. The sum is estimated from the histogram's
// mean (HdrHistogram keeps no exact sum): within its 0.1% precision.
func Histogram(name, help string, constLabels prometheus.Labels, visit func(func(*hdrhistogram.Histogram))) prometheus.Collector {
	return &histCollector{desc: prometheus.NewDesc(Namespace+"_"+name, help, nil, constLabels), visit: visit}
}

func (c *histCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *histCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var m prometheus.Metric
	c.visit(func(h *hdrhistogram.Histogram) {
		count, sum, buckets := Buckets(h, LatencyBuckets)
		m = prometheus.MustNewConstHistogram(c.desc, count, sum, buckets)
	})
	if m != nil {
		ch <- m
	}
}

// Buckets converts h (ns) into cumulative counts at bounds (s), the total
// count and the estimated sum in seconds. It walks h's counts directly
// (one copy of the array) instead of h.Distribution, which allocates a
// bar per index and made a scrape cost ~1.5 MB.
func Buckets(h *hdrhistogram.Histogram, bounds []float64) (count uint64, sum float64, buckets map[float64]uint64) {
	s := h.Export()
	unitMag, halfMag := geometry(s.LowestTrackableValue, int(s.SignificantFigures))
	half := int64(1) << halfMag
	per := make([]uint64, len(bounds))
	for idx, c := range s.Counts {
		if c <= 0 {
			continue
		}
		// HdrHistogram's flat index → the highest value equivalent to it
		// (every value in an index's range reads as that one).
		bucket := (int64(idx) >> halfMag) - 1
		sub := (int64(idx) & (half - 1)) + half
		if bucket < 0 {
			sub -= half
			bucket = 0
		}
		lo := sub << (bucket + unitMag)
		hi := lo + (int64(1) << (bucket + unitMag)) - 1
		v := float64(hi) / 1e9
		count += uint64(c)
		for i, b := range bounds {
			if v <= b {
				per[i] += uint64(c)
				break
			}
		}
	}
	buckets = make(map[float64]uint64, len(bounds))
	var cum uint64
	for i, b := range bounds {
		cum += per[i]
		buckets[b] = cum
	}
	sum = h.Mean() * float64(h.TotalCount()) / 1e9
	return count, sum, buckets
}

// geometry is HdrHistogram's unit and half-sub-bucket magnitudes for a
// lowest discernible value and significant digits (its New).
func geometry(lowest int64, digits int) (unitMag, halfMag int64) {
	countMag := int64(math.Ceil(math.Log2(2 * math.Pow10(digits))))
	halfMag = max(countMag, 1) - 1
	unitMag = max(int64(math.Floor(math.Log2(float64(max(lowest, 1))))), 0)
	return unitMag, halfMag
}
