package replay

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// TestProgressLine: the progress line of a paced replay shows the ETA from
// the recorded time left, not from the records so far.
func TestProgressLine(t *testing.T) {
	st := SourceStats{Records: 200, Done: 200, Total: 1000}
	// 200 of 1,000 records in a minute would extrapolate to 4 minutes.
	if l := ProgressLine(time.Minute, st, 3.4, 6*time.Hour+29*time.Minute, true); !strings.Contains(l, "ETA 6h29m0s") || !strings.Contains(l, " 20% 200/1,000 records") {
		t.Fatalf("paced: %q", l)
	}
	if l := ProgressLine(time.Minute, st, 0, 0, false); !strings.Contains(l, "ETA 4m0s") {
		t.Fatalf("as fast as possible: %q", l)
	}
	if l := ProgressLine(2*time.Second, SourceStats{Records: 1500, Total: -1}, 1500, 0, false); l != "[ 2s] 1,500 records, 1.5k rec/s (looping until stopped)" {
		t.Fatalf("looping: %q", l)
	}
}

// TestUnheard: the warning names the shards no subscriber heard, and says
// nothing when every shard was heard.
func TestUnheard(t *testing.T) {
	shards := []ShardCount{{ID: 0, Records: 10}, {ID: 1, Records: 20}, {ID: 2, Records: 5}}
	conns := []shard.ConnStats{{Shard: 1, Records: 20}, {Shard: 0, Records: 0}}
	w := Unheard(shards, conns, 0)
	if len(w) != 1 || !strings.Contains(w[0], "shards 0, 2: their 15 records went nowhere") || !strings.Contains(w[0], "--wait-subs") {
		t.Fatalf("%q", w)
	}
	conns = append(conns, shard.ConnStats{Shard: 0, Records: 10}, shard.ConnStats{Shard: 2, Records: 1})
	if w := Unheard(shards, conns, 1); len(w) != 0 {
		t.Fatalf("every shard heard: %q", w)
	}
	if w := Unheard(shards, nil, 1); len(w) != 1 || !strings.Contains(w[0], "the 35 records published went nowhere") || !strings.Contains(w[0], "subscribers waited for took none") {
		t.Fatalf("none heard, after --wait-subs: %q", w)
	}
	if w := Unheard(shards[:2], conns[:1], 0); len(w) != 1 || !strings.Contains(w[0], "shard 0: its 10 records went nowhere") {
		t.Fatalf("one shard unheard: %q", w)
	}
}

// TestPlayReportText: the head of the closing report counts with the right
// noun and lists only the skips and damage that happened.
func TestPlayReportText(t *testing.T) {
	st := SourceStats{Records: 1, WireBytes: 2000, Loops: 1, SkippedWindow: 3, CorruptChunks: 1, SkippedCorrupt: 40,
		DuplicateChunks: 1, SkippedDuplicate: 7, MissingChunks: 2, TornBytes: 1}
	rep := NewPlayReport([]string{"a.bbc", "b.bbc"}, st, 2, nil, time.UTC)
	if rep.RecordsPerSec != 0.5 || rep.BytesPerSec != 1000 || rep.TZ != "UTC" {
		t.Fatalf("report %+v", rep)
	}
	var b bytes.Buffer
	rep.WriteText(&b, 1)
	want := "replay: 1 record (2,000 bytes) published in 2.00 seconds: 0 records/s, 0.0 MB/s\n" +
		"  files     a.bbc, b.bbc (1 full pass)\n" +
		"  skipped   3 records outside --from/--to\n" +
		"  damage    1 damaged chunk skipped (40 records), 1 duplicated chunk skipped (7 records played once, not twice), " +
		"2 chunks missing from the file (records unknown), 1 unreadable byte skipped\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	if !(SourceStats{Done: 5, Total: 5}).PlayedNothing() || (SourceStats{Done: 4, Total: 5}).PlayedNothing() ||
		!(SourceStats{Total: -1, Loops: 1}).PlayedNothing() || (SourceStats{Records: 1, Done: 5, Total: 5}).PlayedNothing() {
		t.Fatal("PlayedNothing")
	}
}

// TestSelectionMessages: a window or symbols that select nothing name what
// the files hold; a selection that may hold records says nothing.
func TestSelectionMessages(t *testing.T) {
	day := time.Date(2024, 1, 2, 14, 30, 0, 0, time.UTC).UnixNano()
	sel := &Selection{FirstTS: day, LastTS: day + int64(time.Hour), Symbols: 2, WholeFiles: true,
		Busiest: []TopicCount{{"AAPL", 5}, {"MSFT", -1}}}
	files := []string{"a", "b", "c", "d"}
	if m := EmptySelection(sel, files, "09:00", "", nil, time.UTC, "UTC"); m != "--from 09:00 selects no record: 4 files (a ... d) hold records from 2024-01-02 14:30:00 UTC to 2024-01-02 15:30:00 UTC (times in UTC)" {
		t.Fatalf("window: %q", m)
	}
	sel.Chunks = 1
	if m := EmptySelection(sel, files[:1], "", "", []string{"X"}, time.UTC, "UTC"); m != "--symbols X: no such symbol in a (it holds 2 symbols, e.g. AAPL 5, MSFT)" {
		t.Fatalf("symbols: %q", m)
	}
	if m := EmptySelection(sel, files[:1], "", "", nil, time.UTC, "UTC"); m != "" {
		t.Fatalf("whole files: %q", m)
	}
	if m := NothingPlayed(files[:2], "", "10:00", []string{"X", "Y"}, SourceStats{SkippedWindow: 1000}); m != "replayed nothing: no record of a, b matches --to 10:00 --symbols X,Y (1,000 outside the window, 0 of other symbols, 0 in damaged chunks)" {
		t.Fatalf("nothing played: %q", m)
	}
	sel.Found, sel.Missing = []string{"AAPL"}, []string{"X", "Y"}
	if m := MissingSymbols(sel, files); m != "--symbols: X,Y not in 4 files (a ... d); replaying AAPL" {
		t.Fatalf("missing symbols: %q", m)
	}
	if m := MissingSymbols(&Selection{Found: []string{"AAPL"}}, files); m != "" {
		t.Fatalf("none missing: %q", m)
	}
	if l := SkipLine("a", Problem{Offset: 9, Kind: KindMissing, MissingChunks: 1, Detail: "gap"}); l != "skipped: a: offset 9: gap (1 chunk, records unknown)" {
		t.Fatalf("skip line: %q", l)
	}
}
