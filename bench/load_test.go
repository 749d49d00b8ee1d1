package bench

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestRunLoadPaths runs every path briefly at a modest rate: everything
// sent arrives, every arrival is in the histogram, and the intervals add
// up to the total.
func TestRunLoadPaths(t *testing.T) {
	for _, p := range []Path{PathBBox, PathTCP, PathZMQ4} {
		t.Run(string(p), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var mu sync.Mutex
			var logged int64
			res, err := RunLoad(ctx, LoadConfig{Path: p, Rate: 20000, Duration: 400 * time.Millisecond, From: FromSource,
				Shards: 2, Workers: 2, Interval: 100 * time.Millisecond, Logf: t.Logf,
				OnInterval: func(iv IntervalStat, h *hdrhistogram.Histogram) {
					mu.Lock()
					logged += h.TotalCount()
					mu.Unlock()
				}})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: sent %d received %d lost %d, %.0f/s, %+v, warnings %q", p, res.Published, res.Received, res.Lost,
				res.AchievedRate(), res.Latency(), res.Warnings)
			if res.Published == 0 || res.Received != res.Published || res.Lost != 0 {
				t.Fatalf("published %d, received %d, lost %d", res.Published, res.Received, res.Lost)
			}
			if res.Hist.TotalCount() != res.Received {
				t.Fatalf("histogram holds %d values, %d records arrived", res.Hist.TotalCount(), res.Received)
			}
			var sum, sent int64
			for _, iv := range res.Intervals {
				sum += iv.Received
				sent += iv.Published
			}
			if sum != res.Received || logged != res.Received || sent != res.Published {
				t.Fatalf("intervals hold %d values (%d handed out) and %d sends; want %d and %d", sum, logged, sent, res.Received, res.Published)
			}
			var shards int64
			for _, s := range res.Shards {
				shards += s.Records
			}
			if shards != res.Received {
				t.Fatalf("shards count %d, want %d", shards, res.Received)
			}
		})
	}
}

// TestStalledSender stalls the sender once for 100ms: measured from the
// schedule, the records due during the stall carry it; measured from the
// send, they would not (coordinated omission).
func TestStalledSender(t *testing.T) {
	const stall = 100 * time.Millisecond
	const rate = 20000
	run := func(from Stamp) *LoadResult {
		var once sync.Once
		var first time.Time // the first chunk starts the generator's schedule
		res, err := RunLoad(context.Background(), LoadConfig{Rate: rate, Duration: 500 * time.Millisecond, From: from, Logf: t.Logf,
			beforeNext: func() {
				if first.IsZero() {
					first = time.Now()
				}
				if time.Since(first) > 150*time.Millisecond {
					once.Do(func() { time.Sleep(stall) })
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	co := run(FromSource)
	naive := run(FromSend)
	// Records scheduled in the stall's first half were at least stall/2 late.
	over := func(h *hdrhistogram.Histogram) int64 {
		return h.TotalCount() - countBelow(h, int64(stall/2))
	}
	t.Logf("from schedule: %d records over %v, max %v; from send: %d over, max %v",
		over(co.Hist), stall/2, time.Duration(co.Hist.Max()), over(naive.Hist), time.Duration(naive.Hist.Max()))
	if want := int64(rate * stall.Seconds() / 2 * 0.9); over(co.Hist) < want {
		t.Fatalf("from the schedule only %d records took over %v, want at least %d", over(co.Hist), stall/2, want)
	}
	if co.Hist.Max() < int64(stall*9/10) {
		t.Fatalf("from the schedule the max is %v, want at least the stall %v", time.Duration(co.Hist.Max()), stall)
	}
}

func countBelow(h *hdrhistogram.Histogram, v int64) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.To <= v {
			n += b.Count
		}
	}
	return n
}

func TestLoadWarnings(t *testing.T) {
	res, err := RunLoad(context.Background(), LoadConfig{Path: PathTCP, Rate: 1e9, Duration: 200 * time.Millisecond, Cores: 1})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"target rate not reached", "wants 2 busy threads", "1 cores"} {
		if !strings.Contains(all, want) {
			t.Fatalf("warnings %q lack %q", res.Warnings, want)
		}
	}
}

func TestLoadConfigValidate(t *testing.T) {
	f := func(c LoadConfig, want string) {
		t.Helper()
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%+v: error %v, want %q", c, err, want)
		}
	}
	f(LoadConfig{Duration: time.Second}, "rate 0")
	f(LoadConfig{Rate: 1}, "duration 0")
	f(LoadConfig{Rate: 1, Duration: 1, Path: "udp"}, `path "udp"`)
	f(LoadConfig{Rate: 1, Duration: 1, Shards: 65}, "shards 65")
	f(LoadConfig{Rate: 1, Duration: 1, Size: -1}, "record size")
}

// fakeLoad answers like a path whose p99 grows with the rate: 100µs per
// 100k records/s, with loss from 1M records/s.
func fakeLoad(runs *[]float64) func(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	return func(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
		*runs = append(*runs, cfg.Rate)
		h := NewHistogram()
		h.RecordValues(int64(cfg.Rate/100e3*100e3), 1000)
		r := &LoadResult{Config: cfg, Hist: h, Published: 1000, Received: 1000, Sending: time.Duration(1000 / cfg.Rate * 1e9)}
		if cfg.Rate >= 1e6 {
			r.Lost, r.Received = 10, 990
		}
		return r, nil
	}
}

func TestSweepLadder(t *testing.T) {
	f := func(sla time.Duration, refine int, wantRuns []float64, wantBest, wantBroke float64) {
		t.Helper()
		var runs []float64
		res, err := Sweep(context.Background(), SweepConfig{Load: LoadConfig{Rate: 100e3, Duration: time.Second},
			SLA: sla, Refine: refine, Max: 1.6e6, runLoad: fakeLoad(&runs)})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != len(wantRuns) {
			t.Fatalf("sla %v: ran %v, want %v", sla, runs, wantRuns)
		}
		for i := range runs {
			if runs[i] != wantRuns[i] {
				t.Fatalf("sla %v: ran %v, want %v", sla, runs, wantRuns)
			}
		}
		if got := res.MaxRate(); got != wantBest {
			t.Fatalf("sla %v: best %v, want %v", sla, got, wantBest)
		}
		broke := 0.0
		if res.Broke != nil {
			broke = res.Broke.Rate
		}
		if broke != wantBroke {
			t.Fatalf("sla %v: broke at %v, want %v", sla, broke, wantBroke)
		}
		for i := 1; i < len(res.Steps); i++ {
			if res.Steps[i].Rate < res.Steps[i-1].Rate {
				t.Fatalf("steps out of order: %v", runs)
			}
		}
	}
	// p99 at 100k, 200k, 400k, 800k is 100, 200, 400, 800µs; 1.6M loses records.
	f(300*time.Microsecond, -1, []float64{100e3, 200e3, 400e3}, 200e3, 400e3)
	f(300*time.Microsecond, 1, []float64{100e3, 200e3, 400e3, 282843}, 282843, 400e3)                        // 282843: geometric mean, holds 282µs
	f(time.Hour, -1, []float64{100e3, 200e3, 400e3, 800e3, 1.6e6}, 800e3, 1.6e6)                             // loss breaks it
	f(time.Microsecond, 2, []float64{100e3, 50e3, 25e3, 12500, 6250, 3125, 1563, 782, 1106, 930}, 930, 1106) // from the top down, then bisect
	f(time.Nanosecond, 2, []float64{100e3, 50e3, 25e3, 12500, 6250, 3125, 1563, 782, 391, 196}, 0, 196)      // nothing holds down to Min, From/1000
	f(time.Hour, 0, []float64{100e3, 200e3, 400e3, 800e3, 1.6e6, 1131371, 951366}, 951366, 1131371)
}

// TestSweepDown starts above the break point: the ladder walks down to a
// rate that holds, then bisects upwards.
func TestSweepDown(t *testing.T) {
	var runs []float64
	res, err := Sweep(context.Background(), SweepConfig{Load: LoadConfig{Rate: 400e3, Duration: time.Second},
		SLA: 150 * time.Microsecond, runLoad: fakeLoad(&runs)})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{400e3, 200e3, 100e3, 141421, 168179}
	if len(runs) != len(want) {
		t.Fatalf("ran %v, want %v", runs, want)
	}
	for i := range want {
		if runs[i] != want[i] {
			t.Fatalf("ran %v, want %v", runs, want)
		}
	}
	if res.MaxRate() != 141421 || res.Broke.Rate != 168179 {
		t.Fatalf("best %v, broke %v", res.MaxRate(), res.Broke.Rate)
	}
	var b bytes.Buffer
	WriteSweepTable(&b, []SweepCurve{{"bbox", res}})
	if !strings.Contains(b.String(), "holds (best)") || !strings.Contains(b.String(), "highest rate holding p99 ≤ 150µs with no loss: 141.4k records/s") {
		t.Fatalf("table:\n%s", b.String())
	}
}

func TestSweepValidate(t *testing.T) {
	f := func(c SweepConfig, want string) {
		t.Helper()
		_, err := Sweep(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
		if verr := c.Validate(); verr == nil || verr.Error() != err.Error() {
			t.Fatalf("Validate says %v, Sweep %v", verr, err)
		}
	}
	load := LoadConfig{Rate: 1000, Duration: time.Second}
	if err := (SweepConfig{Load: load, SLA: time.Millisecond}).Validate(); err != nil {
		t.Fatalf("a sweep with only its template and SLA: %v", err)
	}
	f(SweepConfig{Load: load}, "positive SLA")
	f(SweepConfig{Load: load, SLA: 1, Factor: 1}, "factor 1")
	f(SweepConfig{Load: load, SLA: 1, Max: 10}, "maximum 10")
}
