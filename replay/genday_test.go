package replay

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// What is generated is written and reported: records, symbols, the first
// and last source times; the file reads back with the same count.
func TestWriteGenerated(t *testing.T) {
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 5, Size: 60, Seed: 3, Records: 200, Cycle: feed.DefaultCycle})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "g.bbc")
	w, err := Create(path, WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := WriteGenerated(ctx, g, w, path, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Command != "gen" || rep.File != path || rep.Records != 200 || rep.SymbolsUniverse != 5 || rep.Seed != 3 ||
		rep.Symbols == 0 || rep.FirstTS == 0 || rep.LastTS < rep.FirstTS || rep.Chunks == 0 || rep.Ratio <= 0 {
		t.Fatalf("report %+v", rep)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := r.Records(); n != 200 {
		t.Errorf("file holds %d records, want 200", n)
	}
}
