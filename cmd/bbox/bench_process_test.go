package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/bench"
)

// benchFull is what the process-mode tests read of `bbox bench --json`.
type benchFull struct {
	benchJSON
	Mode        string            `json:"mode"`
	Interrupted bool              `json:"interrupted"`
	Warmup      *bench.WarmupJSON `json:"warmup"`
	Ladder      *bench.LadderJSON `json:"ladder"`
	CPU         []bench.ProcCPU   `json:"cpu"`
	WorkersB    []struct {
		Records int64 `json:"records"`
		Batches int64 `json:"batches"`
	} `json:"workers"`
}

// zmqPresent reports whether libzmq's header and a C compiler are
// installed, as the baseline's build needs (apt-get install libzmq3-dev
// gcc; CI has them).
func zmqPresent() bool {
	_, err := os.Stat("/usr/include/zmq.h")
	_, cerr := exec.LookPath("cc")
	return err == nil && cerr == nil
}

// hlogTotals reads a receiver's latency log: its interval histograms'
// total and its whole-run "total" and "warmup" histograms' counts.
func hlogTotals(t *testing.T, path string) (intervals, total, warm int64) {
	t.Helper()
	for _, h := range readHlog(t, path) {
		switch h.Tag() {
		case "total":
			total = h.TotalCount()
		case "warmup":
			warm = h.TotalCount()
		default:
			intervals += h.TotalCount()
		}
	}
	return
}

// The process mode on a short, low-rate ladder: bbox pub and bbox sub as
// separate processes, the lean TCP pair and libzmq (1 and 64 a message)
// at each rate; every path's .hgrm plus its warm-up holds exactly the
// records its receiver counted, bbox loses nothing, every process has a
// CPU figure, and the ratios are there.
func TestBenchProcessLadder(t *testing.T) {
	dir := t.TempDir()
	code, p := runBBox(t, 150*time.Second, "bench", "--mode", "process", "--rates", "20k,50k", "--duration", "1s",
		"--warmup", "200ms", "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchFull
	p.summary(&s)
	if s.Mode != "process" || s.Ladder == nil || len(s.Ladder.Rates) != 2 {
		t.Fatalf("mode %q ladder %+v", s.Mode, s.Ladder)
	}
	want := []string{"bbox", "tcp", "libzmq", "libzmq64"}
	if !zmqPresent() {
		want = want[:2]
		if !strings.Contains(strings.Join(s.Warnings, "\n"), "libzmq baseline skipped") ||
			!strings.Contains(strings.Join(s.Warnings, "\n"), "libzmq3-dev") {
			t.Fatalf("no zmq.h, and the summary does not say the libzmq baseline was skipped and why: %q", s.Warnings)
		}
		t.Logf("zmq.h is not installed: libzmq baseline skipped (apt-get install libzmq3-dev)")
	}
	if len(s.Ladder.Paths) != len(want) {
		t.Fatalf("ladder paths %+v, want %v", s.Ladder.Paths, want)
	}
	for i, lp := range s.Ladder.Paths {
		if lp.Path != want[i] || len(lp.Steps) != 2 {
			t.Fatalf("path %d: %+v, want %s at 2 rates", i, lp, want[i])
		}
		for _, st := range lp.Steps {
			if st.Received == 0 || st.Warmup == nil || st.Warmup.Records == 0 {
				t.Fatalf("%s at %s: %+v", lp.Path, st.Target, st)
			}
			h := readHGRMFile(t, filepath.Join(dir, "ladder-"+lp.Path+"-"+st.Target+".hgrm"))
			if h.TotalCount+st.Warmup.Records != st.Received {
				t.Fatalf("%s at %s: the .hgrm counts %d and the warm-up %d, the receiver %d", lp.Path, st.Target, h.TotalCount, st.Warmup.Records, st.Received)
			}
			if lp.Path == "bbox" && (st.Lost != 0 || st.Published != st.Received) {
				t.Fatalf("bbox at %s: published %d received %d lost %d", st.Target, st.Published, st.Received, st.Lost)
			}
			if len(st.CPU) != 2 || st.CPU[0].Seconds <= 0 || st.CPU[1].Seconds <= 0 {
				t.Fatalf("%s at %s: CPU %+v", lp.Path, st.Target, st.CPU)
			}
			if lp.Path == "bbox" || lp.Path == "tcp" {
				ivs, total, warm := hlogTotals(t, filepath.Join(dir, "ladder-"+lp.Path+"-"+st.Target+".hlog"))
				if total != h.TotalCount || warm != st.Warmup.Records || ivs != st.Received {
					t.Fatalf("%s at %s: latency log counts %d in intervals, total %d, warm-up %d; want %d, %d, %d",
						lp.Path, st.Target, ivs, total, warm, st.Received, h.TotalCount, st.Warmup.Records)
				}
			}
		}
	}
	for _, r := range s.Ladder.Rates {
		if s.Ladder.Ratios[r]["p50_vs_tcp"] <= 0 || s.Ladder.Ratios[r]["cpu_per_record_vs_tcp"] <= 0 {
			t.Fatalf("ratios at %s: %v", r, s.Ladder.Ratios[r])
		}
		if zmqPresent() && s.Ladder.Ratios[r]["p99_vs_libzmq64"] <= 0 {
			t.Fatalf("ratios at %s: %v", r, s.Ladder.Ratios[r])
		}
	}
	for _, name := range []string{"table.txt", "ladder.svg", "percentiles.svg", "timeline.svg", "latency.hgrm", "summary.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("missing report file: %v", err)
		}
	}
	checkSVG(t, filepath.Join(dir, "ladder.svg"))
	table, _ := os.ReadFile(filepath.Join(dir, "table.txt"))
	for _, w := range append([]string{"pub µs", "highest rate holding p99", "bbox at 20k/s vs tcp"}, want...) {
		if !bytes.Contains(table, []byte(w)) {
			t.Fatalf("table lacks %q:\n%s", w, table)
		}
	}
}

// SIGINT during a run keeps what was measured: the reports are written,
// the summary says interrupted, nothing in flight is counted as lost, and
// the exit status is 0. In-process and with --mode process.
func TestBenchInterruptKeepsResults(t *testing.T) {
	for _, mode := range []string{"inprocess", "process"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			p := startBBox(t, "bench "+mode, "bench", "--mode", mode, "--rate", "20k", "--duration", "60s", "--interval", "200ms",
				"--baseline", "tcp", "--out", dir, "--json", "--verbose")
			waitFor(t, 30*time.Second, "a run under way", func() bool {
				// In-process logs each interval as it ends; process mode
				// (--verbose) relays bbox sub's log, which says when it
				// has connected: from then on the publisher sends.
				return strings.Contains(p.stderr.String(), "[  0.4s]") || strings.Contains(p.stderr.String(), "shard 0: connected to")
			})
			time.Sleep(time.Second)
			syscall.Kill(p.cmd.Process.Pid, syscall.SIGINT)
			if code := p.wait(30 * time.Second); code != 0 {
				t.Fatalf("exit %d after SIGINT\n%s", code, tail(p.stderr.String(), 20))
			}
			var s benchFull
			p.summary(&s)
			if !s.Interrupted || s.RecordsReceived == 0 || s.RecordsLost != 0 || s.RecordsPublished != s.RecordsReceived {
				t.Fatalf("interrupted %v published %d received %d lost %d", s.Interrupted, s.RecordsPublished, s.RecordsReceived, s.RecordsLost)
			}
			if len(s.Baselines) != 0 {
				t.Fatalf("a baseline ran after the interrupt: %+v", s.Baselines)
			}
			if h := readHGRMFile(t, filepath.Join(dir, "latency.hgrm")); h.TotalCount != s.RecordsReceived {
				t.Fatalf("latency.hgrm counts %d, %d received", h.TotalCount, s.RecordsReceived)
			}
			table, err := os.ReadFile(filepath.Join(dir, "table.txt"))
			if err != nil || !bytes.Contains(table, []byte("interrupted")) {
				t.Fatalf("table.txt (%v) does not say the run was interrupted:\n%s", err, table)
			}
		})
	}
}

// --warmup keeps the start of the run out of the figures and reports it
// apart: the .hgrm holds the records after it, the JSON's warmup block the
// rest; the timeline does not end in an empty interval; worker batches are
// counted.
func TestBenchWarmupSplit(t *testing.T) {
	dir := t.TempDir()
	code, p := runBBox(t, 60*time.Second, "bench", "--rate", "20k", "--duration", "1s", "--warmup", "300ms", "--interval", "250ms", "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchFull
	p.summary(&s)
	if s.Warmup == nil || s.Warmup.Records == 0 || s.Warmup.Seconds != 0.3 {
		t.Fatalf("warmup %+v", s.Warmup)
	}
	h := readHGRMFile(t, filepath.Join(dir, "latency.hgrm"))
	if h.TotalCount == 0 || h.TotalCount+s.Warmup.Records != s.RecordsReceived {
		t.Fatalf("latency.hgrm counts %d, the warm-up %d, %d received", h.TotalCount, s.Warmup.Records, s.RecordsReceived)
	}
	// About 0.3 of the records fall in the warm-up: its share is between
	// a tenth and a half whatever the box's speed (the rate was reached).
	if f := float64(s.Warmup.Records) / float64(s.RecordsReceived); f < 0.1 || f > 0.5 {
		t.Fatalf("warm-up holds %.2f of the records", f)
	}
	if n := len(s.Intervals); n == 0 || s.Intervals[n-1].Received == 0 && s.Intervals[n-1].Published == 0 {
		t.Fatalf("the timeline ends in an empty interval: %+v", s.Intervals)
	}
	if len(s.WorkersB) != 1 || s.WorkersB[0].Batches == 0 || s.WorkersB[0].Batches > s.WorkersB[0].Records {
		t.Fatalf("workers %+v: want batches counted", s.WorkersB)
	}
	table, _ := os.ReadFile(filepath.Join(dir, "table.txt"))
	if !bytes.Contains(table, []byte("warm-up (first 300ms, not in the table)")) {
		t.Fatalf("table.txt does not report the warm-up:\n%s", table)
	}
}

// Usage errors of the new flags exit 2 before anything runs.
func TestBenchProcessUsage(t *testing.T) {
	f := func(wantIn string, args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, append([]string{"bench"}, args...))
		if code != exitUsage || !strings.Contains(errb.String(), wantIn) {
			t.Fatalf("bbox bench %v: exit %d, stderr lacks %q:\n%s", args, code, wantIn, errb.String())
		}
	}
	f("--mode", "--mode", "threads")
	f("--rates", "--rates", "10k,fast")
	f("--warmup", "--warmup", "5s", "--duration", "5s")
	f("--baseline", "--mode", "process", "--baseline", "zmq4")
	f("--baseline", "--baseline", "libzmq")
	f("--at worker", "--mode", "process", "--at", "worker")
	f("--rates and --sweep", "--rates", "10k", "--sweep")
	f("--rates max", "--rates", "10k,max")
	f("--co off", "--mode", "process", "--co", "off")
	f("--sweep runs in-process", "--mode", "process", "--sweep")
}

// bbox sub --latency-* flags: bad values are usage errors.
func TestSubLatencyFlagsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--latency-from", "recv"}, {"--latency-warmup", "-1s"}, {"--latency-interval", "1ms"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, append([]string{"sub", "--connect", "tcp://127.0.0.1:1"}, args...))
		if code != exitUsage || !strings.Contains(errb.String(), args[0][2:]) {
			t.Fatalf("bbox sub %v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// Process mode with two shards: bbox pub binds two endpoints, bbox sub
// connects to both, and every record is counted on one of them.
func TestBenchProcessShards(t *testing.T) {
	code, p := runBBox(t, 60*time.Second, "bench", "--mode", "process", "--rate", "20k", "--duration", "500ms", "--shards", "2",
		"--workers", "2", "--baseline", "none", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 30))
	}
	var s benchFull
	p.summary(&s)
	if len(s.Shards) != 2 || s.Shards[0].Records == 0 || s.Shards[1].Records == 0 ||
		s.Shards[0].Records+s.Shards[1].Records != s.RecordsReceived || s.RecordsReceived != s.RecordsPublished {
		t.Fatalf("published %d received %d shards %+v", s.RecordsPublished, s.RecordsReceived, s.Shards)
	}
	if len(s.Baselines) != 0 || len(s.CPU) != 2 {
		t.Fatalf("baselines %+v cpu %+v", s.Baselines, s.CPU)
	}
}
