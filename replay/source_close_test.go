package replay

import (
	"runtime"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/feed"
)

// TestSourceCloseWaitsForDecoders: Close returns once the decoders and
// the feeding goroutine have exited, with chunks still queued for them
// (a looping source is never done), so a caller that closes the files
// next races no decoder.
func TestSourceCloseWaitsForDecoders(t *testing.T) {
	file := writeFile(t, testRecords(t, 5000, 16), 4<<10)
	r, _, _ := readAll(t, file)
	src, err := NewSource(SourceConfig{Files: []*Reader{r}, Loop: -1, Decoders: 4, Prefetch: 8})
	if err != nil {
		t.Fatal(err)
	}
	var b feed.Batch
	if err := src.Next(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	src.Close()
	buf := make([]byte, 1<<20)
	if all := string(buf[:runtime.Stack(buf, true)]); strings.Contains(all, "replay.(*Source)") {
		t.Fatalf("a source goroutine outlived Close:\n%s", all)
	}
}
