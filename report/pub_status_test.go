package report

import (
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

type liveSource struct{}

type pubStats shard.PubStats

func (p *pubStats) Stats() shard.PubStats { return shard.PubStats(*p) }

func (liveSource) StatusLine() string { return " | mold next 7" }

func TestPubSourceStatus(t *testing.T) {
	st := shard.PubStats{Records: 1500}
	rate := func(n int64) float64 { return float64(n) / 2 }
	plain := PubSourceStatus(2*time.Second, (*pubStats)(&st), rate, struct{}{})
	if want := PubStatus(2*time.Second, &st, func(_ int, n int64) float64 { return rate(n) }); plain != want {
		t.Fatalf("a source without counters: %q, want PubStatus's %q", plain, want)
	}
	if !strings.Contains(plain, "750 rec/s") {
		t.Errorf("rate not used: %q", plain)
	}
	if live := PubSourceStatus(2*time.Second, (*pubStats)(&st), rate, liveSource{}); live != plain+" | mold next 7" {
		t.Errorf("a live source: %q", live)
	}
}
