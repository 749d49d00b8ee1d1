package feed

import (
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// GenReport is a generated day as written to a capture (bbox gen --json's
// object). Its keys mean what they mean in bbox inspect --json: Symbols
// is the number of distinct symbols in the file, like SymbolsInFile;
// SymbolsUniverse is GenConfig.Symbols, the universe the Zipf draw picks
// from, of which a short day uses only part.
type GenReport struct {
	Command         string  `json:"command"`
	File            string  `json:"file"`
	Records         int64   `json:"records"`
	Symbols         int     `json:"symbols"`
	SymbolsInFile   int     `json:"symbols_in_file"`
	SymbolsUniverse int     `json:"symbols_universe"`
	Seed            uint64  `json:"seed"`
	FirstTS         int64   `json:"first_ts"`
	LastTS          int64   `json:"last_ts"`
	Bytes           int64   `json:"bytes"`            // on the wire
	CompressedBytes int64   `json:"compressed_bytes"` // in the file
	Ratio           float64 `json:"compression_ratio"`
	Chunks          int64   `json:"chunks"`
	Seconds         float64 `json:"seconds"`
}

// WriteText writes the report for a person: what was drawn from what, the
// day's span in loc (the day's zone), and the bytes.
func (r *GenReport) WriteText(w io.Writer, loc *time.Location) {
	fmt.Fprintf(w, "gen: %s of %s (drawn from a universe of %s; seed %d) → %s\n", words.Count(r.Records, "record", "records"),
		words.Count(r.SymbolsInFile, "symbol", "symbols"), words.Group(int64(r.SymbolsUniverse)), r.Seed, r.File)
	fmt.Fprintf(w, "  day      %s → %s (%s)\n", time.Unix(0, r.FirstTS).In(loc).Format("2006-01-02 15:04:05.000"),
		time.Unix(0, r.LastTS).In(loc).Format("15:04:05.000 MST"), time.Duration(r.LastTS-r.FirstTS).Round(time.Second))
	fmt.Fprintf(w, "  bytes    %s on the wire, %s in the file (%.1f:1) in %s, written in %.1fs\n",
		words.Group(r.Bytes), words.Group(r.CompressedBytes), r.Ratio, words.Count(r.Chunks, "chunk", "chunks"), r.Seconds)
}
