package bench

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// An outDir lists what it wrote, in order; one without a Dir writes
// nothing and lists nothing.
func TestOutDir(t *testing.T) {
	d := &outDir{Dir: t.TempDir()}
	if err := d.Write("a.txt", func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }); err != nil {
		t.Fatal(err)
	}
	hl, err := d.OpenHlog("b.hlog", "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := hdrhistogram.New(1, 1e9, 3)
	h.RecordValue(1000)
	hl.Add(h, "x")
	if err := hl.Close(); err != nil {
		t.Fatal(err)
	}
	if len(d.Names) != 2 || d.Names[0] != filepath.Join(d.Dir, "a.txt") || d.Names[1] != filepath.Join(d.Dir, "b.hlog") {
		t.Fatalf("names %q", d.Names)
	}
	f, _ := os.Open(d.Names[1])
	defer f.Close()
	if hs, err := readIntervalLog(f); err != nil || len(hs) != 1 || hs[0].TotalCount() != 1 {
		t.Fatalf("interval log: %d histograms, %v", len(hs), err)
	}
	var none outDir
	none.Write("c.txt", func(io.Writer) error { t.Fatal("wrote with no Dir"); return nil })
	nl, _ := none.OpenHlog("d.hlog", "", time.Now())
	nl.Add(h, "")
	if err := nl.Close(); err != nil || len(none.Names) != 0 {
		t.Fatalf("a dir-less outDir: %v, names %q", err, none.Names)
	}
}
