package feed

import (
	"context"
	"errors"
	"testing"
)

// Each hands over every record once, in order, and stops at fn's error.
func TestEach(t *testing.T) {
	g, err := NewGenerator(GenConfig{Seed: 1, Records: 1000, Chunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	var want []string // the same generator read by hand
	w, _ := NewGenerator(GenConfig{Seed: 1, Records: 1000, Chunk: 64})
	var b Batch
	for err := error(nil); err == nil; {
		b.Reset()
		err = w.Next(context.Background(), &b)
		for i := range b.Recs {
			want = append(want, string(b.Recs[i].Topic))
		}
	}
	var n int
	if err := Each(context.Background(), g, func(r *Record) error {
		if n >= len(want) || string(r.Topic) != want[n] {
			t.Fatalf("record %d: %s, want the generator's own order", n, r.Topic)
		}
		n++
		return nil
	}); err != nil || n != 1000 || len(want) != 1000 {
		t.Fatalf("Each: %d records, %v; want 1000, nil", n, err)
	}
	g, _ = NewGenerator(GenConfig{Seed: 1, Records: 1000, Chunk: 64})
	stop := errors.New("stop")
	n = 0
	if err := Each(context.Background(), g, func(*Record) error { n++; return map[bool]error{true: stop}[n == 10] }); err != stop || n != 10 {
		t.Fatalf("Each with fn failing at 10: %d records, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g, _ = NewGenerator(GenConfig{Seed: 1, Records: 1000, Chunk: 64})
	if err := Each(ctx, g, func(*Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Each with a cancelled context: %v", err)
	}
}
