package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkMetricsOverhead measures max-rate throughput between a real
// `bbox pub --rate max --slow block` and `bbox sub` with --metrics off and
// on (both processes, scraped every second — fifteen times as often as a
// Prometheus server's default), in interleaved rounds of the same invocation,
// and reports each median and the on/off ratio (target ≥ 0.98).
//
//	go test ./cmd/bbox -run XXX -bench MetricsOverhead -benchtime 1x
//
// On a shared box the ratio of one run swings by a few percent either way;
// run it more than once (-count) and read the medians.
func BenchmarkMetricsOverhead(b *testing.B) {
	const records = 8_000_000
	const rounds = 5
	var off, on, cpuOff, cpuOn []float64
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			rate, cpu := metricsRound(b, records, false)
			off, cpuOff = append(off, rate), append(cpuOff, cpu)
			rate, cpu = metricsRound(b, records, true)
			on, cpuOn = append(on, rate), append(cpuOn, cpu)
		}
	}
	mo, mn := median(off), median(on)
	co, cn := median(cpuOff), median(cpuOn)
	b.ReportMetric(mo/1e6, "Mrec/s-off")
	b.ReportMetric(mn/1e6, "Mrec/s-on")
	b.ReportMetric(mn/mo, "on/off")
	b.ReportMetric(co*1e9, "cpu-ns/rec-off")
	b.ReportMetric(cn*1e9, "cpu-ns/rec-on")
	b.Logf("max rate, pub → sub, %d records a round, %d interleaved rounds: metrics off %s, on %s (medians %.2fM / %.2fM rec/s, on/off %.3f); CPU (pub+sub, user+sys) per record off %.0f ns, on %.0f ns (on/off %.3f)",
		records, len(off), fmtRates(off), fmtRates(on), mo/1e6, mn/1e6, mn/mo, co*1e9, cn*1e9, cn/co)
}

func metricsRound(b *testing.B, records int, metrics bool) (rate, cpuPerRecord float64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	eps := tcpEndpoints(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	var extra []string
	if metrics {
		extra = []string{"--metrics", "127.0.0.1:0"}
	}
	sub := startB(b, append([]string{"sub", "--connect", eps, "--exit-on-eos", "--workers", "1", "--json"}, extra...)...)
	pub := startB(b, append([]string{"pub", "--bind", eps, "--rate", "max", "--slow", "block", "--records", fmt.Sprint(records),
		"--wait-subs", "1", "--json"}, extra...)...)
	stop := make(chan struct{})
	if metrics {
		go scrapeLoop(stop, pub.stderr, sub.stderr)
	}
	var ps, ss jsonSummary
	pub.finish(b, &ps)
	sub.finish(b, &ss)
	close(stop)
	if ss.RecordsReceived != int64(records) {
		b.Fatalf("received %d of %d", ss.RecordsReceived, records)
	}
	cpu := pub.cmd.ProcessState.UserTime() + pub.cmd.ProcessState.SystemTime() +
		sub.cmd.ProcessState.UserTime() + sub.cmd.ProcessState.SystemTime()
	return ps.ThroughputRPS, cpu.Seconds() / float64(records)
}

// bproc is a bbox process of a benchmark (the harness's proc is a test's).
type bproc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

func startB(b *testing.B, args ...string) *bproc {
	p := &bproc{cmd: exec.Command(bboxBin, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	b.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// finish waits (bounded) for a clean exit and decodes the JSON summary.
func (p *bproc) finish(b *testing.B, v any) {
	select {
	case err := <-p.done:
		if err != nil {
			b.Fatalf("%v: %v\n%s", p.cmd.Args, err, tail(p.stderr.String(), 20))
		}
	case <-time.After(120 * time.Second):
		b.Fatalf("%v did not finish in 120s", p.cmd.Args)
	}
	out := strings.TrimRight(p.stdout.String(), "\n")
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), v); err != nil {
		b.Fatalf("%v: summary: %v", p.cmd.Args, err)
	}
}

// scrapeLoop scrapes the processes' /metrics every second until stop.
func scrapeLoop(stop chan struct{}, stderrs ...*syncBuffer) {
	c := &http.Client{Timeout: 2 * time.Second}
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
		}
		for _, e := range stderrs {
			if m := metricsAddrRE.FindStringSubmatch(e.String()); m != nil {
				if resp, err := c.Get(m[1]); err == nil {
					resp.Body.Close()
				}
			}
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func fmtRates(v []float64) string {
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprintf("%.2fM", x/1e6))
	}
	return strings.Join(out, " ")
}
