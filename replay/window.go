package replay

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Zone resolves the time zone a replay's window is given in: name (an IANA
// zone, "UTC" or "Local"), or when name is empty the capture's own zone
// (its header's "tz" metadata), else UTC.
func Zone(name string, meta map[string]string) (*time.Location, error) {
	if name == "" {
		name = meta["tz"]
	}
	if name == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(name)
}

// FirstTS is the earliest source time in rs's chunk index (ns since the
// Unix epoch), 0 if they hold no chunks: the day a time of day refers to.
func FirstTS(rs []*Reader) int64 {
	first := int64(math.MaxInt64)
	for _, r := range rs {
		for _, c := range r.Chunks() {
			first = min(first, c.FirstTS)
		}
	}
	if first == math.MaxInt64 {
		return 0
	}
	return first
}

// clockLayouts are the times of day a window may be given in.
var clockLayouts = []string{"15:04", "15:04:05", "15:04:05.999999999"}

// TimeOfDay parses a time of day (09:30, 15:59:30.5) as the time since
// midnight, the way ITCH times count.
func TimeOfDay(s string) (time.Duration, error) {
	for _, layout := range clockLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day (09:30, 15:59:30.5)", s)
}

// ClockTime parses one side of a replay window (SourceConfig.From/To): a
// time of day (15:04, 15:04:05, 15:04:05.999) on the day of day0 in loc,
// or a full RFC 3339 timestamp. It returns ns since the Unix epoch.
func ClockTime(s string, day0 int64, loc *time.Location) (int64, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixNano(), nil
	}
	for _, layout := range clockLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			d := time.Unix(0, day0).In(loc)
			return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day (09:30, 15:59:30.5) or an RFC 3339 timestamp", s)
}

// ParseSpeed reads a replay's pace (SourceConfig.Speed): "max" (0: as
// fast as the consumer takes it) or a positive multiple of the original
// pacing, "1x", "10x", "0.5x".
func ParseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "x"), 64)
	if err != nil || !strings.HasSuffix(s, "x") || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("want max, 1x (original pacing) or a multiple like 10x or 0.5x")
	}
	return f, nil
}

// FormatSpeed writes speed as ParseSpeed reads it: "max" for 0, else "10x".
func FormatSpeed(speed float64) string {
	if speed == 0 {
		return "max"
	}
	return strconv.FormatFloat(speed, 'f', -1, 64) + "x"
}

// WindowError is a side of a replay window that does not parse: Side is
// "from" or "to", or "tz" for the zone they are read in (OpenPlay).
type WindowError struct {
	Side string
	Err  error
}

func (e *WindowError) Error() string { return e.Side + ": " + e.Err.Error() }
func (e *WindowError) Unwrap() error { return e.Err }

// ErrEmptyWindow is a window whose end is not after its start.
var ErrEmptyWindow = errors.New("the window ends before it starts")

// Window reads a replay window over fs (SourceConfig.From and To): from
// and to are times of day on the day of the files' first record, in loc,
// or RFC 3339 timestamps; "" leaves a side open (0). A side that does not
// parse is a *WindowError; an end not after the start is ErrEmptyWindow.
func (fs Files) Window(from, to string, loc *time.Location) (int64, int64, error) {
	if from == "" && to == "" {
		return 0, 0, nil
	}
	day0 := FirstTS(fs)
	var start, end int64
	var err error
	if from != "" {
		if start, err = ClockTime(from, day0, loc); err != nil {
			return 0, 0, &WindowError{Side: "from", Err: err}
		}
	}
	if to != "" {
		if end, err = ClockTime(to, day0, loc); err != nil {
			return 0, 0, &WindowError{Side: "to", Err: err}
		}
	}
	if end != 0 && end <= start {
		return 0, 0, ErrEmptyWindow
	}
	return start, end, nil
}
