package cli

import (
	"errors"
	"flag"
	"time"
)

// The rules of the tools' flags (bench; --shards also demo's), merged
// into BBox.Rules.
func init() {
	for name, rule := range toolRules {
		BBox.Rules[name] = rule
	}
}

var toolRules = map[string]Rule{
	// A pipeline has one PUB endpoint and subscriber thread per shard,
	// 1 to 64 of them (bench.LoadConfig's bound).
	"shards": Int(func(n int) error {
		if n < 1 || n > 64 {
			return errors.New("want 1..64")
		}
		return nil
	}),
	// An interval histogram shorter than 10ms is mostly its own noise.
	"interval": func(f *flag.Flag) error {
		if d, ok := durationOf(f.Value); ok && d < 10*time.Millisecond {
			return errors.New("want at least 10ms")
		}
		return nil
	},
}

// durationOf is v's value if v is a duration flag.
func durationOf(v flag.Value) (time.Duration, bool) {
	g, ok := v.(flag.Getter)
	if !ok {
		return 0, false
	}
	d, ok := g.Get().(time.Duration)
	return d, ok
}
