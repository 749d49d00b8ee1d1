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
	cfg := LadderConfig{Rates: []float64{2e6}, Paths: []Path{PathBBox}, SLA: time.Millisecond,
		Run: func(ctx context.Context, p Path, rate float64) (*LoadResult, error) {
			return &LoadResult{Config: LoadConfig{Path: p, Rate: rate, Duration: time.Second}, Sending: time.Second,
				Published: 3_000_000, Received: 921_776, Lost: 2_078_224, Hist: h}, nil
		}}
	steps, err := RunLadder(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteLadderTable(&b, steps, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " 2,078,224 ") || !strings.Contains(b.String(), "lost 2,078,224 records") || strings.Contains(b.String(), "2078224") {
		t.Fatalf("table does not group the loss:\n%s", b.String())
	}
}
