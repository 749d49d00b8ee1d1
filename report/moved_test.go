package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
)

// A bench run's summary carries the keys every command's has and
// bench's own, side by side in one JSON object.
func TestBench(t *testing.T) {
	h := hdrhistogram.New(1, 1e9, 3)
	h.RecordValue(2000)
	r := &bench.Report{Summary: bench.Summary{TargetRate: 1000, Mode: "inprocess"},
		Result:   &bench.LoadResult{Published: 10, Received: 9, Lost: 1, Gaps: 1, Elapsed: time.Second, Sending: time.Second, Hist: h},
		Shards:   []bench.ShardCount{{ID: 0, Records: 9, CPU: 1}},
		Warnings: []string{"w"}, Interrupted: true}
	s := Bench(r)
	if s.Command != "bench" || s.RecordsLost != 1 || len(s.Shards) != 1 || s.Shards[0].CPU != 1 || s.ThroughputRPS != 9 || !s.Interrupted {
		t.Fatalf("%+v", s)
	}
	b, _ := json.Marshal(s)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"command", "records_lost", "shards", "target_rate", "mode", "interrupted", "latency_us"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
}

// A shard nobody heard is warned about; one a subscriber took is not.
func TestUnheard(t *testing.T) {
	s := &Summary{Shards: []Shard{{ID: 0, Records: 5}, {ID: 1, Records: 5}},
		Connections: []shard.ConnStats{{Shard: 0, Records: 5}}}
	w := Unheard(s, 0)
	if len(w) == 0 || !strings.Contains(strings.Join(w, "\n"), "--wait-subs") {
		t.Fatalf("warnings %q", w)
	}
	s.Connections = append(s.Connections, shard.ConnStats{Shard: 1, Records: 5})
	if w := Unheard(s, 0); len(w) != 0 {
		t.Fatalf("every shard heard, warnings %q", w)
	}
}

// The replay report lists each shard, subscriber and warning.
func TestWriteReplay(t *testing.T) {
	var b bytes.Buffer
	s := &Summary{RecordsPublished: 1234, Shards: []Shard{{ID: 0, Records: 1234, Endpoint: "tcp://127.0.0.1:1"}},
		Connections: []shard.ConnStats{{Shard: 0, Peer: "127.0.0.1:2", Records: 1234, State: "connected"}}, Warnings: []string{"careful"}}
	WriteReplay(&b, &replay.PlayReport{Files: []string{"a.bbc"}, Records: 1234}, s)
	out := b.String()
	for _, want := range []string{"  shard 0         1,234 records  tcp://127.0.0.1:1", "subscriber 127.0.0.1:2", "dropped 0  (connected)", "  warning: careful"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// bbox record's summary: the stream's keys, an empty worker list, the
// recording's warnings, the zone, and the verdict judged from its input.
func TestRecord(t *testing.T) {
	st := subStats()
	s := Record(st, replay.RecorderStats{}, 2*time.Second, "Europe/London", st.VerdictInput(true))
	if s.Verdict != verdict.Lost || !strings.Contains(s.VerdictDetail, "100 lost in 2 gaps") {
		t.Fatalf("verdict %q %q: want lost, with the gaps", s.Verdict, s.VerdictDetail)
	}
	if s.Command != "record" || s.RecordsReceived != 900 || s.ThroughputRPS != 450 || s.Seconds != 2 || s.Workers == nil || s.TZ != "Europe/London" {
		t.Fatalf("%+v", s)
	}
	b, _ := json.Marshal(s)
	for _, k := range []string{`"command":"record"`, `"recording":`, `"tz":"Europe/London"`, `"workers":[]`, `"verdict":"lost"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("no %s in %s", k, b)
		}
	}
}
