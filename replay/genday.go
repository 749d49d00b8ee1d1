package replay

import (
	"context"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// WriteGenerated writes every record of g to w, the capture file named
// file, until g ends or ctx is done, closes w, and reports the file (bbox
// gen's report; symbols is the generator's universe, seed its seed). On
// an error the file holds, complete, what was written before it.
func WriteGenerated(ctx context.Context, g feed.Source, w *Writer, file string, symbols int, seed uint64) (feed.GenReport, error) {
	t0 := time.Now()
	var first, last int64
	err := feed.Each(ctx, g, func(r *feed.Record) error {
		if first == 0 {
			first = r.SourceTS
		}
		last = r.SourceTS
		return w.Append(r)
	})
	cerr := w.Close()
	if err == nil {
		err = cerr
	}
	st := w.Stats()
	return feed.GenReport{Command: "gen", File: file, Records: st.Records, Symbols: st.Topics, SymbolsInFile: st.Topics,
		SymbolsUniverse: symbols, Seed: seed, FirstTS: first, LastTS: last,
		Bytes: st.WireBytes, CompressedBytes: st.Bytes, Ratio: float64(st.WireBytes) / float64(st.Bytes), Chunks: st.Chunks,
		Seconds: time.Since(t0).Seconds()}, err
}
