package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A sweep's summary: bbox's best rate, where it broke, the baseline's
// steps and the ratio of the two best rates; the report says the same.
func TestSweepSummary(t *testing.T) {
	sweep := func(sla time.Duration) *SweepResult {
		var runs []float64
		res, err := Sweep(context.Background(), SweepConfig{Load: LoadConfig{Rate: 100e3, Duration: time.Second},
			SLA: sla, Refine: -1, Max: 1.6e6, runLoad: fakeLoad(&runs)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	bb, tcp := sweep(450*time.Microsecond), sweep(250*time.Microsecond) // best 400k and 200k
	curves := []SweepCurve{{"bbox", bb}, {"tcp", tcp}}
	sj, ratios := sweepSummary(curves, 450*time.Microsecond)
	if sj.MaxRateUnder != 400e3 || sj.BrokeAt != 800e3 || sj.SLAUS != 450 || len(sj.Steps) != len(bb.Steps) ||
		len(sj.Baselines) != 1 || sj.Baselines[0].MaxRateUnder != 200e3 || ratios["max_rate_vs_tcp"] != 2 {
		t.Fatalf("summary %+v, ratios %v", sj, ratios)
	}
	if p := bb.Pick(); p != bb.Best {
		t.Fatalf("pick %+v, want the best step", p)
	}
	none := sweep(time.Nanosecond)
	if p := none.Pick(); p != &none.Steps[len(none.Steps)-1] {
		t.Fatalf("nothing held: pick %+v, want the last step", p)
	}
	if _, r := sweepSummary([]SweepCurve{{"bbox", none}, {"tcp", none}}, time.Nanosecond); r != nil {
		t.Fatalf("ratios %v where nothing held", r)
	}
	bb.Steps[0].Result.Warnings = []string{"the kernel capped 2 socket-buffer requests", "target rate not reached: x"}
	ws := sweepWarnings(curves, []string{"already"})
	if strings.Join(ws, "|") != "already|the kernel capped 2 socket-buffer requests" {
		t.Fatalf("warnings %q", ws)
	}
	var b bytes.Buffer
	if err := writeSweepReport(&b, curves, ws); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bbox holds 2.00x the rate tcp holds under the SLA", "warning: the kernel capped"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, b.String())
		}
	}
}
