package workers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/feed"
)

// BenchmarkSymbolStats is the built-in handler's cost per record on the
// generator's feed (1000 symbols, Zipf-distributed activity).
func BenchmarkSymbolStats(b *testing.B) {
	g, err := feed.NewGenerator(feed.GenConfig{Seed: 1, Chunk: 512})
	if err != nil {
		b.Fatal(err)
	}
	var batches []*feed.Batch
	for range 64 {
		bt := &feed.Batch{}
		if err := g.Next(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
		batches = append(batches, bt)
	}
	s := NewSymbolStats()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		bt := batches[i%len(batches)]
		s.Handle(bt.Recs)
		n += len(bt.Recs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

// TestSymbolStatsIndex: the index keeps apart topics that pack alike
// (a trailing NUL, bytes past the eighth, one byte longer), grows past
// its first table, and counts each symbol once, as the map alone did.
func TestSymbolStatsIndex(t *testing.T) {
	var topics []string
	for n := 1; n <= 24; n++ {
		topics = append(topics, string(make([]byte, n)), strings.Repeat("A", n), strings.Repeat("A", n-1)+"B")
	}
	topics = append(topics, "A\x00", "ABCDEFGH", "ABCDEFGH\x00", "ABCDEFGHI", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOQ")
	for i := range 3000 {
		topics = append(topics, fmt.Sprintf("S%05d", i))
	}
	want := map[string]int64{}
	s := NewSymbolStats()
	for round := range 3 {
		for i, tp := range topics {
			if round > 0 && i%3 == 0 {
				continue
			}
			want[tp]++
			s.Handle([]feed.Record{{Topic: []byte(tp), Kind: feed.KindAdd}})
		}
	}
	if got := len(s.Symbols()); got != len(want) {
		t.Fatalf("%d symbols, want %d", got, len(want))
	}
	for tp, n := range want {
		if st := s.Symbols()[tp]; st == nil || st.Count != n {
			t.Fatalf("topic %q: %+v, want %d records", tp, st, n)
		}
	}
}

// TestSymbolStatsIndexSameHome: topics that pack to the same words (a
// trailing NUL) and start their probes at the same slot stay apart.
func TestSymbolStatsIndexSameHome(t *testing.T) {
	x := symIndex{slots: make([]symSlot, 8), shift: 64} // every key's home is slot 0
	topics := []string{"A", "A\x00", "A\x00\x00", "ABCDEFGH"}
	syms := map[string]*Sym{}
	for _, tp := range topics {
		syms[tp] = &Sym{}
		x.put(packSym([]byte(tp)), syms[tp])
	}
	for _, tp := range topics {
		if got := x.get(packSym([]byte(tp))); got != syms[tp] {
			t.Fatalf("topic %q: got another topic's statistics", tp)
		}
	}
	if got := x.get(packSym([]byte("A\x00\x00\x00"))); got != nil {
		t.Fatal("a topic never put was found")
	}
}
