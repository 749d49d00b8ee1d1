package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// TestPubCountsDiscardedAtCut (issue 11 item 5): a frozen subscriber is
// cut off at the write deadline, and bbox pub's JSON and text summaries
// count what was still queued for it — per connection and in total — and
// say why, instead of "dropped 0".
func TestPubCountsDiscardedAtCut(t *testing.T) {
	eps := tcpEndpoints(freePorts(t, 1)...)
	sub := startBBox(t, "sub", "sub", "--connect", eps, "--duration", "60s", "--json")
	pub := startBBox(t, "pub", "pub", "--bind", eps, "--rate", "200000", "--duration", "4s", "--wait-subs", "1",
		"--write-timeout", "500ms", "--json")
	waitFor(t, 20*time.Second, "the subscriber to connect", func() bool { return strings.Contains(sub.stderr.String(), "connected to") })
	if err := syscall.Kill(sub.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("pub exited %d", code)
	}
	var ps struct {
		RecordsPublished int64 `json:"records_published"`
		RecordsDiscarded int64 `json:"records_discarded"`
		FramesDiscarded  int64 `json:"frames_discarded"`
		RecordsDropped   int64 `json:"records_dropped_slow"`
		ConnectionsCut   int64 `json:"connections_cut"`
		Connections      []struct {
			Peer             string `json:"peer"`
			State            string `json:"state"`
			CloseReason      string `json:"close_reason"`
			Records          int64  `json:"records"`
			DroppedRecords   int64  `json:"dropped_records"`
			DiscardedRecords int64  `json:"discarded_records"`
			DiscardedFrames  int64  `json:"discarded_frames"`
		} `json:"connections"`
		Warnings []string `json:"warnings"`
	}
	pub.summary(&ps)
	t.Logf("pub summary: %+v", ps)
	if len(ps.Connections) != 1 {
		t.Fatalf("%d connections, want the one subscriber", len(ps.Connections))
	}
	c := ps.Connections[0]
	if c.CloseReason != "stuck" || !strings.HasPrefix(c.State, "stuck") {
		t.Fatalf("connection closed %q (%q), want stuck", c.CloseReason, c.State)
	}
	if c.DiscardedRecords == 0 || c.DiscardedFrames == 0 {
		t.Fatalf("nothing counted as discarded for the cut subscriber: %+v", c)
	}
	if ps.RecordsDiscarded != c.DiscardedRecords || ps.FramesDiscarded != c.DiscardedFrames || ps.ConnectionsCut != 1 ||
		ps.RecordsDropped != c.DroppedRecords {
		t.Fatalf("totals (discarded %d records, %d frames, dropped %d, %d cut) do not match the connection %+v",
			ps.RecordsDiscarded, ps.FramesDiscarded, ps.RecordsDropped, ps.ConnectionsCut, c)
	}
	if c.Records+c.DroppedRecords+c.DiscardedRecords > ps.RecordsPublished {
		t.Fatalf("connection accounts for more records than were published: %+v", c)
	}
	text := pub.stderr.String()
	for _, want := range []string{"discarded " + words.Group(c.DiscardedRecords), "not delivered:", "(stuck: no progress within the write deadline (500ms))"} {
		if !strings.Contains(text, want) {
			t.Fatalf("pub's text summary lacks %q:\n%s", want, tail(text, 20))
		}
	}
	if len(ps.Warnings) == 0 || !strings.Contains(strings.Join(ps.Warnings, "\n"), words.Group(c.DiscardedRecords)+" records discarded when the connection ended") {
		t.Fatalf("no warning names the discarded records: %q", ps.Warnings)
	}
}
