package replay

import (
	"strings"
	"testing"
	"time"
)

func TestWindowParsing(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	day0 := time.Date(2026, 3, 8, 1, 0, 0, 0, ny).UnixNano() // the day clocks spring forward
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"09:30", time.Date(2026, 3, 8, 9, 30, 0, 0, ny)},
		{"15:59:30.5", time.Date(2026, 3, 8, 15, 59, 30, 5e8, ny)},
		{"2026-03-09T10:00:00Z", time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)},
	} {
		got, err := ClockTime(c.in, day0, ny)
		if err != nil || got != c.want.UnixNano() {
			t.Errorf("ClockTime(%q) = %v, %v; want %v", c.in, time.Unix(0, got).In(ny), err, c.want)
		}
	}
	if _, err := ClockTime("9h30", day0, ny); err == nil || !strings.Contains(err.Error(), `"9h30" is not a time of day`) {
		t.Errorf("ClockTime(9h30): %v", err)
	}
	if d, err := TimeOfDay("09:30:00.25"); err != nil || d != 9*time.Hour+30*time.Minute+250*time.Millisecond {
		t.Errorf("TimeOfDay = %v, %v", d, err)
	}
	if _, err := TimeOfDay("noon"); err == nil {
		t.Error("TimeOfDay(noon) accepted")
	}
	for _, c := range []struct {
		name string
		meta map[string]string
		want string
	}{{"", nil, "UTC"}, {"", map[string]string{"tz": "America/New_York"}, "America/New_York"}, {"Asia/Tokyo", map[string]string{"tz": "America/New_York"}, "Asia/Tokyo"}} {
		if loc, err := Zone(c.name, c.meta); err != nil || loc.String() != c.want {
			t.Errorf("Zone(%q, %v) = %v, %v; want %s", c.name, c.meta, loc, err, c.want)
		}
	}
	if FirstTS(nil) != 0 {
		t.Error("FirstTS of no files")
	}
}

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]float64{"max": 0, "1x": 1, "10x": 10, "0.5x": 0.5} {
		if f, err := ParseSpeed(in); err != nil || f != want || FormatSpeed(f) != in {
			t.Errorf("ParseSpeed(%q) = %v, %v (formats as %q)", in, f, err, FormatSpeed(f))
		}
	}
	for _, in := range []string{"", "10", "x", "0x", "-1x", "Infx", "NaNx", "fast"} {
		if _, err := ParseSpeed(in); err == nil {
			t.Errorf("ParseSpeed(%q) is a speed", in)
		}
	}
}
