package replay

import (
	"strings"
	"testing"
)

// TestSourceZone: Local is this box's zone by name, never "Local"; a
// name that is no zone is an error.
func TestSourceZone(t *testing.T) {
	t.Setenv("TZ", "Asia/Tokyo")
	for in, want := range map[string]string{"Local": "Asia/Tokyo", "": "UTC", "UTC": "UTC", "Europe/London": "Europe/London"} {
		if z, err := SourceZone(in); err != nil || z != want {
			t.Errorf("SourceZone(%q) = %q, %v; want %q", in, z, err, want)
		}
	}
	if _, err := SourceZone("Mars/Olympus"); err == nil {
		t.Error("Mars/Olympus is a zone")
	}
	for _, c := range []struct {
		flag string
		meta map[string]string
		want string
	}{{"Asia/Tokyo", map[string]string{"tz": "UTC"}, "--tz Asia/Tokyo"}, {"", map[string]string{"tz": "America/New_York"}, "America/New_York, the file's zone"},
		{"", nil, "UTC: the file names no zone"}} {
		if n := ZoneNote(c.flag, c.meta); !strings.HasPrefix(n, c.want) {
			t.Errorf("ZoneNote(%q, %v) = %q", c.flag, c.meta, n)
		}
	}
}
