package shard

import (
	"fmt"
	"testing"

	"github.com/bbox-dev/bbox/internal/fnv1a"
)

// TestRouterPartition: the division-free remainder is FNV-1a modulo the
// partition count, the mapping every box and restart must agree on.
func TestRouterPartition(t *testing.T) {
	topics := [][]byte{[]byte("A"), []byte("AAPL"), []byte("MSFT"), {0xFF, 0xFF, 0xFF, 0xFF}, make([]byte, 40)}
	for i := range 2000 {
		topics = append(topics, fmt.Appendf(nil, "SYM%d", i))
	}
	for _, parts := range []int{1, 2, 3, 7, 16, 1000, 65535, 65536} {
		r, err := NewRouter(1, parts, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range topics {
			if got, want := r.Partition(tp), fnv1a.Sum32(tp)%uint32(parts); got != want {
				t.Fatalf("%d partitions, topic %q: partition %d, want %d", parts, tp, got, want)
			}
		}
	}
}
