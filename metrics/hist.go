package metrics

import (
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
	desc *prometheus.Desc
	read func() *hdrhistogram.Histogram
	mu   sync.Mutex // one conversion at a time (scrapes may overlap)
}

// Histogram exports what read returns (a histogram of every value so far,
// in ns; the caller's to keep) as the histogram bbox_NAME, in seconds.
// constLabels may be nil. The sum is estimated from the histogram's mean
// (HdrHistogram keeps no exact sum): within its 0.1% precision.
func Histogram(name, help string, constLabels prometheus.Labels, read func() *hdrhistogram.Histogram) prometheus.Collector {
	return &histCollector{desc: prometheus.NewDesc(Namespace+"_"+name, help, nil, constLabels), read: read}
}

func (c *histCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *histCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.read()
	if h == nil {
		return
	}
	count, sum, buckets := Buckets(h, LatencyBuckets)
	ch <- prometheus.MustNewConstHistogram(c.desc, count, sum, buckets)
}

// Buckets converts h (ns) into cumulative counts at bounds (s), the total
// count and the estimated sum in seconds.
func Buckets(h *hdrhistogram.Histogram, bounds []float64) (count uint64, sum float64, buckets map[float64]uint64) {
	buckets = make(map[float64]uint64, len(bounds))
	per := make([]uint64, len(bounds))
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		// Every value in the bar is equivalent to its upper end
		// (HdrHistogram's resolution); place it in the first bucket
		// that holds that end.
		v := float64(bar.To) / 1e9
		count += uint64(bar.Count)
		for i, b := range bounds {
			if v <= b {
				per[i] += uint64(bar.Count)
				break
			}
		}
	}
	var cum uint64
	for i, b := range bounds {
		cum += per[i]
		buckets[b] = cum
	}
	sum = h.Mean() * float64(h.TotalCount()) / 1e9
	return count, sum, buckets
}
