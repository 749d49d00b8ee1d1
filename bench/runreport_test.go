package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// ratios divide bbox's figures by each baseline's; cpuText and the CPU
// lines read a process-mode run's CPU figures.
func TestRatiosAndCPULines(t *testing.T) {
	run := func(p Path, p50us int64, n int64, cpu float64) *LoadResult {
		h := NewHistogram()
		for i := 0; i < 100; i++ {
			h.RecordValue(p50us * 1000)
		}
		return &LoadResult{Config: LoadConfig{Path: p, Rate: 1000, Duration: time.Second}, Sending: time.Second, Elapsed: time.Second,
			Published: n, Received: n, Hist: h, CPU: []ProcCPU{{Name: "pub", Seconds: 1, PerMillion: cpu}}}
	}
	bbox, tcp := run(PathBBox, 100, 2000, 0.6), run(PathTCP, 50, 1000, 0.2)
	r := ratios(bbox, []*LoadResult{tcp})
	if r["p50_vs_tcp"] < 1.9 || r["p50_vs_tcp"] > 2.1 || r["cpu_per_record_vs_tcp"] < 2.9 || r["cpu_per_record_vs_tcp"] > 3.1 {
		t.Fatalf("ratios %v", r)
	}
	if ratios(bbox, nil) != nil {
		t.Fatal("ratios without baselines")
	}
	if got := cpuText(bbox); got != ", pub 0.600 µs CPU/record" {
		t.Fatalf("cpuText %q", got)
	}
	var b bytes.Buffer
	writeCPULines(&b, []*LoadResult{bbox, tcp})
	if !strings.Contains(b.String(), "cpu bbox      pub 1.00s = 0.600 µs/record") || strings.Count(b.String(), "\n") != 2 {
		t.Fatalf("cpu lines:\n%s", b.String())
	}
}
