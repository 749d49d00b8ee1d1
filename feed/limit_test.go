package feed

import (
	"context"
	"io"
	"testing"
)

type closeCounter struct {
	Source
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// Limit cuts a source at n records, mid-batch if need be, closes it once
// they are out, and leaves an unlimited source alone.
func TestLimit(t *testing.T) {
	g, err := NewGenerator(GenConfig{Seed: 1, Records: 10000, Chunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	cc := &closeCounter{Source: g}
	src := Limit(cc, 100)
	var b Batch
	var n int64
	var last uint64
	for {
		b.Reset()
		err := src.Next(context.Background(), &b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += int64(b.Len())
		last = b.Recs[b.Len()-1].Seq
	}
	if n != 100 || cc.closed != 1 {
		t.Fatalf("%d records (last seq %d), closed %d times; want 100 and closed once", n, last, cc.closed)
	}
	if src.(Pender).Pending() {
		t.Fatal("Pending after the limit")
	}
	if Limit(g, 0) != Source(g) {
		t.Fatal("Limit(src, 0) wraps src")
	}
}
