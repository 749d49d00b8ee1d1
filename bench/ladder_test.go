package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// A ladder runs every path at each rate in turn, goes on past a run that
// fails (reporting it), and stops at an interrupt keeping what ran.
func TestRunLadder(t *testing.T) {
	fake := func(p Path, rate float64, p50 int64) *LoadResult {
		h := NewHistogram()
		for i := int64(0); i < 1000; i++ {
			h.RecordValue(p50 * 1000)
		}
		d := time.Second
		n := int64(rate)
		if rate == 0 {
			n = 5e6
		}
		return &LoadResult{Config: LoadConfig{Path: p, Rate: rate, Duration: d}, Sending: d, Published: n, Received: n, Hist: h,
			CPU: []ProcCPU{{Name: "pub", PerMillion: 0.3}, {Name: "sub", PerMillion: 0.2}}}
	}
	var ran []string
	cfg := ladderConfig{Rates: []float64{1e5, 1e6, 0}, Paths: []Path{PathBBox, PathTCP}, SLA: time.Millisecond,
		Run: func(ctx context.Context, p Path, rate float64) (*LoadResult, error) {
			ran = append(ran, string(p)+"@"+formatTarget(rate))
			if p == PathTCP && rate == 1e6 {
				return nil, errors.New("boom")
			}
			p50 := int64(50)
			if p == PathTCP {
				p50 = 25
			}
			if rate == 0 {
				p50 = 5000
			}
			return fake(p, rate, p50), nil
		}}
	steps, err := runLadder(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ran, " "); got != "bbox@100k tcp@100k bbox@1M tcp@1M bbox@max tcp@max" {
		t.Fatalf("ran %s", got)
	}
	if len(steps) != 3 || len(steps[1].Results) != 1 || len(steps[1].Failed) != 1 || !strings.Contains(steps[1].Failed[0], "boom") {
		t.Fatalf("steps %+v", steps)
	}
	lj := ladderSummary(steps, time.Millisecond)
	if lj.Ratios["100k"]["p50_vs_tcp"] < 1.9 || lj.Ratios["100k"]["p50_vs_tcp"] > 2.1 || lj.Ratios["100k"]["cpu_per_record_vs_tcp"] != 1 {
		t.Fatalf("ratios %v", lj.Ratios)
	}
	if lj.Paths[0].MaxRateUnder != 1e6 || lj.Paths[1].MaxRateUnder != 1e5 || len(lj.Failed) != 1 {
		t.Fatalf("paths %+v failed %v", lj.Paths, lj.Failed)
	}
	var b bytes.Buffer
	if err := writeLadderTable(&b, steps, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tcp at 1M/s failed: boom", "highest rate holding p99 ≤ 1.00ms with no loss: bbox 1M/s, tcp 100k/s", "bbox at 100k/s vs tcp: p50 2.00x"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := writeSweepPlot(&b, "ladder", nil, ladderCurves(steps, time.Millisecond), time.Millisecond); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ran = nil
	cfg.Run = func(ctx context.Context, p Path, rate float64) (*LoadResult, error) {
		ran = append(ran, string(p))
		cancel() // the first run is interrupted
		r := fake(p, rate, 50)
		r.Interrupted = true
		return r, nil
	}
	steps, err = runLadder(ctx, cfg)
	if err != nil || len(steps) != 1 || len(ran) != 1 || !steps[0].Results[0].Interrupted {
		t.Fatalf("after an interrupt: steps %+v ran %v err %v", steps, ran, err)
	}
}

// Two ladder summaries compare rate by rate, path by path.
func TestCompareLadders(t *testing.T) {
	mk := func(p99 float64, cpu float64) *RunSummary {
		return &RunSummary{Command: "bench", RecordsReceived: 10, Ladder: &LadderJSON{Rates: []string{"1M"},
			Paths: []LadderPathJSON{{Path: "bbox", Steps: []LadderStepJSON{{Target: "1M", Received: 10, ThroughputRPS: 1e6,
				LatencyUS: Percentiles{P50: 50, P99: p99}, CPU: []ProcCPU{{Name: "pub", PerMillion: cpu}, {Name: "sub", PerMillion: cpu}}}}}},
			Ratios: map[string]map[string]float64{"1M": {"p99_vs_tcp": p99 / 100}}}}
	}
	ds := compareRuns(mk(400, 0.3), mk(200, 0.2))
	want := map[string]float64{"bbox@1M p99": -50, "bbox@1M cpu_us_per_record": 100 * (0.4 - 0.6) / 0.6, "bbox@1M p99 / tcp p99": -50}
	for _, d := range ds {
		if w, ok := want[d.Metric]; ok {
			if math.Abs(d.Change-w) > 1e-9 || d.Better != 1 {
				t.Fatalf("%s: %+v, want a change of %v%%, better", d.Metric, d, w)
			}
			delete(want, d.Metric)
		}
	}
	if len(want) != 0 {
		t.Fatalf("not compared: %v (deltas %+v)", want, ds)
	}
}

func TestLadderConfigValidate(t *testing.T) {
	run := func(context.Context, Path, float64) (*LoadResult, error) { return nil, nil }
	for _, c := range []struct {
		cfg  ladderConfig
		want string
	}{
		{ladderConfig{Paths: []Path{PathBBox}, Run: run}, "0 rates and 1 paths"},
		{ladderConfig{Rates: []float64{1e5}, Paths: []Path{PathBBox}}, "needs a Run"},
		{ladderConfig{Rates: []float64{1e5, -1}, Paths: []Path{PathBBox}, Run: run}, "ladder rate -1"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
		if _, rerr := runLadder(context.Background(), c.cfg); rerr == nil {
			t.Errorf("runLadder accepted %+v", c.cfg)
		}
	}
	if err := (ladderConfig{Rates: []float64{0, 1e6}, Paths: []Path{PathBBox}, Run: run}).Validate(); err != nil {
		t.Fatalf("0 (as fast as it goes) refused: %v", err)
	}
}
