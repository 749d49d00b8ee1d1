package bench

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLatencyLogConfigsValidate: the latency-log configs refuse a missing
// path, an unknown stamp and negative durations, in Validate and in the
// functions that take them, before anything is created.
func TestLatencyLogConfigsValidate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lat.hlog")
	if err := (SubLatencyConfig{Path: path}).Validate(); err != nil {
		t.Fatalf("a path only: %v", err)
	}
	f := func(c SubLatencyConfig, want string) {
		t.Helper()
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%+v: %v, want %q", c, err, want)
		}
		if _, _, oerr := OpenSubLatency(c, 1); oerr == nil || oerr.Error() != err.Error() {
			t.Fatalf("%+v: OpenSubLatency says %v, want %v", c, oerr, err)
		}
		lc := LeanRecvConfig{Out: c.Path, From: c.From, Warmup: c.Warmup, Interval: c.Interval}
		lerr := lc.Validate()
		if lerr == nil || !strings.Contains(lerr.Error(), want) {
			t.Fatalf("%+v: %v, want %q", lc, lerr, want)
		}
		if _, rerr := ReceiveTCP(context.Background(), lc, func(net.Addr) { t.Error("listened") }); rerr == nil || rerr.Error() != lerr.Error() {
			t.Fatalf("%+v: ReceiveTCP says %v, want %v", lc, rerr, lerr)
		}
	}
	f(SubLatencyConfig{}, "no latency log")
	f(SubLatencyConfig{Path: path, From: 7}, "unknown latency stamp 7")
	f(SubLatencyConfig{Path: path, Warmup: -time.Second}, "must not be negative")
	f(SubLatencyConfig{Path: path, Interval: -time.Second}, "must not be negative")
}
