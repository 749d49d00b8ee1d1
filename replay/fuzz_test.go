package replay

import (
	"bytes"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the capture reader. Properties: it
// never panics or allocates past the format's limits; the chunks it keeps
// carry strictly increasing numbers (a copied, moved or foreign chunk is a
// problem, never read twice), and consecutive numbers when it reports no
// problem; a file it reads without any problem re-encodes (through
// Writer) into a file that reads back to the same records (round trip).
func FuzzReader(f *testing.F) {
	recs := testRecords(f, 120, 9)
	file := writeFile(f, recs, 2<<10)
	f.Add(file)
	f.Add(file[:len(file)/2])
	r, _, _ := readAll(f, file)
	last := r.Chunks()[len(r.Chunks())-1]
	f.Add(file[:last.Offset+last.Size()]) // no index: scanned
	f.Add(writeFile(f, recs[:1], 1<<10))
	f.Add([]byte(Magic))
	n := len(r.Chunks())
	f.Add(splice(f, file, append(append(seq(0, 3), 2), seq(3, n)...), false))   // a chunk twice
	f.Add(splice(f, file, append(append(seq(0, 2), 3, 2), seq(4, n)...), true)) // two swapped
	f.Add(splice(f, file, append(seq(0, 2), seq(3, n)...), false))              // one cut out
	f.Fuzz(func(t *testing.T, b []byte) {
		r, got, err := readAll(t, b)
		if r == nil {
			return
		}
		cs := r.Chunks()
		for i := 1; i < len(cs); i++ {
			if cs[i].Number <= cs[i-1].Number || (len(r.Problems()) == 0 && cs[i].Number != cs[i-1].Number+1) {
				t.Fatalf("chunk %d kept after chunk %d (problems %+v)", cs[i].Number, cs[i-1].Number, r.Problems())
			}
		}
		if len(cs) > 0 && len(r.Problems()) == 0 && cs[0].Number != 0 {
			t.Fatalf("first chunk %d, and no problem reported", cs[0].Number)
		}
		if err != nil || len(r.Problems()) > 0 {
			return
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, "again", WriterConfig{ChunkSize: 2 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if err := w.Append(&got[i]); err != nil {
				t.Fatalf("re-encode record %d: %v", i, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, again, err := readAll(t, buf.Bytes())
		if err != nil || len(again) != len(got) {
			t.Fatalf("round trip: %d of %d records, err %v", len(again), len(got), err)
		}
		for i := range got {
			if !sameRecord(&again[i], &got[i]) {
				t.Fatalf("round trip: record %d differs", i)
			}
		}
	})
}
