package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/exchange"
)

// The exchange replay's report warns of what the source skipped and of
// shards nobody heard, says what was read before what was sent, and its
// JSON is WithExchange's.
func TestExchangeReplay(t *testing.T) {
	s := Summary{Command: "replay", RecordsPublished: 40, Seconds: 1, Shards: []Shard{{ID: 0, Records: 40, Endpoint: "tcp://127.0.0.1:5555"}}}
	st := exchange.Stats{Records: 40, Messages: 42, Unknown: 2, ByType: map[string]int64{"A": 40}, Day: "2019-01-30"}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	r := NewExchangeReplay(s, st, 0, []string{"a.itch", "b.itch"}, []exchange.SymCount{{Symbol: "AAPL", Records: 40}}, loc)
	want := append(append([]string{}, st.Warnings()...), Unheard(&s, 0)...)
	if len(want) < 2 || strings.Join(r.Warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings %q, want the source's then Unheard's: %q", r.Warnings, want)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("the caller's summary was changed: %q", s.Warnings)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	text := b.String()
	head, pub := strings.Index(text, "replay: 42 ITCH messages read from a.itch, b.itch\n"), strings.Index(text, "replay: 40 records published")
	if head != 0 || pub < 0 || !strings.Contains(text, "AAPL") {
		t.Fatalf("text:\n%s", text)
	}
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(WithExchange(r.Summary, st))
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("JSON\n%s\nwant WithExchange's\n%s", got, wantJSON)
	}
}
