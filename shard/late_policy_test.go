package shard

import "testing"

func TestParseLatePolicy(t *testing.T) {
	for s, want := range map[string]LatePolicy{"croak": LateCroak, "warn": LateWarn} {
		if got, err := ParseLatePolicy(s); err != nil || got != want {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Warn", "drop"} {
		if _, err := ParseLatePolicy(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
