package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// genDay writes a generated day (America/New_York, 09:30 open) with small
// chunks and returns its path and chunks.
func genDay(t *testing.T, name string, records int, extra ...string) (string, []replay.ChunkInfo) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	args := append([]string{"gen", "--out", path, "--records", fmt.Sprint(records), "--symbols", "300", "--chunk-size", "64KiB"}, extra...)
	if code, _, errs := runIn(args...); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	r, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return path, r.Chunks()
}

// spliceFile writes the header of src, then src's chunks in order (a chunk
// may come twice, or not at all), then, with tail, src's index and footer.
func spliceFile(t *testing.T, src, dst string, cs []replay.ChunkInfo, order []int, tail bool) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(b[:cs[0].Offset])
	for _, i := range order {
		out = append(out, b[cs[i].Offset:cs[i].Offset+cs[i].Size()]...)
	}
	if tail {
		last := cs[len(cs)-1]
		out = append(out, b[last.Offset+last.Size():]...)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func order(n int, edit func([]int) []int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return edit(o)
}

// replayJSON mirrors the bbox replay --json keys the tests check.
type replayJSON struct {
	RecordsPublished int64    `json:"records_published"`
	Warnings         []string `json:"warnings"`
	Replay           struct {
		Records          int64  `json:"records"`
		Loops            int64  `json:"loops"`
		SkippedWindow    int64  `json:"skipped_window"`
		SkippedSymbols   int64  `json:"skipped_symbols"`
		DuplicateChunks  int64  `json:"duplicate_chunks"`
		SkippedDuplicate int64  `json:"skipped_duplicate_records"`
		OrderChunks      int64  `json:"out_of_order_chunks"`
		SkippedOrder     int64  `json:"skipped_out_of_order_records"`
		MissingChunks    int64  `json:"missing_chunks"`
		TZ               string `json:"tz"`
	} `json:"replay"`
}

func expect(t *testing.T, wantCode int, wantIn []string, args ...string) (string, string) {
	t.Helper()
	code, out, errs := runIn(args...)
	if code != wantCode {
		t.Fatalf("bbox %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, wantCode, out, errs)
	}
	for _, w := range wantIn {
		if !strings.Contains(out+errs, w) {
			t.Fatalf("bbox %s: output lacks %q:\n%s%s", strings.Join(args, " "), w, out, errs)
		}
	}
	return out, errs
}

// TestCaptureChunkNumbers: a capture with a chunk's bytes copied after it
// (the index left behind), or with two chunks swapped, is not healthy:
// inspect says where (exit 1), replay refuses it, and --skip-corrupt plays
// every record once, saying what it skipped.
func TestCaptureChunkNumbers(t *testing.T) {
	day, cs := genDay(t, "day.bbc", 20000)
	n := len(cs)
	dir := filepath.Dir(day)
	dup, swap := filepath.Join(dir, "dup.bbc"), filepath.Join(dir, "swap.bbc")
	spliceFile(t, day, dup, cs, order(n, func(o []int) []int { return append(o[:3:3], append([]int{2}, o[3:]...)...) }), true)
	spliceFile(t, day, swap, cs, order(n, func(o []int) []int { o[2], o[3] = o[3], o[2]; return o }), false)
	dupAt := cs[3].Offset  // the copy of chunk 2 stands where chunk 3 stood
	swapAt := cs[2].Offset // chunk 3, after chunk 1 (of two swapped, the reader keeps the later)
	bind := "tcp://127.0.0.1:0"

	out, _ := expect(t, 1, []string{dup, fmt.Sprintf("offset %d", dupAt), "duplicated chunk", "DAMAGED", "1 duplicated chunk"}, "inspect", dup, "--json")
	var ij struct {
		inspectJSON
		ChunksDuplicate int   `json:"chunks_duplicate"`
		RecordsLost     int64 `json:"records_lost"`
	}
	lastJSON(t, out, &ij)
	if ij.Health != "damaged" || ij.Records != 20000 || ij.ChunksDuplicate != 1 || ij.RecordsLost != 0 || ij.Chunks != n {
		t.Fatalf("inspect dup: %+v", ij)
	}
	expect(t, 1, []string{swap, fmt.Sprintf("offset %d", swapAt), "out of order", "DAMAGED"}, "inspect", swap)

	expect(t, 1, []string{dup, fmt.Sprintf("offset %d", dupAt), "duplicated chunk", "--skip-corrupt"}, "replay", dup, "--bind", bind, "--speed", "max")
	expect(t, 1, []string{swap, fmt.Sprintf("offset %d", swapAt), "out of order"}, "replay", swap, "--bind", bind, "--speed", "max")

	var rs replayJSON
	out, _ = expect(t, 0, []string{"skipped: " + dup, "1 duplicated chunk"}, "replay", dup, "--bind", bind, "--speed", "max", "--skip-corrupt", "--json")
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != 20000 || rs.Replay.DuplicateChunks != 1 || rs.Replay.SkippedDuplicate != int64(cs[2].Records) {
		t.Fatalf("dup --skip-corrupt: published %d of 20000, replay %+v", rs.RecordsPublished, rs.Replay)
	}
	out, _ = expect(t, 0, []string{"skipped: " + swap, "1 chunk out of order"}, "replay", swap, "--bind", bind, "--speed", "max", "--skip-corrupt", "--json")
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != 20000-int64(cs[3].Records) || rs.Replay.OrderChunks != 1 || rs.Replay.SkippedOrder != int64(cs[3].Records) {
		t.Fatalf("swap --skip-corrupt: published %d, replay %+v", rs.RecordsPublished, rs.Replay)
	}
}

// TestRecordTZ: a recording of a replayed New York day keeps the zone, so
// inspect shows 09:30 EST (not 14:30 UTC) and replay --from 09:30 plays
// what the original day holds from 09:30.
func TestRecordTZ(t *testing.T) {
	day, _ := genDay(t, "day.bbc", 50000)
	rec := filepath.Join(filepath.Dir(day), "rec.bbc")
	ep := tcpEndpoints(freePorts(t, 1)...)
	recP := startBBox(t, "record", "record", "--connect", ep, "--out", rec, "--exit-on-eos", "--json")
	code, rp := runBBox(t, 60*time.Second, "replay", day, "--bind", ep, "--speed", "max", "--wait-subs", "1", "--json")
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, rp.stderr.String())
	}
	var rs replayJSON
	rp.summary(&rs)
	if rs.RecordsPublished != 50000 || len(rs.Warnings) != 0 {
		t.Fatalf("replay with a subscriber: published %d, warnings %q", rs.RecordsPublished, rs.Warnings)
	}
	if code := recP.wait(30 * time.Second); code != 0 {
		t.Fatalf("record: exit %d", code)
	}
	var recJ struct {
		TZ string `json:"tz"`
	}
	recP.summary(&recJ)
	if s := recP.stdout.String() + recP.stderr.String(); !strings.Contains(s, "times in America/New_York") || strings.Contains(s, "(s)") || recJ.TZ != "America/New_York" {
		t.Fatalf("record's summary does not name the zone, or has a (s):\n%s", s)
	}
	out, _ := expect(t, 0, []string{"tz=America/New_York", "2024-01-02 09:30:00", "EST", "zone       America/New_York"}, "inspect", rec, "--json")
	var ij struct {
		TZ    string `json:"tz"`
		Files []struct {
			Meta map[string]string `json:"meta"`
		} `json:"files"`
	}
	lastJSON(t, out, &ij)
	if ij.TZ != "America/New_York" || ij.Files[0].Meta["tz"] != "America/New_York" {
		t.Fatalf("inspect: tz %q, meta %v", ij.TZ, ij.Files[0].Meta)
	}
	window := func(file string) int64 {
		out, _ := expect(t, 0, nil, "replay", file, "--bind", "tcp://127.0.0.1:0", "--speed", "max", "--from", "09:30", "--to", "09:45", "--json")
		var rs replayJSON
		lastJSON(t, out, &rs)
		if rs.Replay.TZ != "America/New_York" {
			t.Fatalf("replay %s: --from read in %q", file, rs.Replay.TZ)
		}
		return rs.RecordsPublished
	}
	if a, b := window(day), window(rec); a == 0 || a != b {
		t.Fatalf("--from 09:30 --to 09:45: the day plays %d records, its recording %d", a, b)
	}

	// --tz names the zone; Local is this box's zone by name, never "Local".
	expect(t, exitUsage, []string{"--tz"}, "record", "--connect", ep, "--out", filepath.Join(t.TempDir(), "x.bbc"), "--tz", "Mars/Olympus")
	t.Setenv("TZ", "Asia/Tokyo")
	if z, err := replay.SourceZone("Local"); err != nil || z != "Asia/Tokyo" {
		t.Fatalf("--tz Local with TZ=Asia/Tokyo: %q, %v", z, err)
	}
	if z, err := replay.SourceZone("Europe/London"); err != nil || z != "Europe/London" {
		t.Fatalf("--tz Europe/London: %q, %v", z, err)
	}
	tokyo, _ := genDay(t, "tokyo.bbc", 1000, "--tz", "Local")
	expect(t, 0, []string{"tz=Asia/Tokyo", "2024-01-02 09:30:00 JST"}, "inspect", tokyo)
}

// TestReplayPlaysNothing: filters that match no record, and a replay to
// no subscriber, say so; the first two exit 1 before anything starts.
func TestReplayPlaysNothing(t *testing.T) {
	day, _ := genDay(t, "day.bbc", 30000)
	bind := []string{"--bind", "tcp://127.0.0.1:0", "--speed", "max"}
	r, err := replay.Open(day)
	if err != nil {
		t.Fatal(err)
	}
	top := r.Topics()[0]
	for _, tc := range r.Topics() {
		if tc.Records > top.Records {
			top = tc
		}
	}
	r.Close()

	_, errs := expect(t, 1, []string{"--symbols NOSUCH", "no such symbol in " + day, "e.g. " + top.Topic}, append([]string{"replay", day, "--symbols", "NOSUCH"}, bind...)...)
	if strings.Contains(errs, "publisher") {
		t.Fatalf("the publisher started before the empty selection was reported:\n%s", errs)
	}
	expect(t, 1, []string{"--symbols NOSUCH,NOPE: none of them is in"}, append([]string{"replay", day, "--symbols", "NOSUCH,NOPE"}, bind...)...)
	out, _ := expect(t, 0, []string{"warning: --symbols: NOSUCH not in " + day}, append([]string{"replay", day, "--symbols", "NOSUCH," + top.Topic, "--json"}, bind...)...)
	var rs replayJSON
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != top.Records {
		t.Fatalf("--symbols NOSUCH,%s: published %d, want %d", top.Topic, rs.RecordsPublished, top.Records)
	}
	expect(t, 1, []string{"--from 17:00 selects no record", "2024-01-02 09:30:00 EST", "America/New_York, the file's zone"},
		append([]string{"replay", day, "--from", "17:00"}, bind...)...)
	expect(t, 1, []string{"--from 09:00 --to 09:30 selects no record"}, append([]string{"replay", day, "--from", "09:00", "--to", "09:30"}, bind...)...)
	// A zone the file is not in: the times of day shift, and the message shows the file's range in it.
	expect(t, 1, []string{"--from 02:00 --to 09:00 selects no record", "2024-01-02 14:30:00 UTC", "--tz UTC"},
		append([]string{"replay", day, "--from", "02:00", "--to", "09:00", "--tz", "UTC", "--symbols", top.Topic}, bind...)...)

	// A window that falls between two records of one chunk: nothing is
	// known to be empty before the replay, so it plays through and says so.
	gap := filepath.Join(filepath.Dir(day), "gap.bbc")
	ny, _ := time.LoadLocation("America/New_York")
	w, err := replay.Create(gap, replay.WriterConfig{Meta: map[string]string{"tz": "America/New_York"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, hm := range [][2]int{{9, 30}, {15, 0}} {
		ts := time.Date(2024, 1, 2, hm[0], hm[1], 0, 0, ny).UnixNano()
		if err := w.Append(&feed.Record{Topic: []byte([]string{"ABC", "XYZ"}[i]), Payload: []byte{byte(i)}, SourceTS: ts}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, _ = expect(t, 1, []string{"replayed nothing", "--from 12:00 --to 12:01"}, append([]string{"replay", gap, "--from", "12:00", "--to", "12:01", "--json"}, bind...)...)
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != 0 || rs.Replay.SkippedWindow != 2 || len(rs.Warnings) == 0 || !strings.Contains(rs.Warnings[0], "replayed nothing") {
		t.Fatalf("gap: published %d, skipped %d, warnings %q", rs.RecordsPublished, rs.Replay.SkippedWindow, rs.Warnings)
	}
	// A symbol in the file, but not in the window.
	expect(t, 1, []string{"replayed nothing", "--from 09:00 --to 10:00 --symbols XYZ"},
		append([]string{"replay", gap, "--from", "09:00", "--to", "10:00", "--symbols", "XYZ"}, bind...)...)
	// Looping until stopped over a selection that is empty ends too.
	expect(t, 1, []string{"replayed nothing"}, append([]string{"replay", gap, "--from", "12:00", "--to", "12:01", "--loop", "0"}, bind...)...)

	// Nobody listening: the records went nowhere, and the summary says so.
	out, _ = expect(t, 0, []string{"warning: no subscriber received anything", "--wait-subs"}, append([]string{"replay", day, "--json"}, bind...)...)
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != 30000 || len(rs.Warnings) != 1 || !strings.Contains(rs.Warnings[0], "30,000 records published went nowhere") {
		t.Fatalf("no subscriber: published %d, warnings %q", rs.RecordsPublished, rs.Warnings)
	}
}

// TestGenForce: gen, like record, replaces no file without --force; its
// JSON says both how many symbols the file holds and the universe.
func TestGenForce(t *testing.T) {
	day, _ := genDay(t, "day.bbc", 1000)
	before, _ := os.ReadFile(day)
	expect(t, 1, []string{day + " exists", "--force"}, "gen", "--out", day, "--records", "2000")
	if after, _ := os.ReadFile(day); !bytes.Equal(before, after) {
		t.Fatal("gen without --force changed the existing file")
	}
	out, _ := expect(t, 0, []string{"drawn from a universe of 8,000"}, "gen", "--out", day, "--records", "1000", "--force", "--json")
	var g feed.GenReport
	lastJSON(t, out, &g)
	out, _ = expect(t, 0, nil, "inspect", day, "--json")
	var ij inspectJSON
	lastJSON(t, out, &ij)
	if g.SymbolsUniverse != 8000 || g.SymbolsInFile != ij.Symbols || g.Symbols != ij.Symbols || g.SymbolsInFile >= 8000 || g.SymbolsInFile == 0 {
		t.Fatalf("gen: symbols %d, in file %d, universe %d; inspect: %d symbols", g.Symbols, g.SymbolsInFile, g.SymbolsUniverse, ij.Symbols)
	}
	// The same rule, and the same exit status, as record.
	rec := filepath.Join(t.TempDir(), "rec.bbc")
	os.WriteFile(rec, nil, 0o644)
	expect(t, 1, []string{rec + " exists", "--force"}, "record", "--connect", "tcp://127.0.0.1:1", "--out", rec)
}

// TestCaptureWording: one replay summary, and counts with the right noun.
func TestCaptureWording(t *testing.T) {
	day, cs := genDay(t, "day.bbc", 500)
	if len(cs) != 1 {
		t.Fatalf("%d chunks; want 1", len(cs))
	}
	out, errs := expect(t, 0, []string{"1 full pass)", "500 records"}, "replay", day, "--bind", "tcp://127.0.0.1:0", "--speed", "max")
	if n := strings.Count(out, "replay: "); n != 1 {
		t.Fatalf("%d replay summaries:\n%s", n, out)
	}
	gout, gerrs := expect(t, 0, []string{"in 1 chunk,"}, "gen", "--out", day, "--records", "500", "--force")
	iout, ierrs := expect(t, 0, []string{"1 chunk,", "in 1 chunk,", "ok: 1 of 1 chunk verified"}, "inspect", day)
	for _, s := range []string{out, errs, gout, gerrs, iout, ierrs} {
		if m := regexp.MustCompile(`\w\((s|es)\)|\b1 (chunks|passes|records|symbols|streams|gaps)\b`).FindString(s); m != "" {
			t.Fatalf("wording %q in:\n%s", m, s)
		}
	}
	if s := words.Count(2, "full pass", "full passes") + words.Count(1, "record", "records") + words.Count(1000, "chunk", "chunks"); s != "2 full passes1 record1,000 chunks" {
		t.Fatalf("words.Count: %q", s)
	}
}

// TestReplayReadmeExamples runs the replay lines of the README's "Record,
// generate and replay a trading day" block against the day its gen line
// makes (fewer records, and --speed max, so the test stays short): each
// must select records, as printed.
func TestReplayReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(readme)
	i := strings.Index(sec, "## Record, generate and replay a trading day")
	if i < 0 {
		t.Fatal("README has no 'Record, generate and replay a trading day' section")
	}
	sec = sec[i:]
	block := sec[strings.Index(sec, "```sh")+5:]
	block = block[:strings.Index(block, "```")]
	var genArgs []string
	var replays [][]string
	sc := bufio.NewScanner(strings.NewReader(block))
	for sc.Scan() {
		line := sc.Text()
		if j := strings.Index(line, "#"); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "bbox" {
			continue
		}
		switch f[1] {
		case "gen":
			genArgs = f[1:]
		case "replay":
			replays = append(replays, f[1:])
		}
	}
	if genArgs == nil || len(replays) < 2 {
		t.Fatalf("README block: gen %q, %d replay lines", genArgs, len(replays))
	}
	dir := t.TempDir()
	for k := range genArgs {
		switch {
		case genArgs[k] == "--records":
			genArgs[k+1] = "300000" // a shorter day: the same symbols are the busiest
		case genArgs[k] == "--out":
			genArgs[k+1] = filepath.Join(dir, genArgs[k+1])
		}
	}
	expect(t, 0, nil, genArgs...)
	for i, args := range replays {
		ep := tcpEndpoints(freePorts(t, 1)...)
		for k := range args {
			switch {
			case strings.HasSuffix(args[k], ".bbc"):
				args[k] = filepath.Join(dir, args[k])
			case k > 0 && args[k-1] == "--bind":
				args[k] = ep
			case k > 0 && args[k-1] == "--speed":
				args[k] = "max"
			}
		}
		if slices.Contains(args, "--wait-subs") {
			// The line waits for a subscriber: give it one.
			startBBox(t, "record", "record", "--connect", ep, "--out", filepath.Join(dir, fmt.Sprintf("rec%d.bbc", i)), "--exit-on-eos")
		}
		code, p := runBBox(t, 60*time.Second, append(args, "--json")...)
		if code != 0 {
			t.Fatalf("README: bbox %s: exit %d\n%s", strings.Join(args, " "), code, p.stderr.String())
		}
		var rs replayJSON
		p.summary(&rs)
		if rs.RecordsPublished == 0 {
			t.Fatalf("README: bbox %s plays nothing", strings.Join(args, " "))
		}
		t.Logf("bbox %s: %d records", strings.Join(args, " "), rs.RecordsPublished)
	}
}
