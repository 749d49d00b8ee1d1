package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var metricsAddrRE = regexp.MustCompile(`metrics on (http://[0-9.:]+/metrics)`)

// metricsURL waits for p's "metrics on http://…/metrics" log line.
func metricsURL(t *testing.T, p *proc) string {
	t.Helper()
	var url string
	waitFor(t, 30*time.Second, p.name+"'s metrics address", func() bool {
		m := metricsAddrRE.FindStringSubmatch(p.stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	return url
}

// scrape fetches url and returns the exposition text and its samples by
// series ("name{labels}" as exposed).
func scrape(t *testing.T, url string) (string, map[string]float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape %s: status %d, %v", url, resp.StatusCode, err)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape %s: bad sample line %q", url, line)
		}
		samples[line[:i]] = v
	}
	return string(b), samples
}

// promtoolCheck runs `promtool check metrics` on an exposition.
func promtoolCheck(t *testing.T, what, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus): cannot lint the exposition")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics on %s: %v\n%s", what, err, out)
	}
}

// TestMetricsMatchSummaries runs a real bbox pub + bbox sub pair with
// --metrics, scrapes both after the stream has ended (--metrics-linger
// holds the final state), lints the scrapes with promtool and checks that
// the counters equal the --json summaries.
func TestMetricsMatchSummaries(t *testing.T) {
	ports := freePorts(t, 2)
	eps := tcpEndpoints(ports...)
	const records = 60000
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--exit-on-eos", "--workers", "1", "--json",
		"--metrics", "127.0.0.1:0", "--metrics-linger", "2m")
	subURL := metricsURL(t, sub)
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--records", fmt.Sprint(records), "--rate", "100k", "--wait-subs", "1", "--json",
		"--metrics", "127.0.0.1:0", "--metrics-linger", "2m", "--pprof")
	pubURL := metricsURL(t, pub)

	// Both print their summary, then hold the final metrics.
	for _, p := range []*proc{pub, sub} {
		waitFor(t, 60*time.Second, p.name+"'s JSON summary", func() bool {
			return lingering(p)
		})
	}
	var ps, ss struct {
		jsonSummary
		BeforeJoin int64 `json:"records_before_join"`
		Version    struct {
			Module string `json:"module"`
		} `json:"version"`
	}
	pub.summary(&ps)
	sub.summary(&ss)
	if ps.Version.Module != "github.com/bbox-dev/bbox" || ss.Version.Module != "github.com/bbox-dev/bbox" {
		t.Errorf("summaries' version.module = %q, %q; want github.com/bbox-dev/bbox", ps.Version.Module, ss.Version.Module)
	}
	if ps.RecordsPublished != records || ss.RecordsReceived != records {
		t.Fatalf("published %d, received %d; want %d each", ps.RecordsPublished, ss.RecordsReceived, records)
	}

	pubText, pm := scrape(t, pubURL)
	subText, sm := scrape(t, subURL)
	promtoolCheck(t, "bbox pub's /metrics", pubText)
	promtoolCheck(t, "bbox sub's /metrics", subText)

	eq := func(what string, m map[string]float64, series string, want int64) {
		t.Helper()
		got, ok := m[series]
		if !ok {
			t.Errorf("%s: no series %s", what, series)
			return
		}
		if got != float64(want) {
			t.Errorf("%s: %s = %v, JSON summary says %d", what, series, got, want)
		}
	}
	eq("pub", pm, "bbox_pub_records_total", ps.RecordsPublished)
	for _, sh := range ps.Shards {
		eq("pub", pm, fmt.Sprintf(`bbox_pub_shard_records_total{shard="%d"}`, sh.ID), sh.Records)
	}
	dropped := map[int]int64{}
	for _, c := range ps.Connections {
		dropped[c.Shard] += c.DroppedRecords
	}
	for _, sh := range ps.Shards {
		eq("pub", pm, fmt.Sprintf(`bbox_pub_hwm_dropped_records_total{shard="%d"}`, sh.ID), dropped[sh.ID])
	}

	eq("sub", sm, "bbox_sub_records_received_total", ss.RecordsReceived)
	eq("sub", sm, "bbox_sub_records_published_total", ss.RecordsPublished)
	eq("sub", sm, "bbox_sub_records_lost_total", ss.RecordsLost)
	eq("sub", sm, "bbox_sub_gaps_total", ss.Gaps)
	eq("sub", sm, "bbox_sub_records_before_join_total", ss.BeforeJoin)
	eq("sub", sm, "bbox_sub_frames_malformed_total", ss.FramesMalformed)
	eq("sub", sm, "bbox_sub_record_age_seconds_count", ss.RecordsReceived)
	for _, sh := range ss.Shards {
		eq("sub", sm, fmt.Sprintf(`bbox_sub_shard_records_total{shard="%d"}`, sh.ID), sh.Records)
	}
	for _, w := range ss.Workers {
		eq("sub", sm, fmt.Sprintf(`bbox_worker_records_total{worker="%d"}`, w.ID), w.Records)
	}
	if !strings.Contains(pubText, `bbox_build_info{command="pub",`) {
		t.Errorf("pub: no bbox_build_info series")
	}

	// --pprof serves the profiles on the same port.
	pprofURL := strings.TrimSuffix(pubURL, "/metrics") + "/debug/pprof/"
	if text, _ := scrapeRaw(t, pprofURL); !strings.Contains(text, "goroutine") {
		t.Errorf("%s does not list profiles", pprofURL)
	}

	// A signal ends the linger: both exit 0.
	for _, p := range []*proc{pub, sub} {
		syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
		if code := p.wait(30 * time.Second); code != 0 {
			t.Errorf("%s exited %d after SIGTERM during --metrics-linger", p.name, code)
		}
	}
}

func scrapeRaw(t *testing.T, url string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// TestMetricsFlagsUsage: the operations flags' mistakes are usage errors.
func TestMetricsFlagsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"pub", "--bind", "tcp://127.0.0.1:0", "--pprof"},
		{"sub", "--connect", "tcp://127.0.0.1:1", "--log-format", "xml"},
		{"worker", "--connect", "tcp://127.0.0.1:1", "--metrics-linger", "-1s"},
	} {
		code, p := runBBox(t, 20*time.Second, args...)
		if code != exitUsage {
			t.Errorf("bbox %s: exit %d, want 2\n%s", strings.Join(args, " "), code, p.stderr.String())
		}
	}
	// An address that cannot be bound is an error naming the flag.
	code, p := runBBox(t, 20*time.Second, "worker", "--connect", "tcp://127.0.0.1:1", "--metrics", "256.0.0.1:1")
	if code != exitError || !strings.Contains(p.stderr.String(), "--metrics 256.0.0.1:1") {
		t.Errorf("unbindable --metrics: exit %d, stderr %q", code, p.stderr.String())
	}
}

// lingering: p has printed its summary and holds its final metrics. The
// JSON line goes to stdout before the linger starts, but stdout and stderr
// are read by separate goroutines, so wait for both.
func lingering(p *proc) bool {
	return strings.Contains(p.stderr.String(), "holding the final metrics") && summaryWritten(p)
}

// TestMetricsWorkerPipeline: with worker processes, the subscriber's
// per-worker counters and the worker's own equal their JSON summaries.
func TestMetricsWorkerPipeline(t *testing.T) {
	ports := freePorts(t, 2)
	const records = 20000
	push := tcpEndpoints(ports[1])
	sub := startBBox(t, "sub", "sub", "--connect", tcpEndpoints(ports[0]), "--push", push, "--exit-on-eos", "--json",
		"--metrics", "127.0.0.1:0", "--metrics-linger", "2m")
	subURL := metricsURL(t, sub)
	waitFor(t, 30*time.Second, "the subscriber to serve workers", func() bool { return strings.Contains(sub.stderr.String(), "serving workers on") })
	worker := startBBox(t, "worker", "worker", "--connect", push, "--exit-on-eos", "--json", "--metrics", "127.0.0.1:0", "--metrics-linger", "2m")
	workerURL := metricsURL(t, worker)
	waitFor(t, 30*time.Second, "the worker to connect", func() bool {
		_, m := scrape(t, subURL)
		_, ok := m[`bbox_worker_records_total{worker="0"}`]
		return ok
	})
	pub := startBBox(t, "pub", "pub", "--bind", tcpEndpoints(ports[0]), "--records", fmt.Sprint(records), "--rate", "50k", "--wait-subs", "1")
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("pub exit %d", code)
	}
	for _, p := range []*proc{sub, worker} {
		waitFor(t, 60*time.Second, p.name+"'s summary", func() bool { return lingering(p) })
	}
	var ss jsonSummary
	sub.summary(&ss)
	var ws struct {
		Records, Batches int64
	}
	worker.summary(&ws)
	_, sm := scrape(t, subURL)
	wText, wm := scrape(t, workerURL)
	promtoolCheck(t, "bbox worker's /metrics", wText)
	if ws.Records != records {
		t.Errorf("worker handled %d of %d", ws.Records, records)
	}
	if got := wm["bbox_worker_process_records_total"]; got != float64(ws.Records) {
		t.Errorf("worker: bbox_worker_process_records_total = %v, JSON says %d", got, ws.Records)
	}
	if got := wm["bbox_worker_process_batches_total"]; got != float64(ws.Batches) {
		t.Errorf("worker: bbox_worker_process_batches_total = %v, JSON says %d", got, ws.Batches)
	}
	for _, w := range ss.Workers {
		if got := sm[fmt.Sprintf(`bbox_worker_records_total{worker="%d"}`, w.ID)]; got != float64(w.Records) {
			t.Errorf("sub: worker %d records %v, JSON says %d", w.ID, got, w.Records)
		}
	}
	if got, ok := sm["bbox_worker_dispatch_records_lost_total"]; !ok || got != 0 {
		t.Errorf("sub: bbox_worker_dispatch_records_lost_total = %v (present %v), want 0", got, ok)
	}
}

// summaryWritten reports whether p's JSON summary line has reached the
// test: stdout and stderr are read by separate goroutines, so the log
// line written after the summary can arrive first.
func summaryWritten(p *proc) bool {
	out := strings.TrimRight(p.stdout.String(), "\n")
	last := out[strings.LastIndex(out, "\n")+1:]
	return last != "" && json.Valid([]byte(last))
}
