package replay

import (
	"bytes"
	"errors"
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

// TestFilesWindow: both sides on the first record's day, each side's error
// named, and an end not after the start refused.
func TestFilesWindow(t *testing.T) {
	b := writeFile(t, testRecords(t, 100, 3), 4<<10)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	fs := Files{r}
	day := time.Unix(0, FirstTS(fs)).UTC()
	at := func(h, m int) int64 {
		return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, time.UTC).UnixNano()
	}
	if f, to, err := fs.Window("09:30", "16:00", time.UTC); err != nil || f != at(9, 30) || to != at(16, 0) {
		t.Fatalf("09:30-16:00: %d %d %v", f, to, err)
	}
	if f, to, err := fs.Window("", "", time.UTC); err != nil || f != 0 || to != 0 {
		t.Fatalf("open window: %d %d %v", f, to, err)
	}
	if f, to, err := fs.Window("", "10:00", time.UTC); err != nil || f != 0 || to != at(10, 0) {
		t.Fatalf("to only: %d %d %v", f, to, err)
	}
	var we *WindowError
	if _, _, err := fs.Window("09:30", "soon", time.UTC); !errors.As(err, &we) || we.Side != "to" || !strings.Contains(err.Error(), `to: "soon" is not a time of day`) {
		t.Fatalf("bad to: %v", err)
	}
	if _, _, err := fs.Window("25:00", "", time.UTC); !errors.As(err, &we) || we.Side != "from" {
		t.Fatalf("bad from: %v", err)
	}
	if _, _, err := fs.Window("10:00", "09:00", time.UTC); err != ErrEmptyWindow {
		t.Fatalf("backwards: %v", err)
	}
}
