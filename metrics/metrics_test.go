package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// lint checks a collector's output against Prometheus' naming rules.
func lint(t *testing.T, c prometheus.Collector) {
	t.Helper()
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestPublisherCollector(t *testing.T) {
	st := shard.PubStats{Records: 100, Frames: 4, Bytes: 9000,
		// The shard totals cover every connection, also those the bounded
		// history no longer lists; the collector reads them, not the list.
		Shards: []shard.ShardPubStats{{ID: 0, Records: 60, Subscribers: 1},
			{ID: 1, Records: 40, DroppedRecords: 35, Closed: map[string]int64{"stuck": 2}}},
		Conns: []shard.ConnStats{
			{Shard: 0, Peer: "10.0.0.1:5000", State: "connected", Records: 60, Frames: 2, Bytes: 5000},
			{Shard: 1, Peer: "10.0.0.2:5000", State: "stuck: no progress within the write deadline (2s)", CloseReason: zmqx.Stuck, Records: 10, DroppedRecords: 30},
			{Shard: 1, Peer: "10.0.0.3:5000", State: "stuck: no progress within the write deadline (2s)", CloseReason: zmqx.Stuck, DroppedRecords: 5},
		}}
	c := Publisher(func() shard.PubStats { return st })
	lint(t, c)
	want := `
# HELP bbox_pub_connections_closed_total Subscriber connections closed, by reason (stuck, write_failed, closed...).
# TYPE bbox_pub_connections_closed_total counter
bbox_pub_connections_closed_total{reason="stuck",shard="1"} 2
# HELP bbox_pub_hwm_dropped_records_total Records dropped at a subscriber's high-water mark.
# TYPE bbox_pub_hwm_dropped_records_total counter
bbox_pub_hwm_dropped_records_total{shard="0"} 0
bbox_pub_hwm_dropped_records_total{shard="1"} 35
# HELP bbox_pub_peer_info Maps a live peer slot to its remote address (value 1).
# TYPE bbox_pub_peer_info gauge
bbox_pub_peer_info{peer="0",remote="10.0.0.1:5000",shard="0"} 1
# HELP bbox_pub_records_total Records published (stamped and sequenced).
# TYPE bbox_pub_records_total counter
bbox_pub_records_total 100
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "bbox_pub_connections_closed_total",
		"bbox_pub_hwm_dropped_records_total", "bbox_pub_peer_info", "bbox_pub_records_total"); err != nil {
		t.Error(err)
	}
	// A closed connection leaving a bounded history must not make a
	// counter go backwards.
	st.Conns = st.Conns[:1]
	held := `
# HELP bbox_pub_hwm_dropped_records_total Records dropped at a subscriber's high-water mark.
# TYPE bbox_pub_hwm_dropped_records_total counter
bbox_pub_hwm_dropped_records_total{shard="0"} 0
bbox_pub_hwm_dropped_records_total{shard="1"} 35
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(held), "bbox_pub_hwm_dropped_records_total"); err != nil {
		t.Errorf("after the history shrank: %v", err)
	}
}

func TestOtherCollectorsLint(t *testing.T) {
	lint(t, Subscriber(func() shard.SubStats {
		return shard.SubStats{Received: 5, Shards: []shard.ShardSubStats{{ID: 0, Records: 5, LagNs: 1000, CPU: -1}}}
	}, func() SubExtra { return SubExtra{Croaks: 1} }))
	lint(t, Pool(func() PoolView { return PoolView{Workers: []workers.WorkerStats{{ID: 0, Records: 3}}, Queued: 2} }))
	lint(t, WorkerProcess(func() workers.WorkerProcStats { return workers.WorkerProcStats{Records: 3} }))
	lint(t, Recorder(func() replay.RecorderStats { return replay.RecorderStats{Records: 3, Files: []string{"a"}} }))
	lint(t, ReplaySource(func() replay.SourceStats { return replay.SourceStats{Records: 3} }))
	b := NewBench()
	h := bench.NewHistogram()
	h.RecordValue(40_000) // 40 µs
	b.Interval("bbox", bench.IntervalStat{Published: 10, Received: 1}, h)
	lint(t, b)
}

func TestBuckets(t *testing.T) {
	h := bench.NewHistogram()
	for _, ns := range []int64{500, 20_000, 20_000, 3_000_000, 20e9} {
		h.RecordValue(ns)
	}
	count, sum, b := Buckets(h, LatencyBuckets)
	if count != 5 {
		t.Errorf("count %d, want 5", count)
	}
	for le, want := range map[float64]uint64{1e-6: 1, 1e-5: 1, 2.5e-5: 3, 2.5e-3: 3, 5e-3: 4, 10: 4} {
		if b[le] != want {
			t.Errorf("bucket le=%g: %d, want %d", le, b[le], want)
		}
	}
	if sum < 20.0 || sum > 20.1 {
		t.Errorf("sum %v s, want about 20.003", sum)
	}
	lint(t, Histogram("sub_record_age_seconds", "Record age.", nil, func(f func(*hdrhistogramH)) { f(h) }))
}

func TestReasons(t *testing.T) {
	var r reasons
	if got := r.label("stuck: no progress within the write deadline (2s)"); got != "stuck" {
		t.Errorf("got %q", got)
	}
	if got := r.label("write failed: broken pipe"); got != "write_failed" {
		t.Errorf("got %q", got)
	}
	for i := 0; i < 40; i++ {
		r.label(strings.Repeat("x", i+1))
	}
	if got := r.label("something new"); got != "other" {
		t.Errorf("past MaxReasons: %q, want other", got)
	}
}

// Buckets agrees with HdrHistogram's own Distribution (the slow way).
func TestBucketsMatchDistribution(t *testing.T) {
	h := bench.NewHistogram()
	v := int64(1)
	for i := 0; i < 200000; i++ {
		v = v*6364136223846793005 + 1442695040888963407
		h.RecordValue(int64(uint64(v)>>40) + 1) // 1 ns .. ~16 ms
	}
	h.RecordValue(3e9)
	h.RecordValue(599e9)
	count, _, got := Buckets(h, LatencyBuckets)
	per := make(map[float64]uint64)
	for _, bar := range h.Distribution() {
		for _, b := range LatencyBuckets {
			if float64(bar.To)/1e9 <= b {
				per[b] += uint64(bar.Count)
				break
			}
		}
	}
	var cum uint64
	for _, b := range LatencyBuckets {
		cum += per[b]
		if got[b] != cum {
			t.Errorf("le=%g: %d, Distribution says %d", b, got[b], cum)
		}
	}
	if count != uint64(h.TotalCount()) {
		t.Errorf("count %d, want %d", count, h.TotalCount())
	}
}

func BenchmarkHistogramScrape(b *testing.B) {
	rec := bench.NewRecorder(2, bench.FromSend)
	rec.ObserveValues(0, 0, []int64{1000, 20000, 3000000})
	r := prometheus.NewRegistry()
	r.MustRegister(Histogram("x_seconds", "x", nil, rec.Visit))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Gather()
	}
}
