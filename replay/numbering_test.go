package replay

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// splice rebuilds a capture from the chunks of file: the header, then
// the chunks listed in order (indices into the file's chunks; a chunk may
// appear twice or not at all), then, with keepTail, the original index
// and footer (which then no longer match).
func splice(t testing.TB, file []byte, order []int, keepTail bool) []byte {
	t.Helper()
	r, _, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	cs := r.Chunks()
	out := bytes.Clone(file[:cs[0].Offset])
	for _, i := range order {
		out = append(out, file[cs[i].Offset:cs[i].Offset+cs[i].Size()]...)
	}
	if keepTail {
		last := cs[len(cs)-1]
		out = append(out, file[last.Offset+last.Size():]...)
	}
	return out
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestChunkNumbers: a chunk copied, moved, cut out or pasted from another
// file is whole and checksummed, so only its number gives it away; the
// reader reports it by offset and keeps every record exactly once.
func TestChunkNumbers(t *testing.T) {
	recs := testRecords(t, 3000, 11)
	file := writeFile(t, recs, 8<<10)
	r, _, _ := readAll(t, file)
	cs := r.Chunks()
	if len(cs) < 6 {
		t.Fatalf("%d chunks; the test wants at least 6", len(cs))
	}
	n := len(cs)
	// first record of each chunk, to know which records a chunk holds
	starts := []int{0}
	for _, c := range cs {
		starts = append(starts, starts[len(starts)-1]+int(c.Records))
	}
	without := func(skip ...int) []feed.Record {
		var out []feed.Record
		for i := 0; i < n; i++ {
			if !containsInt(skip, i) {
				out = append(out, recs[starts[i]:starts[i+1]]...)
			}
		}
		return out
	}
	other := writeFile(t, testRecords(t, 3000, 12), 8<<10) // another day: same chunk numbers, other contents
	ro, _, _ := readAll(t, other)
	oc := ro.Chunks()[1]
	pasted := splice(t, file, seq(0, 3), false)
	pasted = append(pasted, other[oc.Offset:oc.Offset+oc.Size()]...)
	pasted = append(pasted, splice(t, file, seq(3, n), false)[cs[0].Offset:]...)

	size := func(i int) int64 { return cs[i].Size() }
	at := func(order []int, k int) int64 { // offset of the k-th chunk of a spliced file
		off := cs[0].Offset
		for _, i := range order[:k] {
			off += size(i)
		}
		return off
	}
	oc7 := ro.Chunks()[n-1] // a high number pasted early must not make the chunks after it look out of order
	stray := splice(t, file, seq(0, 2), false)
	stray = append(stray, other[oc7.Offset:oc7.Offset+oc7.Size()]...)
	stray = append(stray, splice(t, file, seq(2, n-1), false)[cs[0].Offset:]...)
	dupOrder := append(append(seq(0, 3), 2), seq(3, n)...)
	swapOrder := append(append(seq(0, 2), 3, 2), seq(4, n)...)
	cutOrder := append(seq(0, 2), seq(3, n)...)
	for _, c := range []struct {
		name    string
		file    []byte
		kind    string
		off     int64
		records []feed.Record
		detail  string
	}{
		{"duplicate, unindexed", splice(t, file, dupOrder, false), KindDuplicate, at(dupOrder, 3), recs, "copy of the chunk at offset " + fmt.Sprint(cs[2].Offset)},
		{"duplicate, index left behind", splice(t, file, dupOrder, true), KindDuplicate, at(dupOrder, 3), recs, "would play twice"},
		{"duplicate at the end", splice(t, file, append(seq(0, n), 0), false), KindDuplicate, at(append(seq(0, n), 0), n), recs, "chunk 0"},
		// Of two swapped chunks either is the one out of place; the reader keeps the later.
		{"swapped", splice(t, file, swapOrder, false), KindOrder, at(swapOrder, 2), without(3), "chunk 3 (" + fmt.Sprint(cs[3].Records) + " records) out of order: it comes after chunk 1"},
		{"cut out", splice(t, file, cutOrder, false), KindMissing, at(cutOrder, 2), without(2), "chunk 3 follows chunk 1, so chunk 2 is not in the file"},
		{"first chunks cut", splice(t, file, seq(2, n), false), KindMissing, cs[0].Offset, without(0, 1), "chunk 2 follows the file header, so 2 chunks between 0 and 1"},
		{"from another file", pasted, KindOrder, cs[3].Offset, recs, "with other contents"},
		{"a high number from another file", stray, KindOrder, cs[2].Offset, without(n - 1), fmt.Sprintf("chunk %d (%d records) out of order: it comes after chunk 1", n-1, oc7.Records)},
	} {
		rd, got, err := readAll(t, c.file)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var e *Error
		if err := rd.Err(); !errors.As(err, &e) || e.Kind != c.kind || e.Offset != c.off || !strings.Contains(err.Error(), c.detail) {
			t.Fatalf("%s: Err() = %v (%+v), want %s at offset %d saying %q; problems %+v", c.name, err, e, c.kind, c.off, c.detail, rd.Problems())
		}
		if len(got) != len(c.records) {
			t.Fatalf("%s: %d records readable, want %d", c.name, len(got), len(c.records))
		}
		for i := range got {
			if !sameRecord(&got[i], &c.records[i]) {
				t.Fatalf("%s: record %d differs", c.name, i)
			}
		}
		for i := 1; i < len(rd.Chunks()); i++ {
			if rd.Chunks()[i].Number <= rd.Chunks()[i-1].Number {
				t.Fatalf("%s: chunks %d then %d kept", c.name, rd.Chunks()[i-1].Number, rd.Chunks()[i].Number)
			}
		}
	}
	// A header claiming a huge number costs no more than any other.
	huge := splice(t, file, seq(0, n), false)
	last := bytes.Clone(huge[cs[n-1].Offset : cs[n-1].Offset+cs[n-1].Size()])
	le.PutUint32(last[8:], 1<<31)
	le.PutUint32(last[76:], crc(last[:76]))
	huge = append(huge, last...)
	rd, got, err := readAll(t, huge)
	if err != nil || len(got) != len(recs)+int(cs[n-1].Records) || len(rd.Problems()) != 1 || rd.Problems()[0].Kind != KindMissing ||
		rd.Problems()[0].MissingChunks != 1<<31-int64(n) || rd.Problems()[0].Chunk != int64(n) {
		t.Fatalf("a chunk numbered 2^31 after %d chunks: %d records, err %v, problems %+v", n, len(got), err, rd.Problems())
	}
	// A chunk lost to a damaged header is reported as damaged, not also as missing.
	bad := splice(t, file, seq(0, n), false)
	bad[cs[2].Offset+10] ^= 1
	rd, _, _ = readAll(t, bad)
	for _, p := range rd.Problems() {
		if p.Kind != KindCorrupt {
			t.Fatalf("a damaged chunk header: problems %+v, want only the damage", rd.Problems())
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestSourceDuplicateChunk: a replay refuses a file with a duplicated
// chunk, or with SkipCorrupt plays every record once and counts the copy.
func TestSourceDuplicateChunk(t *testing.T) {
	recs := testRecords(t, 3000, 13)
	file := writeFile(t, recs, 8<<10)
	r0, _, _ := readAll(t, file)
	cs := r0.Chunks()
	dup := splice(t, file, append(append(seq(0, 4), 3), seq(4, len(cs))...), true)
	open := func() *Reader {
		r, err := NewReader(bytes.NewReader(dup), int64(len(dup)), "dup.bbc")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, err := NewSource(SourceConfig{Files: []*Reader{open()}}); err == nil || !strings.Contains(err.Error(), "dup.bbc: offset") {
		t.Fatalf("NewSource on a duplicated chunk: %v, want an error naming file and offset", err)
	}
	for _, pre := range []bool{false, true} {
		var skipped []Problem
		src, err := NewSource(SourceConfig{Files: []*Reader{open()}, SkipCorrupt: true, Preload: pre,
			OnSkip: func(_ string, p Problem) { skipped = append(skipped, p) }})
		if err != nil {
			t.Fatal(err)
		}
		n, err := drainSource(src)
		st := src.Stats()
		if err != nil || n != len(recs) || st.DuplicateChunks != 1 || st.SkippedDuplicate != int64(cs[3].Records) ||
			st.SkippedCorrupt != 0 || st.TornBytes != 0 || len(skipped) != 1 || skipped[0].Kind != KindDuplicate {
			t.Fatalf("preload %v: %d records (want %d), err %v, stats %+v, skipped %+v", pre, n, len(recs), err, st, skipped)
		}
	}
	rep, err := Inspect([]*Reader{open()}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Inspect([]*Reader{r0}, 3)
	if rep.Health != "damaged" || rep.Records != int64(len(recs)) || rep.Checksum != want.Checksum || rep.ChunksDuplicate != 1 ||
		rep.RecordsDup != int64(cs[3].Records) || rep.RecordsLost != 0 {
		t.Fatalf("inspect: health %s, %d records, checksum %s (want %s), %d duplicated with %d records, %d lost",
			rep.Health, rep.Records, rep.Checksum, want.Checksum, rep.ChunksDuplicate, rep.RecordsDup, rep.RecordsLost)
	}
}

// TestPacedETA: at a paced speed the ETA is the recorded time left over
// the speed, whatever the record rate so far; at a fixed rate, the
// records left at that rate.
func TestPacedETA(t *testing.T) {
	hour := int64(time.Hour)
	for _, c := range []struct {
		name        string
		st          SourceStats
		speed, rate float64
		want        time.Duration
		ok          bool
	}{
		// A 6.5-hour day at 1x, a minute in: the opening burst has played
		// a fifth of the records, the ETA is still 6h29m.
		{"1x, a minute in", SourceStats{PassSpan: 13 * hour / 2, Played: int64(time.Minute), Passes: 1, Pass: 1, Done: 200, Total: 1000}, 1, 0, 6*time.Hour + 29*time.Minute, true},
		{"10x, not started", SourceStats{PassSpan: 13 * hour / 2, Passes: 1, Total: 1000}, 10, 0, 39 * time.Minute, true},
		{"2x, second of three passes", SourceStats{PassSpan: hour, Played: hour / 2, Passes: 3, Pass: 2, Total: 3000}, 2, 0, 45 * time.Minute, true},
		{"2x, played past the span", SourceStats{PassSpan: hour, Played: 2 * hour, Passes: 1, Pass: 1, Total: 10}, 2, 0, 0, true},
		{"fixed rate", SourceStats{Done: 1000, Total: 61000, Passes: 1, Pass: 1}, 0, 1000, time.Minute, true},
		{"as fast as possible", SourceStats{PassSpan: hour, Passes: 1, Total: 10}, 0, 0, 0, false},
		{"looping forever", SourceStats{PassSpan: hour, Passes: -1, Total: -1}, 1, 0, 0, false},
	} {
		got, ok := paceETA(c.st, c.speed, c.rate)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: ETA %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}

	// The span of a real pass: two sessions a night apart, the night cut
	// by MaxSleep at the replay's speed.
	var day []feed.Record
	for i, ts := range []int64{0, hour, 2 * hour, 20 * hour, 21 * hour} {
		day = append(day, feed.Record{Topic: []byte("AB"), Payload: []byte{byte(i)}, SourceTS: 1e18 + ts})
	}
	file := writeFile(t, day, 1) // one record per chunk
	r, _, _ := readAll(t, file)
	for _, c := range []struct {
		maxSleep time.Duration
		speed    float64
		from, to int64
		want     int64
	}{
		{0, 1, 0, 0, 21 * hour},
		{time.Minute, 1, 0, 0, 4 * int64(time.Minute)}, // each of the four gaps cut to 1m
		{time.Minute, 60, 0, 0, 4 * hour},              // at 60x a 1m pause is 1h of recording: only the night is cut, to 1h
		{0, 1, 1e18 + hour, 1e18 + 20*hour, hour},      // 01:00 to before 20:00: the records at 1h and 2h
	} {
		src, err := NewSource(SourceConfig{Files: []*Reader{r}, Speed: c.speed, MaxSleep: c.maxSleep, From: c.from, To: c.to})
		if err != nil {
			t.Fatal(err)
		}
		if got := src.Stats().PassSpan; got != c.want {
			t.Errorf("max sleep %v at %vx, window [%d, %d): span %v, want %v", c.maxSleep, c.speed, c.from, c.to, time.Duration(got), time.Duration(c.want))
		}
		src.Close()
	}
}

// TestSourcePlayed: a paced replay's Played follows the recorded time of
// what it has handed out, so the ETA falls with recorded time.
func TestSourcePlayed(t *testing.T) {
	var day []feed.Record
	for i := 0; i < 20; i++ {
		day = append(day, feed.Record{Topic: []byte("AB"), Payload: []byte{byte(i)}, SourceTS: 1e18 + int64(i)*int64(time.Millisecond)})
	}
	file := writeFile(t, day, 1<<10)
	r, _, _ := readAll(t, file)
	src, err := NewSource(SourceConfig{Files: []*Reader{r}, Speed: 1, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if eta, ok := src.ETA(); !ok || eta != 19*time.Millisecond {
		t.Fatalf("before the start: ETA %v %v, want 19ms", eta, ok)
	}
	var b feed.Batch
	for i := 0; i < 11; i++ {
		b.Reset()
		if err := src.Next(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
	}
	st := src.Stats()
	last := b.Recs[len(b.Recs)-1].SourceTS
	if st.Played != last-day[0].SourceTS || st.Pass != 1 {
		t.Fatalf("after %d records: played %v, pass %d; want %v", st.Records, time.Duration(st.Played), st.Pass, time.Duration(last-day[0].SourceTS))
	}
	if eta, _ := src.ETA(); eta != time.Duration(day[19].SourceTS-last) {
		t.Fatalf("ETA %v, want %v", eta, time.Duration(day[19].SourceTS-last))
	}
}

// TestEmptyPassEnds: a loop until stopped whose selection matches no
// record ends after one pass instead of spinning.
func TestEmptyPassEnds(t *testing.T) {
	recs := testRecords(t, 500, 14)
	file := writeFile(t, recs, 4<<10)
	r, _, _ := readAll(t, file)
	src, err := NewSource(SourceConfig{Files: []*Reader{r}, Loop: -1, Symbols: []string{"NOSUCH"}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := drainSource(src)
	if n != 0 || err != nil || src.Stats().Loops != 1 {
		t.Fatalf("%d records, err %v, loops %d", n, err, src.Stats().Loops)
	}
}

// TestSelect: what a window and symbols select, known before replaying.
func TestSelect(t *testing.T) {
	recs := testRecords(t, 2000, 15)
	file := writeFile(t, recs, 8<<10)
	r, _, _ := readAll(t, file)
	first, last := r.Chunks()[0].FirstTS, r.Chunks()[len(r.Chunks())-1].LastTS
	sel := Select([]*Reader{r}, 0, 0, nil, 3)
	if sel.FirstTS != first || sel.LastTS != last || sel.Chunks != len(r.Chunks()) || sel.Records != 2000 || sel.Symbols != -1 {
		t.Fatalf("no filter: %+v", sel)
	}
	if sel := Select([]*Reader{r}, last+1, 0, nil, 3); sel.Chunks != 0 || sel.Records != 0 || sel.FirstTS != first {
		t.Fatalf("after the end: %+v", sel)
	}
	if sel := Select([]*Reader{r}, 0, first, nil, 3); sel.Chunks != 0 {
		t.Fatalf("before the start: %+v", sel)
	}
	top := r.Topics()[0].Topic
	sel = Select([]*Reader{r}, 0, 0, []string{"NOSUCH", top}, 3)
	if sel.Symbols != 50 || len(sel.Found) != 1 || sel.Found[0] != top || len(sel.Missing) != 1 || sel.Missing[0] != "NOSUCH" ||
		len(sel.Busiest) != 3 || sel.Busiest[0].Records < sel.Busiest[2].Records || sel.Busiest[0].Records <= 0 {
		t.Fatalf("symbols: %+v", sel)
	}
	// Unindexed: the same symbols from the dictionaries, without counts;
	// with a window, from the dictionaries of the chunks it overlaps.
	lastC := r.Chunks()[len(r.Chunks())-1]
	ru, _, _ := readAll(t, file[:lastC.Offset+lastC.Size()])
	c0 := r.Chunks()[0]
	var ch Chunk
	if err := r.ReadDict(c0, &ch); err != nil {
		t.Fatal(err)
	}
	in0 := string(ch.Topics()[0])
	sel = Select([]*Reader{ru}, c0.FirstTS, c0.LastTS, []string{in0}, 3)
	if sel.Chunks != 1 || sel.Symbols != len(ch.Topics()) || len(sel.Found) != 1 || sel.WholeFiles {
		t.Fatalf("unindexed, window of chunk 0 (%d topics): %+v", len(ch.Topics()), sel)
	}
	if sel := Select([]*Reader{r}, c0.FirstTS, c0.LastTS, []string{in0}, 3); sel.Chunks != 1 || sel.Symbols != 50 || !sel.WholeFiles {
		t.Fatalf("indexed, window of chunk 0: %+v", sel)
	}
	sel = Select([]*Reader{ru}, 0, 0, []string{"NOSUCH"}, 3)
	if sel.Symbols != 50 || len(sel.Found) != 0 || len(sel.Busiest) != 3 || sel.Busiest[0].Records != -1 {
		t.Fatalf("unindexed: %+v", sel)
	}
}
