package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"testing"
	"time"
)

func drain(t *testing.T, cfg GenConfig) []Record {
	t.Helper()
	g, err := NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for {
		var b Batch
		err := g.Next(context.Background(), &b)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Recs...)
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	cfg := GenConfig{Seed: 11, Records: 5000, SimStart: 1_700_000_000e9, VarySize: true}
	a, b := drain(t, cfg), drain(t, cfg)
	if len(a) != 5000 || len(b) != 5000 {
		t.Fatalf("got %d and %d records, want 5000", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Topic, b[i].Topic) || !bytes.Equal(a[i].Payload, b[i].Payload) ||
			a[i].Kind != b[i].Kind || a[i].SourceTS != b[i].SourceTS {
			t.Fatalf("record %d differs between runs with one seed", i)
		}
	}
	c := drain(t, GenConfig{Seed: 12, Records: 5000, SimStart: 1_700_000_000e9})
	same := 0
	for i := range a {
		if bytes.Equal(a[i].Payload, c[i].Payload) {
			same++
		}
	}
	if same > 50 {
		t.Fatalf("%d of 5000 payloads equal across seeds", same)
	}
}

func TestGeneratorShape(t *testing.T) {
	recs := drain(t, GenConfig{Seed: 5, Records: 100000, Symbols: 1000})
	counts := map[string]int{}
	size := 0
	for i := range recs {
		counts[string(recs[i].Topic)]++
		if _, ok := ParseMarketMsg(recs[i].Payload); !ok {
			t.Fatalf("record %d payload too short for a MarketMsg", i)
		}
		if w := recs[i].WireSize(false); w != 100 {
			t.Fatalf("record %d is %d bytes on the wire, want exactly 100", i, w)
		}
		size += recs[i].WireSize(false)
	}
	if len(counts) < 500 || len(counts) > 1000 {
		t.Fatalf("%d distinct symbols from 1000", len(counts))
	}
	var c []int
	for _, n := range counts {
		c = append(c, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(c)))
	// Zipf s=1.1 over 1000 symbols: the busiest symbol carries ~13%,
	// ten times the tenth's share; uniform would give 0.1% each.
	if c[0] < 8000 || c[0] < 6*c[9] {
		t.Fatalf("activity not Zipf-like: top counts %v", c[:10])
	}

	varySizeMix(t, GenConfig{Seed: 5, Records: 20000, VarySize: true})
}

// varySizeMix checks that cfg's records (VarySize) average about 100
// bytes and mix the five kinds of message, and only those.
func varySizeMix(t *testing.T, cfg GenConfig) {
	t.Helper()
	v := drain(t, cfg)
	sum, kinds := 0, map[byte]int{}
	for i := range v {
		sum += v[i].WireSize(false)
		kinds[v[i].Kind]++
	}
	if mean := sum / len(v); mean < 90 || mean > 110 {
		t.Fatalf("VarySize mean %d bytes, want about 100", mean)
	}
	for _, k := range []byte{KindAdd, KindDelete, KindCancel, KindExecute, KindTrade} {
		if kinds[k] == 0 {
			t.Fatalf("no %c messages in the mix %v", k, kinds)
		}
	}
	if len(kinds) != 5 {
		t.Fatalf("kinds %v, want the five", kinds)
	}
}

func TestGeneratorPaced(t *testing.T) {
	// Paced at 2000/s for 100 records: the schedule says 50ms; the test only
	// checks the schedule stamps (SourceTS), never the wall clock.
	recs := drain(t, GenConfig{Seed: 1, Records: 100, Rate: 2000})
	if len(recs) != 100 {
		t.Fatalf("got %d records", len(recs))
	}
	for i := 1; i < len(recs); i++ {
		d := recs[i].SourceTS - recs[i-1].SourceTS
		if d != int64(500*time.Microsecond) && d != int64(500*time.Microsecond)-1 && d != int64(500*time.Microsecond)+1 {
			t.Fatalf("scheduled gap %d→%d is %v, want 500µs", i-1, i, time.Duration(d))
		}
	}
}

func TestGenConfigValidate(t *testing.T) {
	flat := func(time.Duration) float64 { return 1 }
	for _, c := range []struct {
		cfg  GenConfig
		want string // the field the error must name
	}{
		{GenConfig{Symbols: -1}, "symbols"},
		{GenConfig{Size: 70000}, "record size"},
		{GenConfig{Rate: -5}, "rate"},
		{GenConfig{Records: -1}, "records"},
		{GenConfig{Zipf: -1}, "zipf"},
		{GenConfig{SimStart: 1, SimRate: -1}, "sim rate"},
		{GenConfig{SimStart: 1, SimRate: math.NaN()}, "sim rate"},
		{GenConfig{SimStart: 1, SimRate: math.Inf(1)}, "sim rate"},
		{GenConfig{SimCurve: flat}, "sim curve"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
	for _, c := range []GenConfig{{}, {SimStart: 1, SimCurve: flat}} {
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate(%+v): %v", c, err)
		}
	}
}

func BenchmarkGenerator(b *testing.B) {
	g, _ := NewGenerator(GenConfig{Seed: 1})
	var bt Batch
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		bt.Reset()
		g.Next(context.Background(), &bt)
		n += bt.Len()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

func TestBufferRefcount(t *testing.T) {
	buf := GetBuffer(100)
	a, b := GetBatch(), GetBatch()
	a.Buf = buf
	b.Share(a)
	if buf.refs.Load() != 2 {
		t.Fatalf("refs %d after Share, want 2", buf.refs.Load())
	}
	PutBatch(a)
	if buf.refs.Load() != 1 || len(buf.B) != 100 {
		t.Fatalf("refs %d after one PutBatch, want 1", buf.refs.Load())
	}
	PutBatch(b)
	if buf.refs.Load() != 0 {
		t.Fatalf("refs %d after both, want 0", buf.refs.Load())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an extra Release did not panic")
		}
	}()
	buf.Release()
}

// TestPacedChunkGap: a paced generator whose caller comes back quickly
// waits out minChunkGap since its last chunk and releases what is due by
// then, so a fast loop gets chunks, not a few records per call; a whole
// Chunk due goes at once.
func TestPacedChunkGap(t *testing.T) {
	g, err := NewGenerator(GenConfig{Seed: 1, Rate: 1e6, Chunk: 256})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	var slept []time.Duration
	g.clock = func() time.Time { return now }
	g.sleep = func(d time.Duration) { slept = append(slept, d); now = now.Add(d) }
	var got []int
	next := func(after time.Duration) {
		now = now.Add(after)
		var b Batch
		if err := g.Next(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Len())
	}
	next(0)                      // the first record is due at the start
	next(5 * time.Microsecond)   // 5 due, 5µs after the last chunk: wait to 40µs
	next(300 * time.Microsecond) // more than a Chunk due: at once
	next(100 * time.Microsecond) // 44 left over and 100 more: 144, gap passed
	want := []int{1, 40, 256, 144}
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(slept) != "[35µs]" {
		t.Fatalf("chunks %v, sleeps %v; want %v and [35µs]", got, slept, want)
	}
	if g.Pending() {
		t.Error("Pending right after a chunk: Next would wait")
	}
	now = now.Add(minChunkGap)
	if !g.Pending() {
		t.Error("not Pending with records due past the gap")
	}
}
