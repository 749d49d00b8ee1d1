package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
)

// A recording's report has Record's JSON, and for text an empty line,
// then RecorderStats.WriteText of what was received and written, then the
// verdict: records received and not written are lost to the recording.
func TestRecordReport(t *testing.T) {
	st := shard.SubStats{Received: 3000, Published: 3000, Shards: []shard.ShardSubStats{{Records: 3000, EOS: true, Reached: true}}}
	rs := replay.RecorderStats{Records: 2990, Received: 3000, Dropped: 10, Chunks: 2, Bytes: 4096, WireBytes: 9000, Files: []string{"rec.bbc"}}
	in := st.VerdictInput(false)
	in.NotWritten = rs.Dropped
	r := NewRecordReport(st, rs, 2*time.Second, "America/New_York", in)
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(Record(st, rs, 2*time.Second, "America/New_York", in))
	if !bytes.Equal(got, want) {
		t.Errorf("JSON\n%s\nwant Record's\n%s", got, want)
	}
	var text, wantText bytes.Buffer
	r.WriteText(&text)
	wantText.WriteString("\n")
	rs.WriteText(&wantText, st, 2, "America/New_York", r.Warnings)
	wantText.WriteString("NOT exactly once (lost): 10 received but not written to the recording.\n")
	if text.String() != wantText.String() || len(r.Warnings) == 0 || !bytes.Contains(text.Bytes(), []byte("not written")) {
		t.Errorf("text:\n%q\nwant:\n%q", text.String(), wantText.String())
	}
}
