package main

// Issue 3: the Suicidal Snail, run as separate processes.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSnailCroaks: publisher at 200k records/s; subscriber A allows 50ms
// and spends 2ms per record, subscriber B has defaults. A must squawk on
// stderr and on its alert endpoint, then exit 3; B must get every record.
func TestSnailCroaks(t *testing.T) {
	ports := freePorts(t, 3)
	eps := tcpEndpoints(ports[:2]...)
	alertEP := tcpEndpoints(ports[2])
	a := startBBox(t, "subA", "sub", "--connect", eps, "--max-delay", "50ms", "--work", "2ms",
		"--alert", alertEP, "--name", "snailA", "--json")
	watch := startBBox(t, "alerts", "alerts", "--connect", alertEP, "--count", "1", "--json")
	waitFor(t, 20*time.Second, "the alert console to subscribe", func() bool {
		return strings.Contains(watch.stderr.String(), "watching")
	})
	b := startBBox(t, "subB", "sub", "--connect", eps, "--exit-on-eos", "--json")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--rate", "200000", "--duration", "3s", "--wait-subs", "2", "--json")

	if code := a.wait(30 * time.Second); code != exitCroaked {
		t.Fatalf("A exited %d, want %d (croaked)", code, exitCroaked)
	}
	var as jsonSummary
	a.summary(&as)
	if !as.Croaked || as.CroakReason == "" {
		t.Fatalf("A's summary: croaked %v, reason %q", as.Croaked, as.CroakReason)
	}
	var line string
	for _, l := range strings.Split(a.stderr.String(), "\n") {
		if i := strings.Index(l, "CROAK: snailA shard "); i >= 0 { // after the log line's date, level and component
			line = l[i:]
		}
	}
	if line == "" || !strings.Contains(line, "limit 50ms") || !(strings.Contains(line, " seq ") && (strings.Contains(line, " old") || strings.Contains(line, "workers have not taken"))) {
		t.Fatalf("no squawk line naming subscriber, shard, topic, sequence, delay and limit:\n%s", a.stderr.String())
	}
	if code := watch.wait(10 * time.Second); code != 0 {
		t.Fatalf("alerts exited %d", code)
	}
	var ev struct {
		Kind    string `json:"kind"`
		Source  string `json:"source"`
		Time    int64  `json:"time_ns"`
		Message string `json:"message"`
		Squawk  struct {
			Shard int    `json:"shard"`
			Seq   uint64 `json:"seq"`
			Croak bool   `json:"croak"`
		} `json:"squawk"`
	}
	out := strings.TrimSpace(watch.stdout.String())
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("alert event %q: %v", out, err)
	}
	if ev.Kind != "croak" || ev.Source != "snailA" || !ev.Squawk.Croak || ev.Message != line {
		t.Fatalf("alert event %+v does not match the squawk %q", ev, line)
	}
	t.Logf("croak latency (squawk → process exit): %v; %s", a.exitAt.Sub(time.Unix(0, ev.Time)).Round(time.Millisecond), line)

	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	if code := b.wait(30 * time.Second); code != 0 {
		t.Fatalf("B exited %d", code)
	}
	var ps, bs jsonSummary
	pub.summary(&ps)
	b.summary(&bs)
	if bs.RecordsReceived != ps.RecordsPublished || bs.RecordsLost != 0 || bs.Gaps != 0 || bs.Croaked {
		t.Fatalf("B received %d of %d, lost %d, gaps %d", bs.RecordsReceived, ps.RecordsPublished, bs.RecordsLost, bs.Gaps)
	}
}
