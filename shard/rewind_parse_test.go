package shard

import "testing"

func TestParseRewind(t *testing.T) {
	for in, want := range map[string]int64{"off": -1, "0": -1, "64MiB": 64 << 20, "1GiB": 1 << 30, "4096": 4096} {
		if got, err := ParseRewind(in); err != nil || got != want {
			t.Errorf("ParseRewind(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1MiB", "on"} {
		if got, err := ParseRewind(in); err == nil {
			t.Errorf("ParseRewind(%q) = %d, no error", in, got)
		}
	}
}

func TestParseHold(t *testing.T) {
	for in, want := range map[string]int{"64MiB": 64 << 20, "1TiB": 1 << 40, "4096": 4096} {
		if got, err := ParseHold(in); err != nil || got != want {
			t.Errorf("ParseHold(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "lots", "2TiB", "-1"} {
		if got, err := ParseHold(in); err == nil {
			t.Errorf("ParseHold(%q) = %d, no error", in, got)
		}
	}
}
