package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/replay"
)

// A capture replay's report warns that nothing matched before it warns of
// shards nobody heard, writes WriteReplay's text, and keeps the
// publisher's keys beside its "replay" block.
func TestCaptureReplay(t *testing.T) {
	s := Summary{Command: "replay", RecordsPublished: 40, Seconds: 1, Shards: []Shard{{ID: 0, Records: 40, Endpoint: "tcp://127.0.0.1:5555"}}}
	rep := replay.PlayReport{Files: []string{"day.bbc"}, Records: 40, SkippedSymbols: 7}
	r := NewCaptureReplay(s, rep, "nothing matched --symbols", 0)
	want := append([]string{"nothing matched --symbols"}, Unheard(&s, 0)...)
	if len(want) < 2 || strings.Join(r.Warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings %q, want nothing's, then Unheard's: %q", r.Warnings, want)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("the caller's summary was changed: %q", s.Warnings)
	}
	if r := NewCaptureReplay(s, rep, "", 0); strings.Join(r.Warnings, "\n") != strings.Join(Unheard(&s, 0), "\n") {
		t.Errorf("without nothing: warnings %q, want Unheard's alone", r.Warnings)
	}
	var got, wantText bytes.Buffer
	r.WriteText(&got)
	WriteReplay(&wantText, &r.Replay, &r.Summary)
	if got.String() != wantText.String() || !strings.Contains(got.String(), "nothing matched --symbols") {
		t.Fatalf("text:\n%s\nwant WriteReplay's:\n%s", got.String(), wantText.String())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["records_published"]; !ok {
		t.Errorf("no publisher key records_published in %s", b)
	}
	var back replay.PlayReport
	if err := json.Unmarshal(keys["replay"], &back); err != nil || back.Records != 40 || back.SkippedSymbols != 7 {
		t.Errorf("replay block %s: %+v, %v", keys["replay"], back, err)
	}
}
