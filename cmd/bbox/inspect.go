package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "describe capture files: records, symbols, time range, rate per minute, compression, chunk health",
		usage:   "FILE [FILE...] [--json]",
		run:     runInspect,
	})
}

// inspectReport is bbox inspect's JSON summary: replay.Report (its keys
// include CLI.md's records, symbols, first_ts, last_ts, bytes,
// compressed_bytes, chunks) plus the command name.
type inspectReport struct {
	Command string `json:"command"`
	TZ      string `json:"tz"` // the zone of the times shown
	*replay.Report
}

func runInspect(ctx context.Context, e *env, args []string) int {
	c := commands["inspect"]
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line of stdout")
	top := fs.Int("top", 10, "list this many of the busiest symbols")
	tz := fs.String("tz", "", "time zone for times shown (default: the file's own, else UTC)")
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one capture file")
	}
	if code, done := inspectExchange(ctx, e, c, files, *asJSON, *top, *tz); done { // ITCH files, pcaps
		return code
	}
	readers, err := replay.OpenFiles(files)
	if err != nil {
		return fail(e, c, err)
	}
	defer readers.Close()
	loc, err := replay.Zone(*tz, readers.Meta())
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	rep, err := replay.Inspect(readers, *top)
	if err != nil {
		return fail(e, c, err)
	}
	out := e.stdout
	if *asJSON {
		out = e.stderr
	}
	printInspect(out, rep, loc, zoneNote(*tz, readers.Meta()))
	if *asJSON {
		writeJSON(e.stdout, inspectReport{Command: "inspect", TZ: loc.String(), Report: rep})
	}
	// Damage is an error (exit 1), named by file and offset on stderr; a
	// file that was merely not closed (no index, nothing lost) is not.
	code = exitOK
	for _, p := range rep.Problems {
		if p.Kind == replay.KindIndex {
			continue
		}
		fmt.Fprintf(e.stderr, "bbox inspect: %v\n", p.Err(p.File))
		code = exitError
	}
	return code
}

func printInspect(w io.Writer, r *replay.Report, loc *time.Location, zone string) {
	ts := func(ns int64, layout string) string { return time.Unix(0, ns).In(loc).Format(layout) }
	for _, f := range r.Files {
		state := "closed cleanly (indexed)"
		if !f.Indexed {
			state = "not closed cleanly (no index: chunks found by scanning)"
			for _, p := range r.Problems {
				if p.File == f.Name && p.Kind == replay.KindIndex {
					state = "index damaged (chunks found by scanning)"
				}
			}
		}
		var meta []string
		for k, v := range f.Meta {
			meta = append(meta, k+"="+v)
		}
		sort.Strings(meta)
		fmt.Fprintf(w, "%s: bbox capture v%d, %s bytes, %s, %s\n", f.Name, replay.Version, commas(f.Bytes),
			countOf(int64(f.Chunks), "chunk", ""), state)
		fmt.Fprintf(w, "  created    %s   %s\n", ts(f.Created, "2006-01-02 15:04:05 MST"), strings.Join(meta, " "))
	}
	fmt.Fprintf(w, "  records    %s in %s, %s\n", commas(r.Records), countOf(int64(r.Chunks), "chunk", ""), countOf(int64(r.Symbols), "symbol", ""))
	fmt.Fprintf(w, "  zone       %s\n", zone)
	if r.Records > 0 {
		fmt.Fprintf(w, "  time       %s → %s (%v)\n", ts(r.FirstTS, "2006-01-02 15:04:05.000"), ts(r.LastTS, "15:04:05.000 MST"),
			time.Duration(r.LastTS-r.FirstTS).Round(time.Millisecond))
	}
	inFiles := "the file"
	if len(r.Files) > 1 {
		inFiles = fmt.Sprintf("the %d files", len(r.Files))
	}
	fmt.Fprintf(w, "  bytes      %s on the wire, %s in %s: %.2f:1 (%s uncompressed in chunks)\n",
		commas(r.Bytes), commas(r.CompressedBytes), inFiles, r.Ratio, commas(r.RawBytes))
	rs := r.RatePerMinute
	if len(rs.Minutes) > 0 {
		fmt.Fprintf(w, "  per minute mean %s, peak %s at %s, quietest %s at %s\n", commas(int64(rs.Mean+0.5)),
			commas(rs.Peak), ts(rs.PeakTS, "15:04"), commas(rs.Min), ts(rs.MinTS, "15:04"))
		printRateBars(w, rs, loc)
	}
	if len(r.Kinds) > 0 {
		var ks []string
		for k := range r.Kinds {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		fmt.Fprintf(w, "  kinds     ")
		for _, k := range ks {
			fmt.Fprintf(w, " %s %.1f%%", k, 100*float64(r.Kinds[k])/float64(r.Records))
		}
		fmt.Fprintln(w)
	}
	if len(r.TopSymbols) > 0 {
		fmt.Fprintf(w, "  busiest   ")
		for _, t := range r.TopSymbols {
			fmt.Fprintf(w, " %s %s", t.Topic, commas(t.Records))
		}
		fmt.Fprintln(w)
	}
	sq := r.Sequences
	switch {
	case !sq.Sequenced:
		fmt.Fprintf(w, "  sequences  none (generated or not yet published)\n")
	case sq.Gaps == 0 && sq.OutOfOrder == 0:
		fmt.Fprintf(w, "  sequences  %s, contiguous: nothing lost while recording\n", countOf(int64(sq.Streams), "stream", ""))
	default:
		fmt.Fprintf(w, "  sequences  %s: %s, %s missing, %d out of order\n", countOf(int64(sq.Streams), "stream", ""),
			countOf(sq.Gaps, "gap", ""), countOf(sq.Missing, "record", ""), sq.OutOfOrder)
	}
	fmt.Fprintf(w, "  checksum   %s (topic, sequence, payload; order-independent)\n", r.Checksum)
	switch r.Health {
	case "ok":
		fmt.Fprintf(w, "  health     ok: %s of %s verified\n", commas(int64(r.ChunksOK)), countOf(int64(r.Chunks), "chunk", ""))
	case "unclosed":
		why := "the writer stopped between chunks and lost nothing written"
		for _, p := range r.Problems {
			if p.Kind == replay.KindIndex {
				why = "the index is damaged, the chunks were found by scanning and nothing is lost"
			}
		}
		fmt.Fprintf(w, "  health     ok, unclosed: %s of %s verified; %s\n", commas(int64(r.ChunksOK)), countOf(int64(r.Chunks), "chunk", ""), why)
	default:
		fmt.Fprintf(w, "  health     DAMAGED: %s\n", damageText(r))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "    %s offset %d (%s bytes): %s: %s\n", p.File, p.Offset, commas(p.Bytes), p.Kind, p.Detail)
	}
}

// printRateBars draws the day in at most 26 rows of equal spans.
func printRateBars(w io.Writer, rs replay.RateStats, loc *time.Location) {
	rows := min(26, len(rs.Minutes))
	per := (len(rs.Minutes) + rows - 1) / rows
	var sums []int64
	var peak int64
	for i := 0; i < len(rs.Minutes); i += per {
		var s int64
		for _, n := range rs.Minutes[i:min(i+per, len(rs.Minutes))] {
			s += n
		}
		sums = append(sums, s)
		peak = max(peak, s)
	}
	for i, s := range sums {
		bar := 0
		if peak > 0 {
			bar = int(float64(s) / float64(peak) * 50)
		}
		at := time.Unix(0, rs.StartTS+int64(i*per)*60e9).In(loc).Format("15:04")
		fmt.Fprintf(w, "             %s %-50s %s\n", at, strings.Repeat("█", bar), commas(s))
	}
}

// damageText sums up a damaged capture: what was verified, what is wrong,
// and what it costs in records.
func damageText(r *replay.Report) string {
	parts := []string{fmt.Sprintf("%s of %s verified", commas(int64(r.ChunksOK)), countOf(int64(r.Chunks), "chunk", ""))}
	torn := 0
	for _, p := range r.Problems {
		if p.Kind == replay.KindTorn {
			torn++
		}
	}
	if r.ChunksDamaged > 0 {
		parts = append(parts, countOf(int64(r.ChunksDamaged), "damaged chunk", ""))
	}
	if torn > 0 {
		parts = append(parts, countOf(int64(torn), "torn tail", ""))
	}
	if r.ChunksDuplicate > 0 {
		parts = append(parts, fmt.Sprintf("%s (%s not counted twice)", countOf(int64(r.ChunksDuplicate), "duplicated chunk", ""),
			countOf(r.RecordsDup, "record", "")))
	}
	if r.ChunksOrder > 0 {
		parts = append(parts, countOf(int64(r.ChunksOrder), "chunk out of order", "chunks out of order")+" (not counted)")
	}
	if r.ChunksMissing > 0 {
		parts = append(parts, countOf(r.ChunksMissing, "chunk", "")+" missing (records unknown)")
	}
	parts = append(parts, countOf(r.RecordsLost, "record", "")+" lost as far as headers tell")
	return strings.Join(parts, ", ")
}
