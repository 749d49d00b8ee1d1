package feed

import (
	"testing"
	"time"
)

// TestGeneratorSimCurve checks that SimCurve bends the simulated clock:
// with IntradayCurve the first and last minutes of a day are much busier
// than midday, the day still ends near its nominal length, and the same
// seed gives the same timestamps.
func TestGeneratorSimCurve(t *testing.T) {
	const day = 390 * time.Minute
	const n = 200000
	cfg := GenConfig{Seed: 3, Records: n, SimStart: 1_700_000_000e9, SimRate: n / day.Seconds(),
		SimCurve: IntradayCurve(day)}
	recs := drain(t, cfg)
	again := drain(t, cfg)
	perMin := make([]int, 400)
	for i := range recs {
		if recs[i].SourceTS != again[i].SourceTS {
			t.Fatalf("record %d: timestamp %d then %d with one seed", i, recs[i].SourceTS, again[i].SourceTS)
		}
		if i > 0 && recs[i].SourceTS < recs[i-1].SourceTS {
			t.Fatalf("record %d goes back in time", i)
		}
		m := int((recs[i].SourceTS - cfg.SimStart) / int64(time.Minute))
		perMin[min(m, len(perMin)-1)]++
	}
	end := time.Duration(recs[n-1].SourceTS - cfg.SimStart)
	if end < day*9/10 || end > day*11/10 {
		t.Fatalf("day ends after %v, want about %v", end, day)
	}
	open, mid, closing := perMin[0], perMin[195], perMin[388]
	if open < 4*mid || closing < 3*mid {
		t.Fatalf("no opening/closing burst: first minute %d, midday %d, last full minute %d records", open, mid, closing)
	}
}
