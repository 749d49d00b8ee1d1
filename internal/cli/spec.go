package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Rule checks a parsed flag's value; an error says what is wrong with it.
type Rule func(f *flag.Flag) error

// Spec is a program's flag conventions. Every field may be nil.
type Spec struct {
	// ValueNames name the values of flags whose type says too little
	// ("config": "FILE"), by flag name.
	ValueNames map[string]string
	// Endpoints are the List flags whose items are endpoints: help shows
	// EP[,EP...] and CheckEndpoint checks each item.
	Endpoints     map[string]bool
	CheckEndpoint func(string) error
	// Rules are the rules of flag names besides the endpoints'.
	Rules map[string]Rule
	// NegativeOK are number flags whose negative values mean something;
	// the other number and duration flags without a rule, and without a
	// negative default, must not be negative.
	NegativeOK map[string]bool
	// Footer ends every help text ("Exit status: ...\n").
	Footer string
}

// Usage is a command's help: synopsis (after the flag set's name),
// summary and every flag as --name VALUE with its usage below.
func (s *Spec) Usage(fs *flag.FlagSet, synopsis, summary string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s %s\n\n%s\n\nFlags:\n", fs.Name(), synopsis, summary)
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s", f.Name)
		if t := s.TypeName(f.Name, f.Value); t != "" {
			fmt.Fprintf(&b, " %s", t)
		}
		b.WriteString("\n        ")
		b.WriteString(strings.ReplaceAll(f.Usage, "\n", "\n        "))
		if !zeroDefault(f) {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteByte('\n')
	})
	b.WriteString("\n" + s.Footer)
	return b.String()
}

// zeroDefault reports whether f's default is not worth printing.
func zeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "0s", "false":
		return true
	}
	return false
}

// TypeName names the kind of value a flag takes, for help ("" for a
// switch). Unlike flag.UnquoteUsage it never takes a word of the usage
// text for it, so usage may quote freely.
func (s *Spec) TypeName(name string, v flag.Value) string {
	if t, ok := s.ValueNames[name]; ok {
		return t
	}
	if b, ok := v.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	switch v.(type) {
	case *List:
		if s.Endpoints[name] {
			return "EP[,EP...]"
		}
		return "LIST"
	case *Rate:
		return "RATE"
	}
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			return "DURATION"
		case int, int64, uint, uint64:
			return "N"
		case float64:
			return "NUMBER"
		}
	}
	return "STRING"
}

// Parse parses args into fs without the flag package's own messages and
// usage dump. It returns flag.ErrHelp for -h (the caller prints the
// help), or an error saying in one line what is wrong with the first flag
// that is: a parse error in these terms, or a value breaking its rule.
func (s *Spec) Parse(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err != nil:
		return errors.New(explainParseError(fs, err))
	}
	var msg string
	fs.Visit(func(f *flag.Flag) {
		if err := s.Check(f); err != nil && msg == "" {
			msg = fmt.Sprintf("--%s %s: %v", f.Name, f.Value, err)
		}
	})
	if msg != "" {
		return errors.New(msg)
	}
	return nil
}

// ParseInterleaved parses flags that may come before, between or after
// positional arguments (bbox replay FILE --bind ...), which the flag
// package alone stops at; it returns the positional arguments.
func (s *Spec) ParseInterleaved(fs *flag.FlagSet, args []string) (pos []string, err error) {
	for {
		if err := s.Parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// Set sets flag name of fs to value and holds it to the rules a command
// line is held to (for a setting that comes from elsewhere: a config
// file). The error says what is wrong with the value.
func (s *Spec) Set(fs *flag.FlagSet, name, value string) error {
	f := fs.Lookup(name)
	if f == nil {
		return fmt.Errorf("no flag --%s", name)
	}
	if err := fs.Set(name, value); err != nil {
		return ExplainValueError(f.Value, value, err)
	}
	return s.Check(f)
}

// Check checks f's value against the rule of its name, if any.
func (s *Spec) Check(f *flag.Flag) error {
	if s.Endpoints[f.Name] && s.CheckEndpoint != nil {
		for _, p := range strings.Split(f.Value.String(), ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if err := s.CheckEndpoint(p); err != nil {
				return err
			}
		}
		return nil
	}
	if rule, ok := s.Rules[f.Name]; ok {
		return rule(f)
	}
	if s.NegativeOK[f.Name] || strings.HasPrefix(f.DefValue, "-") {
		return nil
	}
	return nonNegative(f.Value)
}

func nonNegative(v flag.Value) error {
	g, ok := v.(flag.Getter)
	if !ok {
		return nil
	}
	neg := false
	switch x := g.Get().(type) {
	case time.Duration:
		neg = x < 0
	case int:
		neg = x < 0
	case int64:
		neg = x < 0
	case float64:
		neg = x < 0
	}
	if neg {
		return errors.New("must not be negative")
	}
	return nil
}

// The flag package's messages, which it does not export as types.
var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reInvalid   = regexp.MustCompile(`^invalid value (".*") for flag -+([^:]+): (.*)$`)
	reBool      = regexp.MustCompile(`^invalid boolean value (".*") for -+([^:]+): (.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// explainParseError rewrites the flag package's error in --flag terms.
func explainParseError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		s := "unknown flag --" + m[1]
		if near := Nearest(fs, m[1]); near != "" {
			s += " (did you mean --" + near + "?)"
		}
		return s
	}
	if m := reInvalid.FindStringSubmatch(msg); m != nil {
		v, _ := strconv.Unquote(m[1])
		why := m[3]
		if f := fs.Lookup(m[2]); f != nil {
			why = ExplainValueError(f.Value, v, errors.New(why)).Error()
		}
		return fmt.Sprintf("--%s %s: %s", m[2], v, why)
	}
	if m := reBool.FindStringSubmatch(msg); m != nil {
		v, _ := strconv.Unquote(m[1])
		return fmt.Sprintf("--%s=%s: want true or false (a switch: --%s alone turns it on)", m[2], v, m[2])
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	return msg
}

// ExplainValueError replaces the flag package's "parse error" for v's
// type with what the value s should look like; other errors (the
// program's own flag types', "value out of range") already say it.
func ExplainValueError(v flag.Value, s string, err error) error {
	g, ok := v.(flag.Getter)
	if !ok || err.Error() != "parse error" {
		return err
	}
	switch g.Get().(type) {
	case time.Duration:
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return fmt.Errorf("a duration needs a unit: %ss, %sms, %sm", s, s, s)
		}
		return errors.New("not a duration (500ms, 5s, 2m, 1h30m)")
	case int, int64:
		return errors.New("want a whole number")
	case uint, uint64:
		return errors.New("want a whole number ≥ 0")
	case float64:
		return errors.New("want a number")
	case bool:
		return errors.New("want true or false")
	}
	return err
}

// Nearest is the flag of fs a typo most likely meant: the one a few edits
// away (at most one per four letters, and at least one), or the only one
// that starts with name; "" if none is close.
func Nearest(fs *flag.FlagSet, name string) string {
	best, bestD := "", 1+len(name)/4+1
	var prefixed []string
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" && len(prefixed) == 1 && len(name) >= 2 {
		return prefixed[0]
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
