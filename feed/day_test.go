package feed

import (
	"context"
	"testing"
	"time"
)

// A Day's records fall inside its session, and its metadata names it.
func TestDay(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	d := Day{Records: 5000, Symbols: 50, Size: 100, Seed: 3, Zipf: 1.1, Open: time.Date(2024, 1, 2, 9, 30, 0, 0, ny), Session: time.Hour}
	for _, flat := range []bool{false, true} {
		d.Flat = flat
		g, err := NewGenerator(d.GenConfig())
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := Each(context.Background(), g, func(r *Record) error {
			if at := time.Unix(0, r.SourceTS); at.Before(d.Open) || at.After(d.Open.Add(d.Session)) {
				t.Fatalf("record %d at %v, outside the session", n, at)
			}
			n++
			return nil
		}); err != nil || n != d.Records {
			t.Fatalf("flat %v: %d records, %v", flat, n, err)
		}
	}
	m := d.Meta()
	if m["tz"] != "America/New_York" || m["open"] != "2024-01-02T09:30:00-05:00" || m["session"] != "1h0m0s" || m["curve"] != "flat" || m["records"] != "5000" || m["zipf"] != "1.1" {
		t.Errorf("meta %v", m)
	}
}
