package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The two halves as procTCP starts them: the argv halfArgs writes is the
// argv RunHalf runs, the receiver says where it listens, and every record
// the sender sends is received; arguments naming no half are ErrHalfUsage.
func TestRunHalf(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "lat.hlog")
	recvArgs := halfArgs("tcp-recv", halfSpec{Recv: LeanRecvConfig{Out: out, From: FromSource, Interval: 50 * time.Millisecond}})
	if recvArgs[0] != "bench" || recvArgs[1] != "internal" {
		t.Fatalf("argv %q", recvArgs)
	}
	pr, pw := io.Pipe()
	type result struct {
		v   any
		err error
	}
	got := make(chan result, 1)
	go func() {
		v, err := RunHalf(ctx, recvArgs[2:], pw)
		pw.Close()
		got <- result{v, err}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("receiver said %q: %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	sendArgs := halfArgs("tcp-send", halfSpec{Addr: addr, Rate: 20000, Duration: 200 * time.Millisecond, Size: 100, Symbols: 10, Seed: 3})
	sv, err := RunHalf(ctx, sendArgs[2:], io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sent := sv.(map[string]any)["records_published"].(int64)
	r := <-got
	if r.err != nil || sent == 0 || r.v.(map[string]int64)["records_received"] != sent {
		t.Fatalf("sent %d, receiver %v: %v", sent, r.v, r.err)
	}
	for _, args := range [][]string{nil, {"tcp-recv"}, {"udp-recv", "{}"}, {"tcp-send", "{}", "x"}} {
		if _, err := RunHalf(ctx, args, io.Discard); !errors.Is(err, ErrHalfUsage) {
			t.Errorf("RunHalf(%q): %v, want ErrHalfUsage", args, err)
		}
	}
	if _, err := RunHalf(ctx, []string{"tcp-recv", "{"}, io.Discard); err == nil || errors.Is(err, ErrHalfUsage) {
		t.Errorf("a malformed spec: %v", err)
	}
}

// Any argv reads without a panic, and every spec that reads is written
// back by halfArgs to an argv that reads to the same spec.
func FuzzParseHalf(f *testing.F) {
	f.Add("tcp-recv", halfArgs("tcp-recv", halfSpec{Recv: LeanRecvConfig{Out: "x.hlog", From: FromSource, Warmup: time.Second}})[3])
	f.Add("tcp-send", halfArgs("tcp-send", halfSpec{Addr: "127.0.0.1:9", Rate: 1e5, Duration: time.Second, Size: 100})[3])
	f.Add("tcp-send", "{")
	f.Add("udp", "{}")
	f.Fuzz(func(t *testing.T, half, spec string) {
		h, s, err := parseHalf([]string{half, spec})
		if err != nil {
			return
		}
		h2, s2, err := parseHalf(halfArgs(h, s)[2:])
		if err != nil || h2 != h || s2 != s {
			t.Fatalf("%s %q: read %+v, wrote and read back %s %+v (%v)", half, spec, s, h2, s2, err)
		}
	})
}
