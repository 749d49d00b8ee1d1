package shard

import "testing"

// Every name ParseIdle reads names its strategy back; another strategy
// has no name.
func TestIdleName(t *testing.T) {
	for _, s := range []string{"park", "yield", "spin"} {
		i, err := ParseIdle(s)
		if err != nil {
			t.Fatal(err)
		}
		if name, ok := i.Name(); !ok || name != s {
			t.Errorf("%s: Name() = %q, %v", s, name, ok)
		}
	}
	if name, ok := (IdleStrategy{Spin: 7}).Name(); ok {
		t.Errorf("a custom strategy is named %q", name)
	}
}
