package tuning

import (
	"strings"
	"testing"
)

// TestBoxConfigValidate: the zero config is valid; a bad runtime setting
// or a negative count, core or buffer is refused by Validate and PlanBox
// alike (SetupBox checks first too, but changes the process).
func TestBoxConfigValidate(t *testing.T) {
	if err := (BoxConfig{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	for _, c := range []struct {
		cfg  BoxConfig
		want string
	}{
		{BoxConfig{Runtime: Runtime{MaxProcs: -1}}, "GOMAXPROCS -1"},
		{BoxConfig{Shards: -1}, "must not be negative"},
		{BoxConfig{Workers: -2}, "must not be negative"},
		{BoxConfig{RcvBuf: -1}, "sizes must not be negative"},
		{BoxConfig{Shards: 1, ShardCPUs: []int{-1}}, "core -1"},
		{BoxConfig{RestCPUs: []int{-3}}, "core -3"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: %v, want %q", c.cfg, err, c.want)
		}
		if _, perr := PlanBox(c.cfg); perr == nil || perr.Error() != err.Error() {
			t.Fatalf("%+v: PlanBox says %v, want %v", c.cfg, perr, err)
		}
	}
}
