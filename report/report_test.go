package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
)

func subStats() shard.SubStats {
	return shard.SubStats{Received: 900, Published: 1000, Lost: 100, Gaps: 2, JoinedLate: 0, Recovered: 5, RecoveryRequests: 1, Recoveries: 1, RecoveryMaxNs: 2e6, RecoveryTotalNs: 2e6,
		Shards: []shard.ShardSubStats{{ID: 0, Records: 400, Endpoint: "tcp://a:1", CPU: 1}, {ID: 1, Records: 500, Endpoint: "tcp://b:2", CPU: -1, Lost: 100, Gaps: 2, Silent: true}}}
}

// The stream's counts land on the keys CLI.md names, the shards in order.
func TestStream(t *testing.T) {
	s := Stream("sub", subStats())
	if s.Command != "sub" || s.RecordsReceived != 900 || s.RecordsPublished != 1000 || s.RecordsLost != 100 || s.Gaps != 2 {
		t.Fatalf("counts %+v", s)
	}
	if len(s.Shards) != 2 || s.Shards[1].Lost != 100 || !s.Shards[1].Silent || s.Shards[0].CPU != 1 {
		t.Fatalf("shards %+v", s.Shards)
	}
	if s.RecoveryKeys == nil || s.RecordsRecovered != 5 || s.RecoveryMaxMs != 2 || s.RecoveryMeanMs != 2 {
		t.Fatalf("recovery %+v", s.RecoveryKeys)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"command", "records_published", "records_received", "records_lost", "gaps", "croaked", "latency_us", "shards", "stalls", "interrupted", "records_recovered", "records_before_join"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	for _, k := range []string{"In", "in", "records_discarded"} {
		if _, ok := m[k]; ok {
			t.Errorf("key %q in a subscriber's summary %s", k, b)
		}
	}
}

// In one process the publisher's count is exact: what never arrived is
// lost, unless the run was interrupted (then it was in flight).
func TestInProcess(t *testing.T) {
	for _, interrupted := range []bool{false, true} {
		st := shard.SubStats{Received: 90, Published: 90, Shards: []shard.ShardSubStats{{ID: 0, Records: 90, Reached: true, EOS: !interrupted}}}
		s := Stream("demo", st)
		s.In = verdict.Input{Published: 90, Received: 90, Discarded: verdict.Unknown, Shards: []verdict.Shard{{ID: 0, Reached: true, Ended: !interrupted}}}
		ps := shard.PubStats{Records: 100, DroppedRecords: 4, DiscardedRecords: 1}
		s.InProcess(&ps, interrupted)
		if s.RecordsPublished != 100 || s.RecordsDropped != 4 || s.PubLoss == nil || s.PubLoss.RecordsDiscarded != 1 {
			t.Fatalf("interrupted %v: publisher counts %+v", interrupted, s)
		}
		if s.Verdict == "" || s.Interrupted != interrupted {
			t.Fatalf("interrupted %v: verdict %q, interrupted %v", interrupted, s.Verdict, s.Interrupted)
		}
		want := int64(0)
		if !interrupted {
			want = s.Unaccounted
			if want == 0 || s.Verdict != verdict.Lost {
				t.Fatalf("10 records never arrived: unaccounted %d, verdict %s", s.Unaccounted, s.Verdict)
			}
		}
		if s.RecordsLost != want {
			t.Fatalf("interrupted %v: lost %d, want %d", interrupted, s.RecordsLost, want)
		}
	}
}

// A publisher's summary warns of each thing that went wrong, in order.
func TestPublished(t *testing.T) {
	st := shard.PubStats{Records: 5000, DroppedRecords: 30, DiscardedRecords: 7, ConnectionsCut: 1, ConnsOmitted: 2,
		Shards: []shard.ShardPubStats{{ID: 0, Records: 5000, Endpoint: "tcp://x:1", SockBufCapped: 2, Refused: 1, Oversize: 1}},
		Conns:  []shard.ConnStats{{Peer: "1.2.3.4:5", Shard: 0, Records: 10, DroppedRecords: 30, DiscardedRecords: 7, State: "cut: stuck", CloseReason: zmqx.Stuck}}}
	var asked int64
	s := Published("pub", &st, 2*time.Second, func(n int64) string { asked += n; return "small buffers" })
	if s.ThroughputRPS != 2500 || s.Seconds != 2 || s.Shards[0].CPU != -1 || s.Workers == nil || asked != 2 {
		t.Fatalf("summary %+v", s)
	}
	want := []string{"shard 0: small buffers", "shard 0 refused 1 peer or frames (1 oversize frame, 0 not ZMTP)",
		"slow subscriber 1.2.3.4:5 on shard 0: 30 records dropped over the high-water mark, 7 records discarded when the connection ended; cut: stuck",
		"2 earlier closed connections are not listed; the totals include them"}
	if strings.Join(s.Warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings\n%s\nwant\n%s", strings.Join(s.Warnings, "\n"), strings.Join(want, "\n"))
	}
	var b bytes.Buffer
	WritePub(&b, &s)
	for _, line := range []string{"pub: 5,000 records published in 2.0s (2.5k records/s)\n",
		"  not delivered: 30 records dropped over a subscriber's high-water mark, 7 discarded when connections ended (1 cut off)\n",
		"  warning: 2 earlier closed connections"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("WritePub lacks %q:\n%s", line, b.String())
		}
	}
}

// The human summary ends with the verdict line, judging if nobody did.
func TestWriteHuman(t *testing.T) {
	s := Stream("sub", subStats())
	s.In = verdict.Input{Published: 1000, Received: 900, LostInGaps: 100, Gaps: 2, Discarded: verdict.Unknown}
	s.ThroughputRPS = 900
	var b bytes.Buffer
	WriteHuman(&b, &s, time.Second)
	out := b.String()
	for _, want := range []string{"sub: 900 records received in 1.0s (900 records/s)\n",
		"  published at least 1,000   received 900   lost 100   gaps 2\n",
		"  recovery: 5 recovered in 1 range (1 request), time to recover max 2.0 ms, mean 2.0 ms\n",
		"  shard 1            500 records   subscriber thread unpinned   lost 100 in 2 gaps (silent at the end)\n",
		"  shard 0            400 records   subscriber thread pinned to cpu 1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if s.Verdict != verdict.Lost {
		t.Fatalf("verdict %q", s.Verdict)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if last := lines[len(lines)-1]; last != s.verdict.Line() {
		t.Fatalf("last line %q, want the verdict %q", last, s.verdict.Line())
	}
}

func TestStatusLines(t *testing.T) {
	rate := func(i int, n int64) float64 { return float64(n) }
	ps := shard.PubStats{Records: 1200, ConnectionsCut: 1, DiscardedRecords: 3,
		Shards: []shard.ShardPubStats{{ID: 0, Subscribers: 1}},
		Conns:  []shard.ConnStats{{Peer: "p:1", DroppedRecords: 5, CloseReason: zmqx.Open}}}
	if got, want := PubStatus(3*time.Second, &ps, rate), "[ 3s] 1.2k rec/s, 1,200 published | shard 0: 1 sub | SLOW p:1 dropped 5 | CUT 1 (discarded 3)"; got != want {
		t.Errorf("PubStatus\n%q\nwant\n%q", got, want)
	}
	ss := shard.SubStats{Lost: 1, Gaps: 1, Late: 2, Stalls: 1, Shards: []shard.ShardSubStats{{Records: 10, LagNs: 1500, Connected: true}, {LagNs: -1}}}
	if got, want := SubStatus(time.Second, &ss, rate), "[ 1s] shard 0 10/s lag 2µs | shard 1 0/s lag - (connecting) | lost 1 gaps 1 late 2 stalls 1"; got != want {
		t.Errorf("SubStatus\n%q\nwant\n%q", got, want)
	}
	if got, want := LoopStatus(time.Second, &ps, &ss, rate), "[ 1s] pub 1.2k/s | shard 0 10/s lag 2µs | shard 1 0/s lag - | lost 1 gaps 1 dropped 0"; got != want {
		t.Errorf("LoopStatus\n%q\nwant\n%q", got, want)
	}
}
