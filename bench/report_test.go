package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/feed"
)

// histOf returns a histogram holding vals (ns).
func histOf(vals ...int64) *hdrhistogram.Histogram {
	h := NewHistogram()
	for _, v := range vals {
		h.RecordValue(v)
	}
	return h
}

func randomHist(n int, seed uint64) *hdrhistogram.Histogram {
	rng := rand.New(rand.NewPCG(seed, 1))
	h := NewHistogram()
	for i := 0; i < n; i++ {
		// Log-uniform from 1µs to 100ms, like a latency distribution's spread.
		h.RecordValue(int64(1e3 * math.Pow(10, rng.Float64()*5)))
	}
	return h
}

func TestHGRMRoundTrip(t *testing.T) {
	f := func(name string, h *hdrhistogram.Histogram) {
		t.Helper()
		var buf bytes.Buffer
		if err := writeHGRM(&buf, h); err != nil {
			t.Fatalf("%s: write: %v", name, err)
		}
		if !strings.Contains(buf.String(), "#[Max     =") || !strings.Contains(buf.String(), "Total count    =") {
			t.Fatalf("%s: no HdrHistogram footer in\n%s", name, buf.String())
		}
		got, err := ReadHGRM(&buf)
		if err != nil {
			t.Fatalf("%s: read: %v", name, err)
		}
		if got.TotalCount != h.TotalCount() {
			t.Fatalf("%s: total count %d, want %d", name, got.TotalCount, h.TotalCount())
		}
		if want := float64(h.Max()) / hgrmScale; got.Max < want*0.999 || got.Max > want*1.001 {
			t.Fatalf("%s: max %v µs, want %v", name, got.Max, want)
		}
		if h.TotalCount() > 0 {
			last := got.Rows[len(got.Rows)-1]
			if last.Percentile != 1 || last.TotalCount != h.TotalCount() {
				t.Fatalf("%s: last row %+v", name, last)
			}
			p50 := float64(h.ValueAtQuantile(50)) / hgrmScale
			for _, r := range got.Rows {
				if r.Percentile >= 0.5 {
					if r.Value < p50*0.99 || r.Value > p50*1.01 {
						t.Fatalf("%s: row at %v has %v µs, p50 is %v", name, r.Percentile, r.Value, p50)
					}
					break
				}
			}
		}
	}
	f("one value", histOf(65_000))
	f("two values", histOf(1, 600e9))
	f("100k spread", randomHist(100_000, 1))
	f("empty", NewHistogram())
}

func TestReadHGRMErrors(t *testing.T) {
	good := func() string {
		var b bytes.Buffer
		writeHGRM(&b, histOf(1000, 2000, 3000))
		return b.String()
	}()
	f := func(name, in, want string) {
		t.Helper()
		_, err := ReadHGRM(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	f("empty", "", "no #[Max")
	f("no footer", good[:strings.Index(good, "#[")], "no #[Max")
	f("three columns", " Value Percentile TotalCount 1/(1-Percentile)\n\n 1.000 0.5 2\n", "line 3: want 4 columns")
	f("bad value", "x 0.5 2 2.0\n", "line 1: value")
	f("percentile over 1", "1.0 1.5 2 2.0\n", "line 1: percentile")
	f("decreasing", "1.0 0.5 2 2.0\n2.0 0.4 3 1.6\n", "line 2: percentiles and counts must not decrease")
	f("footer disagrees", "1.0 1.0 2 inf\n#[Max     =        1.000, Total count    =            3]\n", "footer says 3")
	f("bad total", "#[Max     =        1.000, Total count    =            x]\n", "line 1")
}

func TestIntervalLogRoundTrip(t *testing.T) {
	start := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	var buf bytes.Buffer
	l, err := newIntervalLog(&buf, start, "test run, rate=1")
	if err != nil {
		t.Fatal(err)
	}
	var want []*hdrhistogram.Histogram
	for i := 0; i < 5; i++ {
		h := randomHist(1000*(i+1), uint64(i))
		h.SetStartTimeMs(start.Add(time.Duration(i) * time.Second).UnixMilli())
		h.SetEndTimeMs(start.Add(time.Duration(i+1) * time.Second).UnixMilli())
		if err := l.Write(h); err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	for _, line := range []string{"#[Histogram log format version 1.3]", "#[StartTime: ", "#[BaseTime: ", `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`} {
		if !strings.Contains(buf.String(), line) {
			t.Fatalf("log lacks %q:\n%s", line, buf.String())
		}
	}
	got, err := readIntervalLog(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d intervals, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].TotalCount() != want[i].TotalCount() || got[i].Max() != want[i].Max() || !got[i].Equals(want[i]) {
			t.Fatalf("interval %d: count %d max %d, want %d %d", i, got[i].TotalCount(), got[i].Max(), want[i].TotalCount(), want[i].Max())
		}
		if got[i].StartTimeMs() != want[i].StartTimeMs() || got[i].EndTimeMs() != want[i].EndTimeMs() {
			t.Fatalf("interval %d: %d..%d ms, want %d..%d", i, got[i].StartTimeMs(), got[i].EndTimeMs(), want[i].StartTimeMs(), want[i].EndTimeMs())
		}
	}
}

func TestRecorderStamps(t *testing.T) {
	// A record scheduled at 1000 that a stalled sender only sent at 5000
	// and that arrived at 6000: from the schedule it took 5000 ns, from the
	// send 1000 ns. Coordinated omission is the difference.
	recs := []feed.Record{{SourceTS: 1000, SendTS: 5000}, {SourceTS: 1010, SendTS: 5000}}
	f := func(from Stamp, wantMax int64) {
		t.Helper()
		r := NewRecorder(1, from)
		r.Observe(0, 6000, recs)
		h := r.Merged()
		if h.TotalCount() != 2 || !h.ValuesAreEquivalent(h.Max(), wantMax) {
			t.Fatalf("%v: count %d max %d, want 2 and %d", from, h.TotalCount(), h.Max(), wantMax)
		}
	}
	f(FromSource, 5000)
	f(FromSend, 1000)
}

// TestRecorderConcurrent records from several threads while another takes
// intervals: every value lands in exactly one interval and in the total.
func TestRecorderConcurrent(t *testing.T) {
	const threads, frames, per = 4, 2000, 7
	r := NewRecorder(threads, FromSend)
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]feed.Record, per)
			for k := 0; k < frames; k++ {
				r.Observe(i, int64(1000+k), recs)
			}
		}()
	}
	done := make(chan struct{})
	allDone := stop(&wg)
	var intervals int64
	go func() {
		defer close(done)
		for {
			select {
			case <-time.After(100 * time.Microsecond):
				intervals += r.Interval().TotalCount()
			case <-allDone:
				intervals += r.Interval().TotalCount()
				return
			}
		}
	}()
	<-done
	if total := r.Merged().TotalCount(); total != threads*frames*per || intervals != total {
		t.Fatalf("total %d, intervals %d, want %d", total, intervals, threads*frames*per)
	}
}

// stop returns a channel closed when wg is done.
func stop(wg *sync.WaitGroup) <-chan struct{} {
	c := make(chan struct{})
	go func() { wg.Wait(); close(c) }()
	return c
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	a, z := histOf(50_000, 60_000, 70_000), histOf(100_000, 120_000, 140_000)
	if err := writeTable(&b, []column{{"bbox", a}, {"tcp", z}, {"zmq4", NewHistogram()}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"bbox/tcp", "bbox/zmq4", "p50", "p99.99", "max", "count", "60µs", "0.50x", "-"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, out)
		}
	}
}

// wellFormed checks that an SVG parses as XML with an svg root.
func wellFormed(t *testing.T, name string, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", name, root)
	}
}

func TestPlots(t *testing.T) {
	var b bytes.Buffer
	if err := writePercentilePlot(&b, "t <&>", []string{"n"}, []curve{{"bbox", randomHist(10000, 3)}, {"tcp", randomHist(10, 4)}, {"empty", NewHistogram()}}, 1000); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, "percentiles", b.Bytes())
	for _, want := range []string{"99.99%", "SLA 1.00ms", "polyline"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("percentile plot lacks %q", want)
		}
	}
	b.Reset()
	ivs := []IntervalStat{{0, 1, 100, 100, Percentiles{P50: 50, P99: 500, Max: 900}, false}, {1, 2, 90, 95, Percentiles{P50: 60, P99: 700, Max: 1200}, false}, {2, 2.01, 0, 5, Percentiles{}, false}}
	if err := writeTimelinePlot(&b, "timeline", nil, ivs, 100); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, "timeline", b.Bytes())
	b.Reset()
	if err := writeTimelinePlot(&b, "no intervals", nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, "empty timeline", b.Bytes())
}

// SetWarmup splits by stamp: frames whose first record is stamped before
// the first frame's stamp plus the warm-up go apart, intervals keep both.
func TestRecorderWarmupSplit(t *testing.T) {
	r := NewRecorder(2, FromSource)
	r.SetWarmup(100 * time.Millisecond)
	base := int64(1_700_000_000e9)
	frame := func(slot int, at time.Duration, n int) {
		recs := make([]feed.Record, n)
		for i := range recs {
			recs[i].SourceTS = base + int64(at)
		}
		r.Observe(slot, base+int64(at)+1000, recs)
	}
	frame(0, 0, 10)
	frame(1, 50*time.Millisecond, 5)
	frame(0, 99*time.Millisecond, 3)
	frame(1, 100*time.Millisecond, 7)
	frame(0, 2*time.Second, 4)
	r.ObserveValues(1, base+int64(10*time.Millisecond), []int64{500, 600})
	r.ObserveValues(1, base+int64(time.Second), []int64{700})
	if w, m := r.MergedWarmup().TotalCount(), r.Merged().TotalCount(); w != 20 || m != 12 {
		t.Fatalf("warm-up %d, after it %d; want 20 and 12", w, m)
	}
	if n := r.Interval().TotalCount(); n != 32 {
		t.Fatalf("the interval holds %d values, want all 32", n)
	}
	none := NewRecorder(1, FromSend)
	none.Observe(0, 10, []feed.Record{{SendTS: 5}})
	if none.MergedWarmup().TotalCount() != 0 || none.Merged().TotalCount() != 1 {
		t.Fatal("without a warm-up everything is in Merged")
	}
}
