package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/words"
)

// benchJSON is what the bench tests read of `bbox bench --json`.
type benchJSON struct {
	jsonSummary
	TargetRate  float64              `json:"target_rate"`
	LatencyFrom string               `json:"latency_from"`
	SentRPS     float64              `json:"sent_rps"`
	Baselines   []bench.PathResult   `json:"baselines"`
	Ratios      map[string]float64   `json:"ratios"`
	Sweep       *bench.SweepJSON     `json:"sweep"`
	Files       []string             `json:"files"`
	Warnings    []string             `json:"warnings"`
	Intervals   []bench.IntervalStat `json:"intervals"`
}

// hgrmFile is what the tests read of a .hgrm percentile distribution:
// the footer's total count.
type hgrmFile struct{ TotalCount int64 }

var hgrmFooter = regexp.MustCompile(`(?m)^#\[Max\s*=\s*\S+,\s*Total count\s*=\s*(\d+)\]$`)

// readHGRMFile reads a .hgrm's total count from its footer, as
// HdrHistogram's own tools print it.
func readHGRMFile(t *testing.T, path string) hgrmFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := hgrmFooter.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no \"#[Max = …, Total count = …]\" footer", path)
	}
	n, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return hgrmFile{TotalCount: n}
}

// readHlog reads every interval histogram of an interval log with the
// HdrHistogram log reader.
func readHlog(t *testing.T, path string) []*hdrhistogram.Histogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr := hdrhistogram.NewHistogramLogReader(f)
	var hs []*hdrhistogram.Histogram
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("%s, histogram %d: %v", path, len(hs)+1, err)
		}
		if h == nil {
			return hs
		}
		hs = append(hs, h)
	}
}

// hlogCount reads an interval log with the HdrHistogram log reader and
// returns its intervals and their total count.
func hlogCount(t *testing.T, path string) (int, int64) {
	t.Helper()
	hs := readHlog(t, path)
	var n int64
	for _, h := range hs {
		n += h.TotalCount()
	}
	return len(hs), n
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: not well-formed SVG: %v", path, err)
		}
	}
	if !bytes.Contains(b, []byte("<polyline")) {
		t.Fatalf("%s: no curve drawn", path)
	}
}

// TestBenchReports is the done-when at a test-sized duration:
// `bbox bench --rate 100000 --out DIR --json` writes the table, .hgrm,
// interval log, plots and JSON, and the .hgrm and the interval log read
// back hold exactly the records received. The baselines run in the same
// invocation and get the same checks.
func TestBenchReports(t *testing.T) {
	dir := t.TempDir()
	code, p := runBBox(t, 90*time.Second, "bench", "--rate", "100000", "--duration", "1s", "--out", dir, "--json", "--baseline", "tcp,zmq4")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchJSON
	p.summary(&s)
	t.Logf("received %d, %.0f/s, latency %+v, ratios %v, warnings %q", s.RecordsReceived, s.ThroughputRPS, s.LatencyUS, s.Ratios, s.Warnings)
	if s.RecordsReceived == 0 || s.RecordsPublished != s.RecordsReceived || s.RecordsLost != 0 || s.Gaps != 0 {
		t.Fatalf("published %d received %d lost %d gaps %d", s.RecordsPublished, s.RecordsReceived, s.RecordsLost, s.Gaps)
	}
	if s.LatencyFrom != "schedule" || s.TargetRate != 100000 || s.LatencyUS.P50 <= 0 || s.LatencyUS.Max < s.LatencyUS.P99 {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Shards) != 1 || s.Shards[0].Records != s.RecordsReceived || len(s.Workers) != 1 || s.Workers[0].Records != s.RecordsReceived {
		t.Fatalf("shards %+v workers %+v", s.Shards, s.Workers)
	}
	for _, name := range []string{"table.txt", "latency.hgrm", "latency.hlog", "percentiles.svg", "timeline.svg", "summary.json",
		"tcp.hgrm", "tcp.hlog", "zmq4.hgrm", "zmq4.hlog"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("missing report file: %v (files: %v)", err, s.Files)
		}
	}
	if h := readHGRMFile(t, filepath.Join(dir, "latency.hgrm")); h.TotalCount != s.RecordsReceived {
		t.Fatalf("latency.hgrm counts %d records, %d were received", h.TotalCount, s.RecordsReceived)
	}
	if n, total := hlogCount(t, filepath.Join(dir, "latency.hlog")); total != s.RecordsReceived || n < 1 {
		t.Fatalf("latency.hlog: %d intervals counting %d records, %d were received", n, total, s.RecordsReceived)
	}
	if len(s.Baselines) != 2 {
		t.Fatalf("baselines %+v", s.Baselines)
	}
	for _, b := range s.Baselines {
		if b.Received == 0 || b.Lost != 0 {
			t.Fatalf("baseline %+v", b)
		}
		if h := readHGRMFile(t, filepath.Join(dir, b.Path+".hgrm")); h.TotalCount != b.Received {
			t.Fatalf("%s.hgrm counts %d, baseline received %d", b.Path, h.TotalCount, b.Received)
		}
		if _, total := hlogCount(t, filepath.Join(dir, b.Path+".hlog")); total != b.Received {
			t.Fatalf("%s.hlog counts %d, baseline received %d", b.Path, total, b.Received)
		}
		for _, k := range []string{"p50_vs_", "p99_vs_", "throughput_vs_"} {
			if s.Ratios[k+b.Path] <= 0 {
				t.Fatalf("no ratio %s%s in %v", k, b.Path, s.Ratios)
			}
		}
	}
	checkSVG(t, filepath.Join(dir, "percentiles.svg"))
	checkSVG(t, filepath.Join(dir, "timeline.svg"))
	table, _ := os.ReadFile(filepath.Join(dir, "table.txt"))
	for _, want := range []string{"p50", "p99.99", "max", "bbox/tcp", "bbox/zmq4"} {
		if !strings.Contains(string(table), want) {
			t.Fatalf("table.txt lacks %q:\n%s", want, table)
		}
	}
	// summary.json is the same summary as stdout's last line.
	file, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fs benchJSON
	if err := json.Unmarshal(file, &fs); err != nil || fs.RecordsReceived != s.RecordsReceived {
		t.Fatalf("summary.json: %v, received %d", err, fs.RecordsReceived)
	}
	// The CLI.md keys are all there.
	var raw map[string]any
	json.Unmarshal(file, &raw)
	for _, k := range []string{"records_published", "records_received", "records_lost", "gaps", "croaked", "croak_reason", "throughput_rps", "latency_us", "shards", "workers"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("summary lacks %q", k)
		}
	}
	lat := raw["latency_us"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if _, ok := lat[k]; !ok {
			t.Fatalf("latency_us lacks %q", k)
		}
	}
}

// TestBenchSweep runs a three-step ladder that holds (an SLA of an hour)
// and one that breaks at once (an SLA of 1ns).
func TestBenchSweep(t *testing.T) {
	dir := t.TempDir()
	code, p := runBBox(t, 90*time.Second, "bench", "--sweep", "--rate", "10000", "--sweep-max", "40000", "--duration", "500ms",
		"--sla", "1h", "--out", dir, "--json", "--baseline", "tcp")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchJSON
	p.summary(&s)
	// A loaded box may not send 40k/s for real (the step then breaks with
	// "sent only …/s" and the sweep refines below it), so the checks are of
	// the sweep's structure, not of the rates this box holds.
	if s.Sweep == nil {
		t.Fatal("no sweep in the summary")
	}
	best := checkSweepSteps(t, "bbox", s.Sweep.Steps, s.Sweep.MaxRateUnder, 40000)
	if broke := lowestBroken(s.Sweep.Steps); s.Sweep.BrokeAt != broke {
		t.Fatalf("broke_at_rate %v, the lowest step that broke is %v: %+v", s.Sweep.BrokeAt, broke, s.Sweep)
	}
	if len(s.Sweep.Baselines) != 1 || s.Sweep.Baselines[0].Path != "tcp" {
		t.Fatalf("baseline sweeps %+v", s.Sweep.Baselines)
	}
	tcpBest := checkSweepSteps(t, "tcp", s.Sweep.Baselines[0].Steps, s.Sweep.Baselines[0].MaxRateUnder, 40000)
	if r, ok := s.Ratios["max_rate_vs_tcp"]; (tcpBest != nil) != ok || ok && r != s.Sweep.MaxRateUnder/tcpBest.Rate {
		t.Fatalf("ratios %v for bbox %v, tcp %v", s.Ratios, s.Sweep.MaxRateUnder, s.Sweep.Baselines[0].MaxRateUnder)
	}
	pick := best // the top-level keys describe the best step, or the last if none held
	if pick == nil {
		pick = &s.Sweep.Steps[len(s.Sweep.Steps)-1]
	}
	if s.TargetRate != pick.Rate || s.RecordsReceived != pick.Received {
		t.Fatalf("top-level keys describe rate %v with %d records, want the step %+v", s.TargetRate, s.RecordsReceived, *pick)
	}
	var want int64
	for _, st := range s.Sweep.Steps {
		want += st.Received
		h := readHGRMFile(t, filepath.Join(dir, "sweep-bbox-"+strconv.FormatFloat(st.Rate, 'f', 0, 64)+".hgrm"))
		if h.TotalCount != st.Received {
			t.Fatalf("step %v: .hgrm counts %d, received %d", st.Rate, h.TotalCount, st.Received)
		}
	}
	for _, st := range s.Sweep.Baselines[0].Steps {
		want += st.Received
	}
	if _, total := hlogCount(t, filepath.Join(dir, "sweep.hlog")); total != want {
		t.Fatalf("sweep.hlog counts %d, the steps received %d", total, want)
	}
	checkSVG(t, filepath.Join(dir, "sweep.svg"))
	checkSVG(t, filepath.Join(dir, "percentiles.svg"))
	txt, _ := os.ReadFile(filepath.Join(dir, "sweep.txt"))
	wantLine := "bbox: no rate tried held p99 ≤ 1h0m0s with no loss"
	if best != nil {
		wantLine = "bbox: highest rate holding p99 ≤ 1h0m0s with no loss: " + words.Rate(best.Rate) + " records/s"
	}
	if !strings.Contains(string(txt), wantLine) {
		t.Fatalf("sweep.txt:\n%s", txt)
	}

	code, p = runBBox(t, 60*time.Second, "bench", "--sweep", "--rate", "10000", "--sweep-min", "5000", "--duration", "200ms", "--sla", "1ns", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	s = benchJSON{}
	p.summary(&s)
	// 10k/s breaks, so the ladder goes down to --sweep-min, where it stops.
	if s.Sweep == nil || len(s.Sweep.Steps) != 2 || s.Sweep.MaxRateUnder != 0 || s.Sweep.BrokeAt != 5000 || s.Sweep.Steps[0].OK || s.Sweep.Steps[1].OK {
		t.Fatalf("sweep %+v", s.Sweep)
	}
	if !strings.Contains(p.stderr.String(), "no rate tried held p99") {
		t.Fatalf("stderr:\n%s", p.stderr.String())
	}
}

// checkSweepSteps checks one path's sweep from --rate 10000 to --sweep-max
// top: the ladder doubles from 10k/s while steps hold, a step breaks only
// because the box could not send its rate (the SLA is an hour and nothing
// may be lost), max is the highest step that held, and when nothing broke
// the ladder is exactly 10k, 20k, 40k. It returns the best step (nil if
// none held).
func checkSweepSteps(t *testing.T, path string, steps []bench.SweepStepJSON, max, top float64) *bench.SweepStepJSON {
	t.Helper()
	if len(steps) == 0 {
		t.Fatalf("%s: no steps", path)
	}
	var best *bench.SweepStepJSON
	broke := false
	for i := range steps {
		st := &steps[i]
		if st.Lost != 0 || st.Received == 0 {
			t.Fatalf("%s: step %+v lost records or received none", path, *st)
		}
		if st.Rate < 10000/1000 || st.Rate > top || i > 0 && st.Rate <= steps[i-1].Rate {
			t.Fatalf("%s: steps not in rate order within [10, %v]: %+v", path, top, steps)
		}
		if !st.OK {
			broke = true
			if !strings.HasPrefix(st.Reason, "sent only ") {
				t.Fatalf("%s: step %+v broke for a reason other than the box's send rate", path, *st)
			}
			continue
		}
		if best == nil || st.Rate > best.Rate {
			best = st
		}
	}
	want := 0.0
	if best != nil {
		want = best.Rate
	}
	if max != want {
		t.Fatalf("%s: max_rate_under_sla %v, the best step held %v: %+v", path, max, want, steps)
	}
	if !broke && (len(steps) != 3 || steps[0].Rate != 10000 || steps[1].Rate != 20000 || steps[2].Rate != top) {
		t.Fatalf("%s: nothing broke, want the ladder 10k, 20k, 40k: %+v", path, steps)
	}
	return best
}

// lowestBroken is the lowest rate of a step that did not hold, 0 if all held.
func lowestBroken(steps []bench.SweepStepJSON) float64 {
	for _, st := range steps {
		if !st.OK {
			return st.Rate
		}
	}
	return 0
}

// TestBenchWarnings: a rate the box cannot send, more busy threads than
// cores, and socket buffers over the kernel's cap each get a warning.
func TestBenchWarnings(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	if err != nil {
		t.Skip("no /proc/sys/net/core/wmem_max")
	}
	capped, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	want := max64(int64(capped)*4, 1<<24)
	workers := strconv.Itoa(runtime.NumCPU() + 1)
	code, p := runBBox(t, 60*time.Second, "bench", "--rate", "1000M", "--duration", "300ms", "--workers", workers,
		"--sndbuf", strconv.FormatInt(want, 10), "--rcvbuf", strconv.FormatInt(want, 10), "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchJSON
	p.summary(&s)
	all := strings.Join(s.Warnings, "\n")
	for _, w := range []string{"target rate not reached", "busy threads", "capped"} {
		if !strings.Contains(all, w) {
			t.Fatalf("warnings lack %q: %q", w, s.Warnings)
		}
	}
	if !strings.Contains(p.stderr.String(), "warning: target rate not reached") {
		t.Fatalf("warnings not shown to the operator:\n%s", p.stderr.String())
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// TestBenchCoOff: --co off measures from the send time and says so.
func TestBenchCoOff(t *testing.T) {
	code, p := runBBox(t, 60*time.Second, "bench", "--rate", "20000", "--duration", "300ms", "--co", "off", "--at", "worker", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchJSON
	p.summary(&s)
	if s.LatencyFrom != "send" || s.RecordsReceived == 0 || s.RecordsLost != 0 || s.LatencyUS.P50 <= 0 {
		t.Fatalf("summary %+v", s)
	}
	if !strings.Contains(p.stderr.String(), "latency from each record's send time to the worker") {
		t.Fatalf("stderr:\n%s", p.stderr.String())
	}
}

func TestBenchCompare(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", `{"command":"bench","records_received":500000,"throughput_rps":100000,"latency_us":{"p50":80,"p90":150,"p99":400,"p999":900,"max":2000},"latency_from":"schedule","baselines":[{"path":"tcp","latency_us":{"p50":20,"p99":100}}]}`)
	b := write("b.json", "some text\n"+`{"command":"bench","records_received":500000,"throughput_rps":100000,"latency_us":{"p50":60,"p90":150,"p99":600,"p999":900,"max":1500},"latency_from":"schedule","baselines":[{"path":"tcp","latency_us":{"p50":20,"p99":100}}]}`+"\n")
	demo := write("demo.json", `{"command":"demo","records_received":5}`)
	f := func(wantCode int, wantIn string, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, append([]string{"bench", "compare"}, args...))
		all := out.String() + errb.String()
		if code != wantCode || !strings.Contains(all, wantIn) {
			t.Fatalf("bbox bench compare %v: exit %d (want %d), output lacks %q:\n%s", args, code, wantCode, wantIn, all)
		}
		return all
	}
	out := f(exitOK, "p50", a, b)
	for _, want := range []string{"-25.0%  better", "+50.0%  worse", "p99 / tcp p99", "4.00x", "6.00x", "-25.0%  better"} {
		if !strings.Contains(out, want) {
			t.Fatalf("compare output lacks %q:\n%s", want, out)
		}
	}
	f(exitError, "p99 +50.0%", "--max-regress", "10", a, b)
	// Flags after the files work too, as in bbox replay FILE --bind ….
	f(exitError, "p99 +50.0%", a, b, "--max-regress", "10")
	f(exitOK, "p99", a, "--max-regress", "60", b)
	// Ladders compare rate by rate; a worse p99 at one rate fails the gate.
	la := write("la.json", `{"command":"bench","records_received":5,"latency_us":{"p50":60,"p99":600},"ladder":{"rates":["1M"],"paths":[{"path":"bbox","steps":[{"target":"1M","records_received":5,"throughput_rps":1000000,"latency_us":{"p50":50,"p99":300}}]}]}}`)
	lb := write("lb.json", `{"command":"bench","records_received":5,"latency_us":{"p50":60,"p99":600},"ladder":{"rates":["1M"],"paths":[{"path":"bbox","steps":[{"target":"1M","records_received":5,"throughput_rps":1000000,"latency_us":{"p50":50,"p99":600}}]}]}}`)
	f(exitError, "bbox@1M p99 +100.0%", la, lb, "--max-regress", "10")
	f(exitOK, "p99", "--max-regress", "60", a, b)
	f(exitError, `demo.json: a "demo" summary`, a, demo)
	f(exitError, "nope.json", a, filepath.Join(dir, "nope.json"))
	f(exitUsage, "want two JSON summaries", a)
	var js bytes.Buffer
	if code := run(context.Background(), &env{stdout: &js, stderr: io.Discard}, []string{"bench", "compare", "--json", a, b}); code != exitOK {
		t.Fatalf("--json: exit %d", code)
	}
	var got struct {
		Deltas []bench.Delta `json:"deltas"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(js.Bytes()), &got); err != nil || len(got.Deltas) == 0 {
		t.Fatalf("--json output %q: %v", js.String(), err)
	}
}

func TestBenchUsage(t *testing.T) {
	f := func(wantIn string, args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, append([]string{"bench"}, args...))
		if code != exitUsage || !strings.Contains(errb.String(), wantIn) {
			t.Fatalf("bbox bench %v: exit %d, stderr lacks %q:\n%s", args, code, wantIn, errb.String())
		}
	}
	f("--co", "--co", "maybe")
	f("--rate max", "--rate", "max")
	f("--baseline", "--baseline", "udp")
	f("--at", "--at", "nic")
	f("--sweep-max", "--sweep", "--rate", "1M", "--sweep-max", "10k")
	f("--sla", "--sweep", "--sla", "0s")
	f("--sweep-min", "--sweep", "--rate", "10k", "--sweep-min", "20k")
	f("--shards", "--shards", "0")
	f("no-such-flag", "--no-such-flag")
	f("unexpected argument", "extra")
}
