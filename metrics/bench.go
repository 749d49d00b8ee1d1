package metrics

import (
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/bench"
)

// Bench accumulates `bbox bench` intervals per path (bbox, tcp, zmq4) as
// they are reported, and serves them: records sent and received, and the
// end-to-end latency histogram. Use Interval as (or inside)
// bench.LoadConfig.OnInterval.
type Bench struct {
	mu    sync.Mutex
	paths map[string]*benchPath
	order []string

	sent, recv, runs, lat *prometheus.Desc
}

type benchPath struct {
	sent, recv, intervals int64
	hist                  *hdrhistogram.Histogram
}

// NewBench returns an empty Bench collector.
func NewBench() *Bench {
	l := []string{"path"}
	return &Bench{
		paths: map[string]*benchPath{},
		sent:  prometheus.NewDesc(Namespace+"_bench_records_sent_total", "Records the load generator sent, by path.", l, nil),
		recv:  prometheus.NewDesc(Namespace+"_bench_records_received_total", "Records whose latency was recorded, by path.", l, nil),
		runs:  prometheus.NewDesc(Namespace+"_bench_intervals_total", "Interval histograms collected, by path.", l, nil),
		lat: prometheus.NewDesc(Namespace+"_bench_latency_seconds",
			"End-to-end latency of the load (from the scheduled send time with --co on), by path.", l, nil),
	}
}

// Interval adds one interval of path's run; h holds the interval's
// latencies in ns and is not kept.
func (b *Bench) Interval(path string, iv bench.IntervalStat, h *hdrhistogram.Histogram) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.paths[path]
	if p == nil {
		p = &benchPath{hist: bench.NewHistogram()}
		b.paths[path] = p
		b.order = append(b.order, path)
	}
	p.sent += iv.Published
	p.recv += iv.Received
	p.intervals++
	if h != nil {
		p.hist.Merge(h)
	}
}

func (b *Bench) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.sent
	ch <- b.recv
	ch <- b.runs
	ch <- b.lat
}

func (b *Bench) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, name := range b.order {
		p := b.paths[name]
		ch <- prometheus.MustNewConstMetric(b.sent, prometheus.CounterValue, float64(p.sent), name)
		ch <- prometheus.MustNewConstMetric(b.recv, prometheus.CounterValue, float64(p.recv), name)
		ch <- prometheus.MustNewConstMetric(b.runs, prometheus.CounterValue, float64(p.intervals), name)
		count, sum, buckets := Buckets(p.hist, LatencyBuckets)
		ch <- prometheus.MustNewConstHistogram(b.lat, count, sum, buckets, name)
	}
}
