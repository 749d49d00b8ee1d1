package replay

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The summary prints the report's text in its zone and carries the
// command's name and the zone next to the report's keys in JSON.
func TestInspectSummary(t *testing.T) {
	file := writeFile(t, testRecords(t, 500, 2), 8<<10)
	r, err := NewReader(bytes.NewReader(file), int64(len(file)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect([]*Reader{r}, 3)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary(loc, "America/New_York, given")
	var got, want bytes.Buffer
	s.WriteText(&got)
	rep.WriteText(&want, loc, "America/New_York, given")
	if got.String() != want.String() || got.Len() == 0 {
		t.Errorf("summary text:\n%s\nwant:\n%s", got.String(), want.String())
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if keys["command"] != "inspect" || keys["tz"] != "America/New_York" || keys["records"] != float64(500) {
		t.Errorf("summary JSON %s", b)
	}
	for _, k := range []string{"loc", "zone"} {
		if _, ok := keys[k]; ok {
			t.Errorf("summary JSON has %q: %s", k, b)
		}
	}
}
