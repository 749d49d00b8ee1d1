package tuning

import (
	"fmt"
	"slices"
	"testing"
)

func TestPlanLog(t *testing.T) {
	var lines []string
	logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	p := BoxPlan{Runtime: RuntimeState{MaxProcs: 2, GOGC: 100, MemLimit: -1}, Warnings: []string{"a", "b"}}
	p.Log(logf)
	if want := []string{p.String(), "warning: a", "warning: b"}; !slices.Equal(lines, want) {
		t.Fatalf("BoxPlan.Log wrote %q, want %q", lines, want)
	}
	lines = nil
	CorePlan{Warnings: []string{"c"}}.LogWarnings(logf)
	CorePlan{}.LogWarnings(logf)
	if want := []string{"warning: c"}; !slices.Equal(lines, want) {
		t.Fatalf("CorePlan.LogWarnings wrote %q, want %q", lines, want)
	}
}
