package bench

import (
	"context"

	"github.com/bbox-dev/bbox/feed"
)

// Records pre-generates n synthetic records of about size bytes, so a
// throughput run measures the path, not the generator.
func Records(n, size int, seed uint64) []feed.Record {
	g, _ := feed.NewGenerator(feed.GenConfig{Seed: seed, Size: size, Chunk: 1024})
	out := make([]feed.Record, 0, n)
	for len(out) < n {
		var b feed.Batch
		g.Next(context.Background(), &b)
		out = append(out, b.Recs...)
	}
	return out[:n]
}
