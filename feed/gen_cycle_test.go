package feed

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// A cycled generator is the uncycled stream's first Cycle records, then
// the same records again: the same seed gives the same stream.
func TestGeneratorCycleIsTheStreamRepeated(t *testing.T) {
	const n = 3000
	fresh := drain(t, GenConfig{Seed: 7, Records: 2 * n, SimStart: 1_700_000_000e9, VarySize: true})
	cyc := drain(t, GenConfig{Seed: 7, Records: 2*n + 500, SimStart: 1_700_000_000e9, VarySize: true, Cycle: n})
	if len(cyc) != 2*n+500 {
		t.Fatalf("got %d records, want %d", len(cyc), 2*n+500)
	}
	for i := range cyc {
		want := &fresh[i%n]
		got := &cyc[i]
		if !bytes.Equal(got.Topic, want.Topic) || !bytes.Equal(got.Payload, want.Payload) || got.Kind != want.Kind {
			t.Fatalf("record %d: %s, want record %d of the uncycled stream: %s", i, got, i%n, want)
		}
		// Timestamps are fresh every round, not replayed.
		if got.SourceTS != fresh[0].SourceTS+int64(float64(i)/100000*1e9) {
			t.Fatalf("record %d: source time %d does not follow the simulated clock", i, got.SourceTS)
		}
	}
	again := drain(t, GenConfig{Seed: 7, Records: n, SimStart: 1_700_000_000e9, VarySize: true, Cycle: n})
	for i := range again {
		if !bytes.Equal(again[i].Payload, cyc[i].Payload) {
			t.Fatalf("record %d differs between two runs with one seed", i)
		}
	}
}

// The cycle keeps the stream's shape: Zipf activity, exact or varied
// sizes and every kind; with a paced rate the stamps stay the schedule.
func TestGeneratorCycleShape(t *testing.T) {
	recs := drain(t, GenConfig{Seed: 5, Records: 100000, Symbols: 1000, Cycle: DefaultCycle})
	counts := map[string]int{}
	for i := range recs {
		counts[string(recs[i].Topic)]++
		if w := recs[i].WireSize(false); w != 100 {
			t.Fatalf("record %d is %d bytes on the wire, want 100", i, w)
		}
		if _, ok := ParseMarketMsg(recs[i].Payload); !ok {
			t.Fatalf("record %d: payload too short for a MarketMsg", i)
		}
	}
	if len(counts) < 500 {
		t.Fatalf("%d distinct symbols from 1000", len(counts))
	}
	varySizeMix(t, GenConfig{Seed: 5, Records: 20000, VarySize: true, Cycle: 4096})
	p := drain(t, GenConfig{Seed: 1, Records: 100, Rate: 2000, Cycle: 16})
	for i := 1; i < len(p); i++ {
		if d := p[i].SourceTS - p[i-1].SourceTS; d < int64(500*time.Microsecond)-1 || d > int64(500*time.Microsecond)+1 {
			t.Fatalf("scheduled gap %d→%d is %v, want 500µs", i-1, i, time.Duration(d))
		}
	}
	curve := drain(t, GenConfig{Seed: 1, Records: 5000, SimStart: 1, SimCurve: IntradayCurve(time.Hour), Cycle: 1000})
	fresh := drain(t, GenConfig{Seed: 1, Records: 5000, SimStart: 1, SimCurve: IntradayCurve(time.Hour)})
	for i := range curve {
		if curve[i].SourceTS != fresh[i].SourceTS {
			t.Fatalf("record %d: the sim curve's clock differs with a cycle", i)
		}
	}
}

func TestGeneratorCycleValidate(t *testing.T) {
	for _, c := range []GenConfig{{Cycle: -1}, {Cycle: 1 << 25}, {Cycle: 1 << 24, Size: 60000}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error naming the cycle", c)
		}
	}
}

// BenchmarkGeneratorCycled is BenchmarkGenerator with the cycle that
// bbox pub and bench use; compare the two for the generator's cost per
// record (ns/op is per Next of 256 records).
func BenchmarkGeneratorCycled(b *testing.B) {
	g, _ := NewGenerator(GenConfig{Seed: 1, Cycle: DefaultCycle})
	var bt Batch
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		bt.Reset()
		g.Next(context.Background(), &bt)
		n += bt.Len()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}
