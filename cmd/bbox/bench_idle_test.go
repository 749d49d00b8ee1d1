package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// bbox bench --idle: a strategy bbox sub does not know is a usage error
// naming the flag; a spinning in-process subscriber runs and counts
// every record. (That process mode hands it to bbox sub is bench's
// TestIdleReachesTheSubscriber.)
func TestBenchIdle(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), &env{stdout: &out, stderr: &errb}, []string{"bench", "--idle", "busy"}); code != exitUsage ||
		!strings.Contains(errb.String(), `bbox bench: --idle: idle strategy "busy": want spin, yield or park`) {
		t.Fatalf("--idle busy: exit %d\n%s", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), &env{stdout: &out, stderr: &errb}, []string{"bench", "--sub-gomaxprocs", "1"}); code != exitUsage ||
		!strings.Contains(errb.String(), "bbox bench: --sub-gomaxprocs: needs --mode process") {
		t.Fatalf("--sub-gomaxprocs in-process: exit %d\n%s", code, errb.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out.Reset()
	errb.Reset()
	code := run(ctx, &env{stdout: &out, stderr: &errb}, []string{"bench", "--idle", "spin", "--rate", "10k", "--duration", "300ms", "--json"})
	if code != exitOK || !strings.Contains(out.String(), `"records_lost":0`) {
		t.Fatalf("--idle spin: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}
