package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/replay"
)

// countOf is "1 chunk", "2 chunks", "1,024 records": a count and its noun
// in the right number. plural "" means singular + "s".
func countOf(n int64, singular, plural string) string {
	if plural == "" {
		plural = singular + "s"
	}
	if n == 1 {
		return commas(n) + " " + singular
	}
	return commas(n) + " " + plural
}

// progressLine is the replay status: a bar, records, rate and ETA. A
// paced replay's ETA (known, from the recorded time still to play) is
// given; otherwise it is extrapolated from the records done so far.
func progressLine(el time.Duration, st replay.SourceStats, r *rater, paced time.Duration, known bool) string {
	rate := r.rate(st.Records)
	if st.Total < 0 {
		return fmt.Sprintf("[%2.0fs] %s records, %s rec/s (looping until stopped)", el.Seconds(), commas(st.Records), human(rate))
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
	return fmt.Sprintf("[%s] %3.0f%% %s/%s records  %s rec/s  ETA %s", bar, 100*frac, commas(st.Done), commas(st.Total), human(rate), eta)
}

// replaySummary is the JSON summary of bbox replay: the publisher's keys
// (CLI.md) plus what the replay read and skipped.
type replaySummary struct {
	summary
	Replay replayReport `json:"replay"`
}

type replayReport struct {
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
	DuplicateChunks  int64            `json:"duplicate_chunks"`
	SkippedDuplicate int64            `json:"skipped_duplicate_records"` // played once from the original, not twice
	OrderChunks      int64            `json:"out_of_order_chunks"`
	SkippedOrder     int64            `json:"skipped_out_of_order_records"`
	MissingChunks    int64            `json:"missing_chunks"`
	TZ               string           `json:"tz"` // the zone of --from/--to
	PreloadBytes     int64            `json:"preload_bytes,omitempty"`
	PreloadSeconds   float64          `json:"preload_seconds,omitempty"`
	Problems         []replay.Problem `json:"problems,omitempty"`
}

func newReplayReport(files []string, st replay.SourceStats, secs float64, problems []replay.Problem, loc *time.Location) replayReport {
	return replayReport{Files: files, Records: st.Records, Bytes: st.WireBytes, Seconds: secs,
		RecordsPerSec: float64(st.Records) / secs, BytesPerSec: float64(st.WireBytes) / secs,
		Loops: st.Loops, SkippedWindow: st.SkippedWindow, SkippedSymbols: st.SkippedSymbols,
		SkippedCorrupt: st.SkippedCorrupt, CorruptChunks: st.CorruptChunks, SkippedBytes: st.TornBytes,
		DuplicateChunks: st.DuplicateChunks, SkippedDuplicate: st.SkippedDuplicate, OrderChunks: st.OrderChunks,
		SkippedOrder: st.SkippedOrder, MissingChunks: st.MissingChunks, TZ: loc.String(), Problems: problems,
		PreloadBytes: st.PreloadBytes, PreloadSeconds: st.PreloadTime.Seconds()}
}

// summaryBreak starts a closing summary on a line of its own where a
// progress bar or status line may still be on the terminal; off a
// terminal the summary is stdout's first line.
func summaryBreak(e *env, w io.Writer) {
	if e.stderrTTY {
		fmt.Fprintln(w)
	}
}

// breakFirst writes an empty line before the first write: the summary
// summaryBreak gives, for a report written in pieces.
type breakFirst struct {
	w    io.Writer
	done bool
}

func (b *breakFirst) Write(p []byte) (int, error) {
	if !b.done {
		b.done = true
		if _, err := io.WriteString(b.w, "\n"); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// printReplay is the one tcpreplay-style closing report: what was read
// and skipped, then what the publisher sent where.
func printReplay(w io.Writer, r *replayReport, s *summary) {
	fmt.Fprintf(w, "replay: %s (%s bytes) published in %.2f seconds: %s records/s, %.1f MB/s\n",
		countOf(s.RecordsPublished, "record", ""), commas(r.Bytes), r.Seconds, human(r.RecordsPerSec), r.BytesPerSec/1e6)
	fmt.Fprintf(w, "  files     %s (%s)\n", strings.Join(r.Files, ", "), countOf(r.Loops, "full pass", "full passes"))
	if r.PreloadBytes > 0 {
		fmt.Fprintf(w, "  preload   %s bytes decompressed into memory in %.2f seconds, before the replay\n", commas(r.PreloadBytes), r.PreloadSeconds)
	}
	var skipped []string
	if r.SkippedWindow > 0 {
		skipped = append(skipped, countOf(r.SkippedWindow, "record", "")+" outside --from/--to")
	}
	if r.SkippedSymbols > 0 {
		skipped = append(skipped, countOf(r.SkippedSymbols, "record", "")+" of other symbols")
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "  skipped   %s\n", strings.Join(skipped, ", "))
	}
	var damage []string
	if r.CorruptChunks > 0 || r.SkippedCorrupt > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s)", countOf(r.CorruptChunks, "damaged chunk", ""), countOf(r.SkippedCorrupt, "record", "")))
	}
	if r.DuplicateChunks > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s played once, not twice)", countOf(r.DuplicateChunks, "duplicated chunk", ""),
			countOf(r.SkippedDuplicate, "record", "")))
	}
	if r.OrderChunks > 0 {
		damage = append(damage, fmt.Sprintf("%s skipped (%s)", countOf(r.OrderChunks, "chunk out of order", "chunks out of order"),
			countOf(r.SkippedOrder, "record", "")))
	}
	if r.MissingChunks > 0 {
		damage = append(damage, countOf(r.MissingChunks, "chunk", "")+" missing from the file (records unknown)")
	}
	if r.SkippedBytes > 0 {
		damage = append(damage, countOf(r.SkippedBytes, "unreadable byte", "")+" skipped")
	}
	if len(damage) > 0 {
		fmt.Fprintf(w, "  damage    %s\n", strings.Join(damage, ", "))
	}
	for _, sh := range s.Shards {
		fmt.Fprintf(w, "  shard %d  %12s records  %s\n", sh.ID, commas(sh.Records), sh.Endpoint)
	}
	for _, c := range s.Connections {
		fmt.Fprintf(w, "  subscriber %-21s shard %d  %12s records  dropped %s  (%s)\n", c.Peer, c.Shard, commas(c.Records), commas(c.DroppedRecords), c.State)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

func recordsText(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return commas(n)
}

// skipLine is the log line for a part of a file --skip-corrupt skips.
func skipLine(file string, p replay.Problem) string {
	what := fmt.Sprintf("%s records", recordsText(p.Records))
	switch p.Kind {
	case replay.KindDuplicate:
		what = fmt.Sprintf("its %s played once, from the original", countOf(p.Records, "record", ""))
	case replay.KindMissing:
		what = fmt.Sprintf("%s, records unknown", countOf(p.MissingChunks, "chunk", ""))
	}
	return fmt.Sprintf("skipped: %s: offset %d: %s (%s)", file, p.Offset, p.Detail, what)
}

// skipHint says what --skip-corrupt would play of a damaged file.
func skipHint(r *replay.Reader) string {
	kinds := map[string]bool{}
	for _, p := range r.Problems() {
		kinds[p.Kind] = true
	}
	var also []string
	if kinds[replay.KindDuplicate] {
		also = append(also, "without the duplicated chunks")
	}
	if kinds[replay.KindOrder] {
		also = append(also, "without the chunks out of order")
	}
	tail := ""
	if len(also) > 0 {
		tail = ", " + strings.Join(also, " and ")
	}
	return fmt.Sprintf("%s with %s are readable: --skip-corrupt replays them%s",
		countOf(int64(len(r.Chunks())), "complete chunk", ""), countOf(r.Records(), "record", ""), tail)
}

// filesText names the files of a message: all of them, or how many.
func filesText(files []string) string {
	if len(files) <= 3 {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%d files (%s ... %s)", len(files), files[0], files[len(files)-1])
}

// emptySelection is the error for --from/--to and --symbols that cannot
// select any record of the files, naming what they hold instead; "" when
// the selection may hold records.
func emptySelection(sel *replay.Selection, files []string, from, to string, symbols []string, loc *time.Location, zone string) string {
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
				some = append(some, t.Topic+" "+commas(t.Records))
			} else {
				some = append(some, t.Topic)
			}
		}
		there := "no symbol at all"
		if sel.Symbols > 0 {
			there = fmt.Sprintf("%s, e.g. %s", countOf(int64(sel.Symbols), "symbol", ""), strings.Join(some, ", "))
		}
		name := "none of them is"
		if len(symbols) == 1 {
			name = "no such symbol"
		}
		return fmt.Sprintf("--symbols %s: %s in %s (it holds %s)", strings.Join(symbols, ","), name, where, there)
	}
	return ""
}

// nothingPlayed is the warning for a replay that played through and sent
// no record: the filters fell between the records.
func nothingPlayed(files []string, from, to string, symbols []string, st replay.SourceStats) string {
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
		return fmt.Sprintf("replayed nothing: %s hold no readable record (%s in damaged chunks)", filesText(files), commas(st.SkippedCorrupt))
	}
	filters := strings.Join(f, " ")
	return fmt.Sprintf("replayed nothing: no record of %s matches %s (%s outside the window, %s of other symbols, %s in damaged chunks)",
		filesText(files), filters, commas(st.SkippedWindow), commas(st.SkippedSymbols), commas(st.SkippedCorrupt))
}

// unheard are the warnings for shards whose records reached no subscriber.
func unheard(s *summary, waitSubs int) []string {
	heard := map[int]bool{}
	for _, c := range s.Connections {
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
	for _, sh := range s.Shards {
		if sh.Records > 0 && !heard[sh.ID] {
			none = append(none, fmt.Sprint(sh.ID))
			lost += sh.Records
		}
	}
	switch {
	case len(none) == 0:
		return nil
	case len(none) == len(s.Shards):
		return []string{fmt.Sprintf("no subscriber received anything: the %s published went nowhere (%s)", countOf(lost, "record", ""), hint)}
	}
	which := "shard " + none[0] + ": its"
	if len(none) > 1 {
		which = "shards " + strings.Join(none, ", ") + ": their"
	}
	return []string{fmt.Sprintf("no subscriber received anything on %s %s went nowhere (%s)", which, countOf(lost, "record", ""), hint)}
}
