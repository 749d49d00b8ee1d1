package replay

// What bbox replay says: the closing report (PlayReport), the progress
// line, and the messages for damage skipped and for selections that
// select nothing. The messages name the command's flags (--from, --to,
// --symbols, --skip-corrupt, --wait-subs): they tell an operator what to
// change, and bbox replay is their one user.

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/shard"
)

// PlayReport is what a replay read and skipped: the "replay" object of
// bbox replay's JSON summary (docs/cli.md).
type PlayReport struct {
	Files          []string `json:"files"`
	Records        int64    `json:"records"`
	Bytes          int64    `json:"bytes"`
	Seconds        float64  `json:"seconds"`
	RecordsPerSec  float64  `json:"records_per_second"`
	BytesPerSec    float64  `json:"bytes_per_second"`
	Loops          int64    `json:"loops"`
	SkippedWindow  int64    `json:"skipped_window"`
	SkippedSymbols int64    `json:"skipped_symbols"`
	SkippedCorrupt int64    `json:"skipped_corrupt_records"`
	CorruptChunks  int64    `json:"corrupt_chunks"`
	SkippedBytes   int64    `json:"skipped_bytes"`
	// Chunks whole but out of place (docs/capture.md section 6), skipped
	// with --skip-corrupt.
	DuplicateChunks  int64     `json:"duplicate_chunks"`
	SkippedDuplicate int64     `json:"skipped_duplicate_records"` // played once from the original, not twice
	OrderChunks      int64     `json:"out_of_order_chunks"`
	SkippedOrder     int64     `json:"skipped_out_of_order_records"`
	MissingChunks    int64     `json:"missing_chunks"`
	TZ               string    `json:"tz"` // the zone of --from/--to
	PreloadBytes     int64     `json:"preload_bytes,omitempty"`
	PreloadSeconds   float64   `json:"preload_seconds,omitempty"`
	Problems         []Problem `json:"problems,omitempty"`
}

// NewPlayReport is the report of a replay of files that ran secs seconds
// (the publisher's clock), ended with st, skipped problems, and read its
// window in loc.
func NewPlayReport(files []string, st SourceStats, secs float64, problems []Problem, loc *time.Location) PlayReport {
	return PlayReport{Files: files, Records: st.Records, Bytes: st.WireBytes, Seconds: secs,
		RecordsPerSec: float64(st.Records) / secs, BytesPerSec: float64(st.WireBytes) / secs,
		Loops: st.Loops, SkippedWindow: st.SkippedWindow, SkippedSymbols: st.SkippedSymbols,
		SkippedCorrupt: st.SkippedCorrupt, CorruptChunks: st.CorruptChunks, SkippedBytes: st.TornBytes,
		DuplicateChunks: st.DuplicateChunks, SkippedDuplicate: st.SkippedDuplicate, OrderChunks: st.OrderChunks,
		SkippedOrder: st.SkippedOrder, MissingChunks: st.MissingChunks, TZ: loc.String(), Problems: problems,
		PreloadBytes: st.PreloadBytes, PreloadSeconds: st.PreloadTime.Seconds()}
}

// WriteText writes the tcpreplay-style head of the closing report: what
// was read and skipped, published records in all. What the publisher sent
// where follows it (the publisher's own lines).
func (r *PlayReport) WriteText(w io.Writer, published int64) {
	fmt.Fprintf(w, "replay: %s (%s bytes) published in %.2f seconds: %s records/s, %.1f MB/s\n",
		words.Count(published, "record", "records"), words.Group(r.Bytes), r.Seconds, words.RateFixed(r.RecordsPerSec), r.BytesPerSec/1e6)
	fmt.Fprintf(w, "  files     %s (%s)\n", strings.Join(r.Files, ", "), words.Count(r.Loops, "full pass", "full passes"))
	if r.PreloadBytes > 0 {
		fmt.Fprintf(w, "  preload   %s bytes decompressed into memory in %.2f seconds, before the replay\n", words.Group(r.PreloadBytes), r.PreloadSeconds)
	}
	var skipped []string
	if r.SkippedWindow > 0 {
		skipped = append(skipped, words.Count(r.SkippedWindow, "record", "records")+" outside --from/--to")
	}
	if r.SkippedSymbols > 0 {
		skipped = append(skipped, words.Count(r.SkippedSymbols, "record", "records")+" of other symbols")
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "  skipped   %s\n", strings.Join(skipped, ", "))
	}
	var damage []string
	if r.CorruptChunks > 0 || r.SkippedCorrupt > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s)", words.Count(r.CorruptChunks, "damaged chunk", "damaged chunks"),
			words.Count(r.SkippedCorrupt, "record", "records")))
	}
	if r.DuplicateChunks > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s played once, not twice)", words.Count(r.DuplicateChunks, "duplicated chunk", "duplicated chunks"),
			words.Count(r.SkippedDuplicate, "record", "records")))
	}
	if r.OrderChunks > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s)", words.Count(r.OrderChunks, "chunk out of order", "chunks out of order"),
			words.Count(r.SkippedOrder, "record", "records")))
	}
	if r.MissingChunks > 0 {
		damage = append(damage, words.Count(r.MissingChunks, "chunk", "chunks")+" missing from the file (records unknown)")
	}
	if r.SkippedBytes > 0 {
		damage = append(damage, words.Count(r.SkippedBytes, "unreadable byte", "unreadable bytes")+" skipped")
	}
	if len(damage) > 0 {
		fmt.Fprintf(w, "  damage    %s\n", strings.Join(damage, ", "))
	}
}

// ProgressLine is the replay status after el: a bar, records, rate (records
// per second lately) and ETA. A paced replay's ETA (known, from the
// recorded time still to play: Source.ETA) is given; otherwise it is
// extrapolated from the records done so far.
func ProgressLine(el time.Duration, st SourceStats, rate float64, paced time.Duration, known bool) string {
	if st.Total < 0 {
		return fmt.Sprintf("[%2.0fs] %s records, %s rec/s (looping until stopped)", el.Seconds(), words.Group(st.Records), words.RateFixed(rate))
	}
	frac := 1.0
	if st.Total > 0 {
		frac = min(float64(st.Done)/float64(st.Total), 1)
	}
	const width = 30
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "--"
	switch {
	case known:
		eta = paced.Round(time.Second).String()
	case st.Done > 0 && el > 0:
		eta = time.Duration(float64(st.Total-st.Done) / (float64(st.Done) / el.Seconds()) * 1e9).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%% %s/%s records  %s rec/s  ETA %s", bar, 100*frac, words.Group(st.Done), words.Group(st.Total),
		words.RateFixed(rate), eta)
}

// PlayedNothing reports a replay that played through (every selected
// record accounted for, or a whole pass done) and handed out no record:
// its filters fell between the records.
func (st SourceStats) PlayedNothing() bool {
	return st.Records == 0 && (st.Total >= 0 && st.Done >= st.Total || st.Loops > 0)
}

func recordsText(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return words.Group(n)
}

// SkipLine is the log line for a part of file that SkipCorrupt skips.
func SkipLine(file string, p Problem) string {
	what := fmt.Sprintf("%s records", recordsText(p.Records))
	switch p.Kind {
	case KindDuplicate:
		what = fmt.Sprintf("its %s played once, from the original", words.Count(p.Records, "record", "records"))
	case KindMissing:
		what = fmt.Sprintf("%s, records unknown", words.Count(p.MissingChunks, "chunk", "chunks"))
	}
	return fmt.Sprintf("skipped: %s: offset %d: %s (%s)", file, p.Offset, p.Detail, what)
}

// SkipHint says what --skip-corrupt would play of a damaged file.
func SkipHint(r *Reader) string {
	kinds := map[string]bool{}
	for _, p := range r.Problems() {
		kinds[p.Kind] = true
	}
	var also []string
	if kinds[KindDuplicate] {
		also = append(also, "without the duplicated chunks")
	}
	if kinds[KindOrder] {
		also = append(also, "without the chunks out of order")
	}
	tail := ""
	if len(also) > 0 {
		tail = ", " + strings.Join(also, " and ")
	}
	return fmt.Sprintf("%s with %s are readable: --skip-corrupt replays them%s",
		words.Count(len(r.Chunks()), "complete chunk", "complete chunks"), words.Count(r.Records(), "record", "records"), tail)
}

// filesText names the files of a message: all of them, or how many.
func filesText(files []string) string {
	if len(files) <= 3 {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%d files (%s ... %s)", len(files), files[0], files[len(files)-1])
}

// EmptySelection is the error for a window (from, to: the times as given,
// "" for an open side) and symbols that cannot select any record of the
// files, naming what they hold instead (times in loc, which zone names);
// "" when sel may hold records.
func EmptySelection(sel *Selection, files []string, from, to string, symbols []string, loc *time.Location, zone string) string {
	ts := func(ns int64) string { return time.Unix(0, ns).In(loc).Format("2006-01-02 15:04:05 MST") }
	window := ""
	if from != "" {
		window += " --from " + from
	}
	if to != "" {
		window += " --to " + to
	}
	verb := "holds"
	if len(files) > 1 {
		verb = "hold"
	}
	if sel.FirstTS == 0 && sel.LastTS == 0 {
		return "" // no readable chunk at all: the replay says it played nothing
	}
	holds := fmt.Sprintf("%s %s records from %s to %s (times in %s)", filesText(files), verb, ts(sel.FirstTS), ts(sel.LastTS), zone)
	if window != "" && sel.Chunks == 0 {
		return fmt.Sprintf("%s selects no record: %s", strings.TrimSpace(window), holds)
	}
	if len(symbols) > 0 && len(sel.Found) == 0 {
		where := filesText(files)
		if window != "" && !sel.WholeFiles {
			where += " within" + window
		}
		var some []string
		for _, t := range sel.Busiest {
			if t.Records >= 0 {
				some = append(some, t.Topic+" "+words.Group(t.Records))
			} else {
				some = append(some, t.Topic)
			}
		}
		there := "no symbol at all"
		if sel.Symbols > 0 {
			there = fmt.Sprintf("%s, e.g. %s", words.Count(sel.Symbols, "symbol", "symbols"), strings.Join(some, ", "))
		}
		name := "none of them is"
		if len(symbols) == 1 {
			name = "no such symbol"
		}
		return fmt.Sprintf("--symbols %s: %s in %s (it holds %s)", strings.Join(symbols, ","), name, where, there)
	}
	return ""
}

// MissingSymbols is the warning for symbols asked for that sel did not
// find in files, naming those it replays instead: "" when every one is
// there. (When none is, EmptySelection has refused the replay already.)
func MissingSymbols(sel *Selection, files []string) string {
	if len(sel.Missing) == 0 {
		return ""
	}
	return fmt.Sprintf("--symbols: %s not in %s; replaying %s", strings.Join(sel.Missing, ","), filesText(files), strings.Join(sel.Found, ","))
}

// NothingPlayed is the warning for a replay that played through and sent
// no record (SourceStats.PlayedNothing): the filters fell between the
// records.
func NothingPlayed(files []string, from, to string, symbols []string, st SourceStats) string {
	var f []string
	if from != "" {
		f = append(f, "--from "+from)
	}
	if to != "" {
		f = append(f, "--to "+to)
	}
	if len(symbols) > 0 {
		f = append(f, "--symbols "+strings.Join(symbols, ","))
	}
	if len(f) == 0 {
		return fmt.Sprintf("replayed nothing: %s hold no readable record (%s in damaged chunks)", filesText(files), words.Group(st.SkippedCorrupt))
	}
	filters := strings.Join(f, " ")
	return fmt.Sprintf("replayed nothing: no record of %s matches %s (%s outside the window, %s of other symbols, %s in damaged chunks)",
		filesText(files), filters, words.Group(st.SkippedWindow), words.Group(st.SkippedSymbols), words.Group(st.SkippedCorrupt))
}

// ShardCount is what one shard published, for Unheard.
type ShardCount struct {
	ID      int
	Records int64
}

// Unheard are the warnings for shards whose records reached no subscriber
// of conns; waitSubs is how many subscribers per shard the publisher
// waited for before starting (0: none).
func Unheard(shards []ShardCount, conns []shard.ConnStats, waitSubs int) []string {
	heard := map[int]bool{}
	for _, c := range conns {
		if c.Records > 0 {
			heard[c.Shard] = true
		}
	}
	hint := "--wait-subs N waits for N subscribers per shard before starting"
	if waitSubs > 0 {
		hint = "the subscribers waited for took none: their subscriptions match no partition of these records, or they left"
	}
	var none []string
	var lost int64
	for _, sh := range shards {
		if sh.Records > 0 && !heard[sh.ID] {
			none = append(none, fmt.Sprint(sh.ID))
			lost += sh.Records
		}
	}
	switch {
	case len(none) == 0:
		return nil
	case len(none) == len(shards):
		return []string{fmt.Sprintf("no subscriber received anything: the %s published went nowhere (%s)", words.Count(lost, "record", "records"), hint)}
	}
	which := "shard " + none[0] + ": its"
	if len(none) > 1 {
		which = "shards " + strings.Join(none, ", ") + ": their"
	}
	return []string{fmt.Sprintf("no subscriber received anything on %s %s went nowhere (%s)", which, words.Count(lost, "record", "records"), hint)}
}
