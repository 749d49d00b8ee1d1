package replay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// testRecords are n generated records with every stamp a recording has.
func testRecords(t testing.TB, n int, seed uint64) []feed.Record {
	t.Helper()
	g, err := feed.NewGenerator(feed.GenConfig{Seed: seed, Records: int64(n), Symbols: 50, VarySize: true, SimStart: 1_700_000_000e9})
	if err != nil {
		t.Fatal(err)
	}
	var out []feed.Record
	for {
		var b feed.Batch
		err := g.Next(context.Background(), &b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Recs...)
	}
	for i := range out {
		r := &out[i]
		r.Publisher, r.Epoch = 7+uint64(i%3), 100
		r.Partition, r.Shard = uint32(i%8), uint16(i%2)
		r.Seq = uint64(i/8 + 1)
		r.SendTS = r.SourceTS + int64(i%1000)
	}
	return out
}

// writeFile writes recs to a capture in memory with small chunks.
func writeFile(t testing.TB, recs []feed.Record, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "mem", WriterConfig{ChunkSize: chunk, Created: 42, Meta: map[string]string{"source": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Append(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every readable chunk of a capture held in b.
func readAll(t testing.TB, b []byte) (*Reader, []feed.Record, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "mem")
	if err != nil {
		return nil, nil, err
	}
	var out []feed.Record
	for _, ci := range r.Chunks() {
		c := new(Chunk) // records alias the chunk: one per chunk here
		if err := r.ReadChunk(ci, c); err != nil {
			return r, out, err
		}
		if out, err = c.Decode(out); err != nil {
			return r, out, err
		}
	}
	return r, out, nil
}

func sameRecord(a, b *feed.Record) bool {
	return bytes.Equal(a.Topic, b.Topic) && bytes.Equal(a.Payload, b.Payload) && a.Kind == b.Kind &&
		a.Publisher == b.Publisher && a.Epoch == b.Epoch && a.Seq == b.Seq && a.SendTS == b.SendTS &&
		a.SourceTS == b.SourceTS && a.Partition == b.Partition && a.Shard == b.Shard
}

func TestRoundTrip(t *testing.T) {
	recs := testRecords(t, 5000, 1)
	file := writeFile(t, recs, 16<<10)
	f := func(name string, b []byte, indexed bool) {
		t.Helper()
		r, got, err := readAll(t, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Indexed() != indexed || len(r.Problems()) != 0 {
			t.Fatalf("%s: indexed %v (want %v), problems %v", name, r.Indexed(), indexed, r.Problems())
		}
		if len(got) != len(recs) {
			t.Fatalf("%s: %d records, want %d", name, len(got), len(recs))
		}
		for i := range recs {
			if !sameRecord(&got[i], &recs[i]) {
				t.Fatalf("%s: record %d\n got %v\nwant %v", name, i, &got[i], &recs[i])
			}
		}
		if h := r.Header(); h.Created != 42 || h.Meta["source"] != "test" {
			t.Fatalf("%s: header %+v", name, h)
		}
	}
	f("indexed", file, true)
	r, _, _ := readAll(t, file)
	if len(r.Chunks()) < 10 {
		t.Fatalf("only %d chunks; the test wants several", len(r.Chunks()))
	}
	var total int64
	for _, tc := range r.Topics() {
		total += tc.Records
	}
	if total != 5000 || len(r.Topics()) != 50 {
		t.Fatalf("index lists %d topics with %d records", len(r.Topics()), total)
	}
	// The same file without its index (writer killed between chunks), and
	// with a damaged index: the chunks are found by scanning.
	last := r.Chunks()[len(r.Chunks())-1]
	f("no index", file[:last.Offset+last.Size()], false)
	bad := bytes.Clone(file)
	bad[len(bad)-footerLen-3] ^= 0x10 // inside the compressed index
	rb, _, _ := readAll(t, bad)
	if rb.Indexed() || len(rb.Problems()) != 1 || rb.Problems()[0].Kind != KindIndex || rb.Err() != nil {
		t.Fatalf("damaged index: indexed %v problems %+v", rb.Indexed(), rb.Problems())
	}
}

// TestTruncated cuts a file at every length: whatever is left reads back
// exactly up to its last complete chunk, and the torn tail is reported at
// the offset where that chunk ends.
func TestTruncated(t *testing.T) {
	recs := testRecords(t, 600, 2)
	file := writeFile(t, recs, 4<<10)
	full, _, _ := readAll(t, file)
	chunks := full.Chunks()
	hdr := int64(full.Header().Len)
	nearBoundary := func(n int64) bool {
		for _, c := range chunks {
			if d := n - (c.Offset + c.Size()); d > -20 && d < 20 {
				return true
			}
		}
		return n < hdr+40 || n > int64(len(file))-60
	}
	for n := int64(0); n <= int64(len(file)); n++ {
		var (
			r   *Reader
			got []feed.Record
			err error
		)
		if nearBoundary(n) || n%61 == 0 {
			r, got, err = readAll(t, file[:n])
		} else {
			// Far from any boundary only the structure is checked (decoding
			// every prefix would make the test slow for little gain).
			r, err = NewReader(bytes.NewReader(file[:n]), n, "mem")
			if err == nil {
				got = make([]feed.Record, r.Records())
				copy(got, recs)
			}
		}
		if n < hdr {
			var e *Error
			if !errors.As(err, &e) || (e.Kind != KindTorn && e.Kind != KindForeign) || !strings.Contains(err.Error(), "mem") {
				t.Fatalf("cut at %d (inside the header): err %v", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		// Expected: the chunks that end at or before n.
		want, end := 0, hdr
		for _, c := range chunks {
			if c.Offset+c.Size() <= n {
				want += int(c.Records)
				end = c.Offset + c.Size()
			}
		}
		if len(got) != want {
			t.Fatalf("cut at %d: %d records, want %d", n, len(got), want)
		}
		for i := range got {
			if !sameRecord(&got[i], &recs[i]) {
				t.Fatalf("cut at %d: record %d differs", n, i)
			}
		}
		switch {
		case n == int64(len(file)):
			if !r.Indexed() || r.Err() != nil {
				t.Fatalf("whole file: indexed %v err %v", r.Indexed(), r.Err())
			}
		case n == end:
			if r.Err() != nil {
				t.Fatalf("cut at %d, a chunk boundary: %v", n, r.Err())
			}
		default:
			p := r.Problems()
			if len(p) != 1 || p[0].Kind != KindTorn || p[0].Offset != end || p[0].Bytes != n-end {
				t.Fatalf("cut at %d: problems %+v, want one torn tail at %d", n, p, end)
			}
			if !strings.Contains(r.Err().Error(), "torn") {
				t.Fatalf("cut at %d: error %q does not say torn", n, r.Err())
			}
		}
	}
}

// TestBitFlips flips one bit at a time across a whole file: the reader
// either reports the damage (by offset) or returns exactly the original
// records, never different data.
func TestBitFlips(t *testing.T) {
	recs := testRecords(t, 300, 3)
	file := writeFile(t, recs, 4<<10)
	step := 1
	if testing.Short() {
		step = 7
	}
	for i := 0; i < len(file); i += step {
		bit := byte(1) << (i % 8)
		b := bytes.Clone(file)
		b[i] ^= bit
		r, got, err := readAll(t, b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), "mem: offset") {
				t.Fatalf("flip at %d: error %v does not name the file and offset", i, err)
			}
			continue
		}
		if len(r.Problems()) > 0 {
			continue // reported; what was read is checked below all the same
		}
		if len(got) != len(recs) {
			t.Fatalf("flip at %d: no problem reported but %d of %d records", i, len(got), len(recs))
		}
		for k := range got {
			if !sameRecord(&got[k], &recs[k]) {
				t.Fatalf("flip at %d: record %d silently differs", i, k)
			}
		}
	}
}

func TestForeign(t *testing.T) {
	var e feed.Encoder
	e.Reset(nil, feed.Header{FirstSeq: 1})
	frame := e.Finish()
	for name, b := range map[string][]byte{
		"text":  []byte("date,symbol,price\n2024-01-02,MSFT,370.1\n"),
		"frame": frame,
		"zeros": make([]byte, 100),
		"short": []byte("BB"),
	} {
		_, err := NewReader(bytes.NewReader(b), int64(len(b)), name+".bbc")
		var re *Error
		if !errors.As(err, &re) || re.Kind != KindForeign || re.Offset != 0 || !strings.Contains(err.Error(), name+".bbc") {
			t.Errorf("%s: err %v, want a foreign-file error naming the file at offset 0", name, err)
		}
	}
}

// corruptChunk flips a byte in the middle of chunk i's records.
func corruptChunk(t *testing.T, file []byte, i int) ([]byte, ChunkInfo) {
	r, _, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Chunks()[i]
	b := bytes.Clone(file)
	b[c.Offset+c.Size()-int64(c.RecordsComp)/2] ^= 0xFF
	return b, c
}

func TestSourceSkipCorrupt(t *testing.T) {
	recs := testRecords(t, 3000, 4)
	file, bad := corruptChunk(t, writeFile(t, recs, 8<<10), 3)
	open := func() *Reader {
		r, err := NewReader(bytes.NewReader(file), int64(len(file)), "day.bbc")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	src, err := NewSource(SourceConfig{Files: []*Reader{open()}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := drainSource(src)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCorrupt || e.Offset < bad.Offset || e.Offset >= bad.Offset+bad.Size() || !strings.Contains(err.Error(), "day.bbc") {
		t.Fatalf("after %d records: err %v, want a corrupt-chunk error in chunk 3 (%d..%d) naming day.bbc", n, err, bad.Offset, bad.Offset+bad.Size())
	}
	for _, pre := range []bool{false, true} {
		var skipped []Problem
		src, _ = NewSource(SourceConfig{Files: []*Reader{open()}, SkipCorrupt: true, Preload: pre,
			OnSkip: func(_ string, p Problem) { skipped = append(skipped, p) }})
		n, err = drainSource(src)
		st := src.Stats()
		if err != nil || n != 3000-int(bad.Records) || st.CorruptChunks != 1 || st.SkippedCorrupt != int64(bad.Records) || len(skipped) != 1 ||
			len(src.Skipped()) != 1 || src.Skipped()[0] != skipped[0] {
			t.Fatalf("skip-corrupt (preload %v): %d records, err %v, stats %+v, skipped %+v", pre, n, err, st, skipped)
		}
	}
}

func drainSource(src *Source) (int, error) {
	defer src.Close()
	n := 0
	var b feed.Batch
	for {
		b.Reset()
		err := src.Next(context.Background(), &b)
		n += b.Len()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func TestSourceFilters(t *testing.T) {
	recs := testRecords(t, 4000, 5)
	file := writeFile(t, recs, 8<<10)
	r, err := NewReader(bytes.NewReader(file), int64(len(file)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	from, to := recs[1000].SourceTS, recs[3000].SourceTS
	sym := string(recs[10].Topic)
	wantWin, wantSym := 0, 0
	for i := range recs {
		if recs[i].SourceTS >= from && recs[i].SourceTS < to {
			wantWin++
			if string(recs[i].Topic) == sym {
				wantSym++
			}
		}
	}
	f := func(cfg SourceConfig, want int) {
		t.Helper()
		cfg.Files = []*Reader{r}
		src, err := NewSource(cfg)
		if err != nil {
			t.Fatal(err)
		}
		n, err := drainSource(src)
		st := src.Stats()
		loops := max(cfg.Loop, 1)
		if err != nil || n != want || st.Records != int64(want) || st.Records+st.SkippedWindow+st.SkippedSymbols != int64(4000*loops) && cfg.From == 0 {
			t.Fatalf("%+v: %d records (want %d), err %v, stats %+v", cfg, n, want, err, st)
		}
	}
	for _, pre := range []bool{false, true} {
		f(SourceConfig{Preload: pre}, 4000)
		f(SourceConfig{Loop: 3, Preload: pre}, 12000)
		f(SourceConfig{From: from, To: to, Preload: pre}, wantWin)
		f(SourceConfig{From: from, To: to, Symbols: []string{sym, "NOPE"}, Preload: pre}, wantSym)
		f(SourceConfig{Symbols: []string{"NOPE"}, Preload: pre}, 0)
		f(SourceConfig{Decoders: 3, Prefetch: 1, Loop: 2, Preload: pre}, 8000)
	}
	// Records come out in file order, whatever the decoders' timing.
	src, _ := NewSource(SourceConfig{Files: []*Reader{r}, Decoders: 3})
	defer src.Close()
	var b feed.Batch
	i := 0
	for {
		b.Reset()
		err := src.Next(context.Background(), &b)
		for k := range b.Recs {
			if !sameRecord(&b.Recs[k], &recs[i]) {
				t.Fatalf("record %d out of order or changed", i)
			}
			i++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSourceTimeline checks the paced replay's mapping of original time
// onto wall time (not the wall clock itself): interleaved timestamps never
// go backwards, and MaxSleep cuts long gaps.
func TestSourceTimeline(t *testing.T) {
	s := &Source{cfg: SourceConfig{Speed: 2, MaxSleep: time.Second}}
	base := int64(1_000_000_000_000)
	recs := testRecords(t, 5, 1)
	for i, ts := range []int64{base, base + 1e9, base + 5e8, base + 3601e9, base + 3602e9} {
		recs[i].SourceTS = ts
	}
	file := writeFile(t, recs, 1<<20)
	r, err := NewReader(bytes.NewReader(file), int64(len(file)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	s.cur = &loaded{}
	if err := r.ReadChunk(r.Chunks()[0], &s.cur.chunk); err != nil {
		t.Fatal(err)
	}
	s.cur.offs, _ = s.cur.chunk.Index(nil, nil)
	now := time.Unix(0, 0)
	if n := s.due(now, 5); n != 1 {
		t.Fatalf("at start %d records due, want 1", n)
	}
	s.pos = 1
	// At speed 2 the second record (1s later) is due 500ms in.
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{499 * time.Millisecond, 0}, {500 * time.Millisecond, 2}} {
		if n := s.due(now.Add(c.at), 4); n != c.want {
			t.Fatalf("at %v: %d due, want %d", c.at, n, c.want)
		}
	}
	s.pos = 3
	// An hour's gap is cut to MaxSleep (1s of wall time = 2s of original).
	if n := s.due(now.Add(1499*time.Millisecond), 2); n != 0 {
		t.Fatalf("gap not honoured up to MaxSleep: %d due", n)
	}
	if n := s.due(now.Add(1500*time.Millisecond), 2); n != 1 {
		t.Fatalf("gap not cut to MaxSleep: %d due", n)
	}
}

func TestRecorderRotates(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "day.bbc")
	rec, err := NewRecorder(RecorderConfig{Out: out, RotateBytes: 20 << 10, Writer: WriterConfig{ChunkSize: 8 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(t, 4000, 6)
	done := make(chan struct{})
	for shard := 0; shard < 2; shard++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := shard * 2000; i < (shard+1)*2000; i += 100 {
				b := feed.GetBatch()
				b.Recs = append(b.Recs, recs[i:i+100]...)
				rec.Deliver(shard, b)
			}
		}()
	}
	<-done
	<-done
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.Records != 4000 || len(st.Files) < 3 {
		t.Fatalf("stats %+v: want 4000 records over several files", st)
	}
	total := 0
	for i, name := range st.Files {
		if name != RotatedName(out, i) {
			t.Fatalf("file %d is %s, want %s", i, name, RotatedName(out, i))
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		r, got, err := readAll(t, b)
		if err != nil || !r.Indexed() {
			t.Fatalf("%s: err %v indexed %v", name, err, r.Indexed())
		}
		total += len(got)
	}
	if total != 4000 {
		t.Fatalf("files hold %d records, want 4000", total)
	}
}
