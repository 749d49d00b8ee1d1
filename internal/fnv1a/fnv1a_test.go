package fnv1a

import (
	"hash/fnv"
	"testing"
)

// Sum32 is hash/fnv's New32a, without its allocation.
func TestSum32MatchesHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "AAPL", "MSFT.O", "\x00\xff topic with spaces"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		if got, want := Sum32([]byte(s)), h.Sum32(); got != want {
			t.Errorf("Sum32(%q) = %#x, hash/fnv says %#x", s, got, want)
		}
	}
	b := []byte("AAPL")
	if n := testing.AllocsPerRun(100, func() { Sum32(b) }); n != 0 {
		t.Fatalf("Sum32 allocates %v times", n)
	}
}
