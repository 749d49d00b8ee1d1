package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The gate judges latency percentiles, CPU and rates that got worse past
// the limit, and leaves max, p99.99, counts, ratios and unmeasured
// metrics alone.
func TestRegressions(t *testing.T) {
	ds := []Delta{
		{Metric: "p99", A: 100, B: 130, Change: 30, Better: -1, Unit: "us"},
		{Metric: "p50", A: 100, B: 105, Change: 5, Better: -1, Unit: "us"},
		{Metric: "max", A: 100, B: 300, Change: 200, Better: -1, Unit: "us"},
		{Metric: "p99.99", A: 100, B: 300, Change: 200, Better: -1, Unit: "us"},
		{Metric: "throughput_rps", A: 1e6, B: 5e5, Change: -50, Better: -1, Unit: "rps"},
		{Metric: "records_lost", A: 0, B: 10, Better: -1, Unit: "records"},
		{Metric: "p50 / tcp p50", A: 2, B: 4, Change: 100, Better: -1, Unit: "x"},
		{Metric: "cpu_us_per_record", A: 0, B: 1, Better: -1, Unit: "us"},
		{Metric: "p90", A: 100, B: 50, Change: -50, Better: 1, Unit: "us"},
	}
	if got := strings.Join(Regressions(ds, 10), ", "); got != "p99 +30.0%, throughput_rps -50.0%" {
		t.Fatalf("regressions %q", got)
	}
	if got := Regressions(ds, 0); got != nil {
		t.Fatalf("a gate of 0 judged %q", got)
	}
}

// CompareFiles reads both summaries, names a file it cannot read or
// parse, and refuses two summaries with nothing in common.
func TestCompareFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", `{"command":"bench","records_received":10,"throughput_rps":1000,"latency_us":{"p50":80,"p99":400}}`)
	b := write("b.json", "log line\n"+`{"command":"bench","records_received":10,"throughput_rps":1000,"latency_us":{"p50":60,"p99":600}}`)
	sweep := write("s.json", `{"command":"bench","sweep":{"sla_us":1000,"steps":[]}}`)
	c, err := CompareFiles(a, b)
	if err != nil || len(c.Deltas) == 0 {
		t.Fatalf("%v, %d deltas", err, len(c.Deltas))
	}
	var out strings.Builder
	if err := c.WriteReport(&out); err != nil || !strings.HasPrefix(out.String(), "bbox bench compare: A = "+a+", B = "+b+"\n") || !strings.Contains(out.String(), "p99") {
		t.Fatalf("report (%v):\n%s", err, out.String())
	}
	for _, c := range []struct{ a, b, want string }{
		{a, filepath.Join(dir, "missing.json"), "missing.json"},
		{write("bad.json", "{"), b, "bad.json: not a bench JSON summary"},
		{a, sweep, "nothing to compare"},
	} {
		if _, err := CompareFiles(c.a, c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CompareFiles(%s, %s): %v, want %q", c.a, c.b, err, c.want)
		}
	}
}
