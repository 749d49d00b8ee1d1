package shard

import "fmt"

// ParseLatePolicy parses a LatePolicy's name: croak or warn (exactly; a
// misspelt policy must not quietly become the other one).
func ParseLatePolicy(s string) (LatePolicy, error) {
	switch s {
	case "croak":
		return LateCroak, nil
	case "warn":
		return LateWarn, nil
	}
	return LateCroak, fmt.Errorf("late policy %q: want croak or warn", s)
}
