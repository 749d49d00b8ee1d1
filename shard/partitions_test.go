package shard

import (
	"fmt"
	"testing"
)

func TestParsePartitions(t *testing.T) {
	if p, err := ParsePartitions([]string{"0", "7", "4294967295"}); err != nil || fmt.Sprint(p) != "[0 7 4294967295]" {
		t.Errorf("ParsePartitions = %v, %v", p, err)
	}
	for _, bad := range []string{"-1", "x", "4294967296", ""} {
		if _, err := ParsePartitions([]string{"1", bad}); err == nil || err.Error() != fmt.Sprintf("%q is not a partition number", bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if p, err := ParsePartitions(nil); p != nil || err != nil {
		t.Errorf("none: %v, %v", p, err)
	}
}
