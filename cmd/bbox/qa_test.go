package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An ITCH replay that reached no subscriber says so, as a bbox capture's
// replay does (PUB sockets drop what no one is subscribed to).
func TestExchangeReplayNoSubscriberWarns(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "200", "--symbols", "3"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	code, p := runBBox(t, 30*time.Second, "replay", f, "--bind", ep, "--speed", "max")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, p.stderr.String())
	}
	out := p.stdout.String()
	if !strings.Contains(out, "no subscriber received anything") || !strings.Contains(out, "ITCH messages read from") {
		t.Fatalf("replay to nobody does not say so:\n%s", out)
	}
}
