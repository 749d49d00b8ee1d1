package cli

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bbox-dev/bbox/tuning"
)

// List collects a repeatable, comma-separated flag: --connect a,b
// --connect c is [a b c]; empty items are dropped.
type List []string

func (l *List) String() string { return strings.Join(*l, ",") }

func (l *List) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// Rate is records per second, or "max" (0) for full speed; 100k and 2M
// are 100,000 and 2,000,000.
type Rate float64

func (r *Rate) String() string {
	if *r == 0 {
		return "max"
	}
	return strconv.FormatFloat(float64(*r), 'f', -1, 64)
}

func (r *Rate) Set(s string) error {
	if s == "max" {
		*r = 0
		return nil
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("want records per second (100000, 100k) or max")
	}
	*r = Rate(v * mult)
	return nil
}

// OneOf is the rule of a flag that takes one of choices.
func OneOf(choices ...string) Rule {
	return func(f *flag.Flag) error {
		s := f.Value.String()
		for _, c := range choices {
			if s == c {
				return nil
			}
		}
		return fmt.Errorf("want %s", OrList(choices))
	}
}

// OrList spells choices as "a, b or c".
func OrList(choices []string) string {
	if len(choices) == 1 {
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// Int is the rule check for the int flags of a name; a flag of that
// name with another type (a list) is not checked.
func Int(check func(n int) error) Rule {
	return func(f *flag.Flag) error {
		n, ok := IntOf(f.Value)
		if !ok {
			return nil
		}
		return check(n)
	}
}

// IntOf is v's value if v is an int flag.
func IntOf(v flag.Value) (int, bool) {
	g, ok := v.(flag.Getter)
	if !ok {
		return 0, false
	}
	n, ok := g.Get().(int)
	return n, ok
}

// Text is the rule check applied to a flag's value as written.
func Text(check func(s string) error) Rule {
	return func(f *flag.Flag) error { return check(f.Value.String()) }
}

// CPUs is a core list flag that may also be auto or none (the cores
// --worker-cpus leaves to everything but the subscriber threads).
type CPUs string

func (c *CPUs) String() string { return string(*c) }

func (c *CPUs) Set(s string) error {
	if s != "auto" && s != "none" {
		if _, err := tuning.ParseCPUList(s); err != nil {
			return err
		}
	}
	*c = CPUs(s)
	return nil
}

// List is c as tuning.CoreInput.RestCPUs takes it: nil for auto, empty
// for none (or unset), else the cores.
func (c CPUs) List() []int {
	switch c {
	case "auto":
		return nil
	case "", "none":
		return []int{}
	}
	cpus, _ := tuning.ParseCPUList(string(c)) // checked by Set
	return cpus
}
