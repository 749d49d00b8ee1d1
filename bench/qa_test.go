package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The ladder table spells a loss with thousands separators, in the lost
// column and in the verdict ("lost 2,078,224 records", never "2078224").
func TestLadderTableGroupsLoss(t *testing.T) {
	h := NewHistogram()
	h.RecordValue(50_000)
	cfg := ladderConfig{Rates: []float64{2e6}, Paths: []Path{PathBBox}, SLA: time.Millisecond,
		Run: func(ctx context.Context, p Path, rate float64) (*LoadResult, error) {
			return &LoadResult{Config: LoadConfig{Path: p, Rate: rate, Duration: time.Second}, Sending: time.Second,
				Published: 3_000_000, Received: 921_776, Lost: 2_078_224, Hist: h}, nil
		}}
	steps, err := runLadder(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeLadderTable(&b, steps, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " 2,078,224 ") || !strings.Contains(b.String(), "lost 2,078,224 records") || strings.Contains(b.String(), "2078224") {
		t.Fatalf("table does not group the loss:\n%s", b.String())
	}
}

// bench compare says when the two runs used different modes (in one
// process against separate processes), as it does for latency origins.
func TestCompareNotesModes(t *testing.T) {
	a, err := parseSummary("a.json", []byte(`{"command":"bench","mode":"process","target_rate":100000,"records_received":1000,"latency_us":{"p50":100}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseSummary("b.json", []byte(`{"command":"bench","mode":"inprocess","target_rate":100000,"records_received":1000,"latency_us":{"p50":50}}`))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeCompare(&out, "a.json", "b.json", a, b, compareRuns(a, b)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "A ran --mode process, B --mode inprocess") {
		t.Fatalf("no note on the modes:\n%s", out.String())
	}
}
