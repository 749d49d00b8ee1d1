package replay

// What bbox inspect says about capture files (Report.WriteText).

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// WriteText describes the files for people: each file's state, then the
// records, their time range (in loc, which zone names), bytes and
// compression, the rate per minute, kinds, busiest symbols, sequences,
// checksum and health, and every problem by file and offset.
func (r *Report) WriteText(w io.Writer, loc *time.Location, zone string) {
	ts := func(ns int64, layout string) string { return time.Unix(0, ns).In(loc).Format(layout) }
	for _, f := range r.Files {
		state := "closed cleanly (indexed)"
		if !f.Indexed {
			state = "not closed cleanly (no index: chunks found by scanning)"
			for _, p := range r.Problems {
				if p.File == f.Name && p.Kind == KindIndex {
					state = "index damaged (chunks found by scanning)"
				}
			}
		}
		var meta []string
		for k, v := range f.Meta {
			meta = append(meta, k+"="+v)
		}
		sort.Strings(meta)
		fmt.Fprintf(w, "%s: bbox capture v%d, %s bytes, %s, %s\n", f.Name, Version, words.Group(f.Bytes),
			words.Count(f.Chunks, "chunk", "chunks"), state)
		fmt.Fprintf(w, "  created    %s   %s\n", ts(f.Created, "2006-01-02 15:04:05 MST"), strings.Join(meta, " "))
	}
	fmt.Fprintf(w, "  records    %s in %s, %s\n", words.Group(r.Records), words.Count(r.Chunks, "chunk", "chunks"), words.Count(r.Symbols, "symbol", "symbols"))
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
		words.Group(r.Bytes), words.Group(r.CompressedBytes), inFiles, r.Ratio, words.Group(r.RawBytes))
	rs := r.RatePerMinute
	if len(rs.Minutes) > 0 {
		fmt.Fprintf(w, "  per minute mean %s, peak %s at %s, quietest %s at %s\n", words.Group(int64(rs.Mean+0.5)),
			words.Group(rs.Peak), ts(rs.PeakTS, "15:04"), words.Group(rs.Min), ts(rs.MinTS, "15:04"))
		writeRateBars(w, rs, loc)
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
			fmt.Fprintf(w, " %s %s", t.Topic, words.Group(t.Records))
		}
		fmt.Fprintln(w)
	}
	sq := r.Sequences
	switch {
	case !sq.Sequenced:
		fmt.Fprintf(w, "  sequences  none (generated or not yet published)\n")
	case sq.Gaps == 0 && sq.OutOfOrder == 0:
		fmt.Fprintf(w, "  sequences  %s, contiguous: nothing lost while recording\n", words.Count(sq.Streams, "stream", "streams"))
	default:
		fmt.Fprintf(w, "  sequences  %s: %s, %s missing, %d out of order\n", words.Count(sq.Streams, "stream", "streams"),
			words.Count(sq.Gaps, "gap", "gaps"), words.Count(sq.Missing, "record", "records"), sq.OutOfOrder)
	}
	fmt.Fprintf(w, "  checksum   %s (topic, sequence, payload; order-independent)\n", r.Checksum)
	switch r.Health {
	case "ok":
		fmt.Fprintf(w, "  health     ok: %s of %s verified\n", words.Group(int64(r.ChunksOK)), words.Count(r.Chunks, "chunk", "chunks"))
	case "unclosed":
		why := "the writer stopped between chunks and lost nothing written"
		for _, p := range r.Problems {
			if p.Kind == KindIndex {
				why = "the index is damaged, the chunks were found by scanning and nothing is lost"
			}
		}
		fmt.Fprintf(w, "  health     ok, unclosed: %s of %s verified; %s\n", words.Group(int64(r.ChunksOK)), words.Count(r.Chunks, "chunk", "chunks"), why)
	default:
		fmt.Fprintf(w, "  health     DAMAGED: %s\n", damageText(r))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "    %s offset %d (%s bytes): %s: %s\n", p.File, p.Offset, words.Group(p.Bytes), p.Kind, p.Detail)
	}
}

// writeRateBars draws the day in at most 26 rows of equal spans.
func writeRateBars(w io.Writer, rs RateStats, loc *time.Location) {
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
		fmt.Fprintf(w, "             %s %-50s %s\n", at, strings.Repeat("█", bar), words.Group(s))
	}
}

// damageText sums up a damaged capture: what was verified, what is wrong,
// and what it costs in records.
func damageText(r *Report) string {
	parts := []string{fmt.Sprintf("%s of %s verified", words.Group(int64(r.ChunksOK)), words.Count(r.Chunks, "chunk", "chunks"))}
	torn := 0
	for _, p := range r.Problems {
		if p.Kind == KindTorn {
			torn++
		}
	}
	if r.ChunksDamaged > 0 {
		parts = append(parts, words.Count(r.ChunksDamaged, "damaged chunk", "damaged chunks"))
	}
	if torn > 0 {
		parts = append(parts, words.Count(torn, "torn tail", "torn tails"))
	}
	if r.ChunksDuplicate > 0 {
		parts = append(parts, fmt.Sprintf("%s (%s not counted twice)", words.Count(r.ChunksDuplicate, "duplicated chunk", "duplicated chunks"),
			words.Count(r.RecordsDup, "record", "records")))
	}
	if r.ChunksOrder > 0 {
		parts = append(parts, words.Count(r.ChunksOrder, "chunk out of order", "chunks out of order")+" (not counted)")
	}
	if r.ChunksMissing > 0 {
		parts = append(parts, words.Count(r.ChunksMissing, "chunk", "chunks")+" missing (records unknown)")
	}
	parts = append(parts, words.Count(r.RecordsLost, "record", "records")+" lost as far as headers tell")
	return strings.Join(parts, ", ")
}

// Damage is every problem of the files that loses or repeats records, as
// an *Error naming its file and offset; a file merely not closed (no
// index, nothing lost) has none.
func (r *Report) Damage() []*Error {
	var out []*Error
	for _, p := range r.Problems {
		if p.Kind != KindIndex {
			out = append(out, p.Err(p.File))
		}
	}
	return out
}
