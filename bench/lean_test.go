package bench

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// The lean TCP pair over loopback: every record sent is received and
// recorded, and the receiver's latency log reads back with the same
// counts (intervals, the whole run, the warm-up).
func TestLeanTCPAndLatencyLog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rec := NewRecorder(1, FromSource)
	rec.SetWarmup(50 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "lat.hlog")
	lg, err := CreateLatencyLog(path, rec, 50*time.Millisecond, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, err := leanRecv(ctx, c, rec, FromSource)
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sent, secs, err := leanSend(ctx, c, LeanConfig{Rate: 20000, Duration: 300 * time.Millisecond, Gen: feed.GenConfig{Seed: 3}})
	c.Close()
	if err != nil || sent == 0 || secs <= 0 {
		t.Fatalf("sent %d in %vs: %v", sent, secs, err)
	}
	n := <-got
	if n != sent {
		t.Fatalf("received %d of %d", n, sent)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	r := &LoadResult{}
	if err := r.readLatencyLog(path); err != nil {
		t.Fatal(err)
	}
	var ivs int64
	for _, iv := range r.Intervals {
		ivs += iv.Received
	}
	if w, m := r.WarmupHist.TotalCount(), r.Hist.TotalCount(); w == 0 || m == 0 || w+m != n || ivs != n {
		t.Fatalf("log: warm-up %d + after %d, intervals %d; want %d", w, m, ivs, n)
	}
	if err := lg.Close(); err == nil {
		t.Fatal("a second Close succeeded")
	}
}

// buildLibZMQ builds the C baseline when zmq.h is there (it is in CI:
// libzmq3-dev) and, without a compiler, says why and what to install.
func TestBuildLibZMQ(t *testing.T) {
	dir := t.TempDir()
	_, ccErr := exec.LookPath("cc")
	if _, err := os.Stat("/usr/include/zmq.h"); err != nil || ccErr != nil {
		t.Log("zmq.h or cc is not installed (apt-get install libzmq3-dev gcc): only the error path is tested")
	} else {
		exe, err := buildLibZMQ(dir)
		if err != nil {
			t.Fatalf("zmq.h is present but the baseline did not build: %v", err)
		}
		out, err := exec.Command(exe).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage: zmqbase") {
			t.Fatalf("%s without arguments: %v %q, want its usage and exit 2", exe, err, out)
		}
		if again, err := buildLibZMQ(dir); err != nil || again != exe {
			t.Fatalf("second build: %q %v, want the cached %q", again, err, exe)
		}
	}
	t.Setenv("PATH", "")
	if _, err := buildLibZMQ(t.TempDir()); err == nil || !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("without cc: %v, want an error saying what to install", err)
	}
}

func TestLeanConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  LeanConfig
		want string
	}{
		{LeanConfig{Rate: -1, Duration: time.Second}, "rate -1"},
		{LeanConfig{Rate: 1000}, "duration 0s"},
		{LeanConfig{Duration: time.Second, Gen: feed.GenConfig{Size: 1 << 20}}, "record size"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
	if err := (LeanConfig{Duration: time.Second}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// The two halves as `bbox bench internal` runs them: ReceiveTCP says
// where it listens, SendTCP sends there, every record arrives and the
// latency log holds them; a receiver stopped before any sender came is
// not an error.
func TestReceiveSendTCP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "lat.hlog")
	addr := make(chan string, 1)
	type result struct {
		n   int64
		err error
	}
	got := make(chan result, 1)
	go func() {
		n, err := ReceiveTCP(ctx, LeanRecvConfig{Out: out, From: FromSource, Interval: 50 * time.Millisecond}, func(a net.Addr) { addr <- a.String() })
		got <- result{n, err}
	}()
	sent, _, err := SendTCP(ctx, <-addr, LeanConfig{Rate: 20000, Duration: 200 * time.Millisecond})
	if err != nil || sent == 0 {
		t.Fatalf("sent %d: %v", sent, err)
	}
	if r := <-got; r.err != nil || r.n != sent {
		t.Fatalf("received %d of %d: %v", r.n, sent, r.err)
	}
	res := &LoadResult{}
	if err := res.readLatencyLog(out); err != nil {
		t.Fatal(err)
	}
	if n := res.Hist.TotalCount(); n != sent {
		t.Fatalf("latency log holds %d of %d", n, sent)
	}

	stopped, stop := context.WithCancel(ctx)
	go func() {
		n, err := ReceiveTCP(stopped, LeanRecvConfig{Out: out}, func(net.Addr) { stop() })
		got <- result{n, err}
	}()
	if r := <-got; r.err != nil || r.n != 0 {
		t.Fatalf("a receiver stopped before any sender: %d records, %v", r.n, r.err)
	}
	if _, err := ReceiveTCP(ctx, LeanRecvConfig{}, func(net.Addr) {}); err == nil {
		t.Fatal("a receiver without a latency log to write did not fail")
	}
	if _, _, err := SendTCP(ctx, "127.0.0.1:1", LeanConfig{Rate: 1, Duration: time.Second}); err == nil {
		t.Fatal("a sender with no receiver did not fail")
	}
}
