package main

// The harness every command-level test uses: TestMain builds the bbox
// binary once; tests start it as separate processes, as a user would, and
// read the JSON summary from the last line of stdout. Every process a test
// starts is killed when the test ends, pass or fail.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var bboxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bbox-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bboxBin = filepath.Join(dir, "bbox")
	out, err := exec.Command("go", "build", "-o", bboxBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building bbox: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a bbox process started by a test.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error
	exitAt time.Time // when the process exited (valid after done)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startBBox starts `bbox args...`; the process is killed at test cleanup.
func startBBox(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startCmd(t, name, exec.Command(bboxBin, args...))
}

// startCmd starts cmd with the harness's cleanup and output capture.
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); p.exitAt = time.Now(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT) // a stopped process ignores SIGKILL's group peers otherwise
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s stderr:\n%s", name, tail(p.stderr.String(), 40))
		}
	})
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// wait waits for the process to exit within d and returns its exit code.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("%s did not exit within %v\nstderr:\n%s", p.name, d, tail(p.stderr.String(), 30))
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	p.t.Fatalf("%s: %v", p.name, p.err)
	return -1
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// summary decodes the JSON object on the last line of stdout into v.
func (p *proc) summary(v any) {
	p.t.Helper()
	out := strings.TrimRight(p.stdout.String(), "\n")
	last := out[strings.LastIndex(out, "\n")+1:]
	if err := json.Unmarshal([]byte(last), v); err != nil {
		p.t.Fatalf("%s: last stdout line is not JSON (%v): %q\nstderr:\n%s", p.name, err, last, tail(p.stderr.String(), 30))
	}
}

// runBBox runs `bbox args...` to completion (bounded by d) and returns
// the exit code and the process for its output.
func runBBox(t *testing.T, d time.Duration, args ...string) (int, *proc) {
	t.Helper()
	p := startBBox(t, "bbox "+strings.Join(args, " "), args...)
	return p.wait(d), p
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func tcpEndpoints(ports ...int) string {
	var eps []string
	for _, p := range ports {
		eps = append(eps, fmt.Sprintf("tcp://127.0.0.1:%d", p))
	}
	return strings.Join(eps, ",")
}

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// jsonSummary mirrors the CLI.md keys tests check.
type jsonSummary struct {
	RecordsPublished int64   `json:"records_published"`
	RecordsReceived  int64   `json:"records_received"`
	RecordsLost      int64   `json:"records_lost"`
	Gaps             int64   `json:"gaps"`
	Croaked          bool    `json:"croaked"`
	CroakReason      string  `json:"croak_reason"`
	ThroughputRPS    float64 `json:"throughput_rps"`
	LatencyUS        struct {
		P50, P90, P99, P999, Max float64
	} `json:"latency_us"`
	Shards []struct {
		ID      int   `json:"id"`
		Records int64 `json:"records"`
		CPU     int   `json:"cpu"`
	} `json:"shards"`
	Workers []struct {
		ID      int   `json:"id"`
		Records int64 `json:"records"`
	} `json:"workers"`
	FramesMalformed int64 `json:"frames_malformed"`
	Connections     []struct {
		Shard          int    `json:"shard"`
		Peer           string `json:"peer"`
		State          string `json:"state"`
		DroppedRecords int64  `json:"dropped_records"`
	} `json:"connections"`
}
