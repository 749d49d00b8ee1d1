package feed

import (
	"strings"
	"testing"
	"time"
)

func TestGenReportText(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	open := time.Date(2024, 1, 2, 9, 30, 0, 0, ny).UnixNano()
	r := GenReport{File: "day.bbc", Records: 1, SymbolsInFile: 1, SymbolsUniverse: 8000, Seed: 7, FirstTS: open, LastTS: open + int64(90*time.Minute),
		Bytes: 2500, CompressedBytes: 1000, Ratio: 2.5, Chunks: 1, Seconds: 0.25}
	var b strings.Builder
	r.WriteText(&b, ny)
	want := "gen: 1 record of 1 symbol (drawn from a universe of 8,000; seed 7) → day.bbc\n" +
		"  day      2024-01-02 09:30:00.000 → 11:00:00.000 EST (1h30m0s)\n" +
		"  bytes    2,500 on the wire, 1,000 in the file (2.5:1) in 1 chunk, written in 0.2s\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
}
