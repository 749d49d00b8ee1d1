package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var spec = &Spec{
	ValueNames: map[string]string{"config": "FILE"},
	Endpoints:  map[string]bool{"bind": true},
	CheckEndpoint: func(s string) error {
		return map[bool]error{true: nil, false: errors.New("want tcp://")}[strings.HasPrefix(s, "tcp://")]
	},
	Rules:      map[string]Rule{"slow": OneOf("drop", "block"), "size": Int(func(n int) error { return map[bool]error{true: fmt.Errorf("size %d too big", n)}[n > 10] })},
	NegativeOK: map[string]bool{"offset": true},
	Footer:     "Exit status: 0 done.\n",
}

func newSet() *flag.FlagSet {
	fs := flag.NewFlagSet("prog cmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var binds, topics List
	var rate Rate
	fs.Var(&binds, "bind", "endpoints")
	fs.Var(&topics, "topics", "topics")
	fs.Var(&rate, "rate", "records per second")
	fs.String("config", "", "the file")
	fs.String("slow", "drop", "policy")
	fs.Int("size", 5, "record size")
	fs.Int("records", 0, "records\nthen stop")
	fs.Duration("duration", 0, "run this long")
	fs.Duration("offset", 0, "clock offset")
	fs.Int("heartbeat", -1, "negative: off")
	fs.Uint64("from", 0, "sequence")
	fs.Float64("ratio", 0, "a ratio")
	fs.Bool("json", false, "print JSON")
	return fs
}

func TestUsage(t *testing.T) {
	fs := newSet()
	got := spec.Usage(fs, "[flags]", "does things")
	for _, want := range []string{
		"Usage: prog cmd [flags]\n\ndoes things\n\nFlags:\n",
		"  --bind EP[,EP...]\n        endpoints\n",
		"  --topics LIST\n",
		"  --rate RATE\n        records per second (default max)\n",
		"  --config FILE\n",
		"  --slow STRING\n        policy (default drop)\n",
		"  --size N\n        record size (default 5)\n",
		"  --records N\n        records\n        then stop\n",
		"  --duration DURATION\n        run this long\n",
		"  --from N\n", "  --ratio NUMBER\n", "  --json\n        print JSON\n",
		"  --heartbeat N\n        negative: off (default -1)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Usage lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "\n\nExit status: 0 done.\n") {
		t.Errorf("Usage does not end with the footer:\n%s", got)
	}
}

func TestParseMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rat", "5"}, "unknown flag --rat (did you mean --rate?)"},
		{[]string{"--conf", "x"}, "unknown flag --conf (did you mean --config?)"},
		{[]string{"--x"}, "unknown flag --x"},
		{[]string{"--duration", "5"}, "--duration 5: a duration needs a unit: 5s, 5ms, 5m"},
		{[]string{"--duration", "soon"}, "--duration soon: not a duration (500ms, 5s, 2m, 1h30m)"},
		{[]string{"--duration", "-1s"}, "--duration -1s: must not be negative"},
		{[]string{"--records", "many"}, "--records many: want a whole number"},
		{[]string{"--records", "-5"}, "--records -5: must not be negative"},
		{[]string{"--ratio", "-0.5"}, "--ratio -0.5: must not be negative"},
		{[]string{"--from", "-1"}, "--from -1: want a whole number ≥ 0"},
		{[]string{"--ratio", "x"}, "--ratio x: want a number"},
		{[]string{"--json=maybe"}, "--json=maybe: want true or false (a switch: --json alone turns it on)"},
		{[]string{"--records"}, "--records needs a value"},
		{[]string{"--rate", "fast"}, "--rate fast: want records per second (100000, 100k) or max"},
		{[]string{"--slow", "fast"}, "--slow fast: want drop or block"},
		{[]string{"--size", "11"}, "--size 11: size 11 too big"},
		{[]string{"--bind", "tcp://a,udp://b"}, "--bind tcp://a,udp://b: want tcp://"},
		{[]string{"--offset", "-1s", "--heartbeat", "-5", "--bind", "tcp://a, ,tcp://b", "--rate", "2M"}, ""},
	} {
		err := spec.Parse(newSet(), c.args)
		if got := fmt.Sprint(err); c.want == "" && err != nil || c.want != "" && got != c.want {
			t.Errorf("Parse(%q) = %v, want %q", c.args, err, c.want)
		}
	}
	if err := spec.Parse(newSet(), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Parse(-h) = %v, want flag.ErrHelp", err)
	}
}

func TestParseInterleaved(t *testing.T) {
	fs := newSet()
	pos, err := spec.ParseInterleaved(fs, []string{"a.bbc", "--size", "3", "b.bbc", "--json"})
	if err != nil || strings.Join(pos, " ") != "a.bbc b.bbc" || fs.Lookup("size").Value.String() != "3" || fs.Lookup("json").Value.String() != "true" {
		t.Errorf("ParseInterleaved = %q, %v", pos, err)
	}
	if _, err := spec.ParseInterleaved(newSet(), []string{"a", "--size", "x"}); err == nil {
		t.Error("ParseInterleaved took a bad value")
	}
}

// TestSet: a value from elsewhere (a config file) is held to the same
// rules as the command line, with the same explanations.
func TestSet(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"duration", "5", "a duration needs a unit: 5s, 5ms, 5m"},
		{"duration", "-1s", "must not be negative"},
		{"slow", "fast", "want drop or block"},
		{"nope", "1", "no flag --nope"},
		{"size", "3", "<nil>"},
	} {
		if err := spec.Set(newSet(), c.name, c.value); fmt.Sprint(err) != c.want {
			t.Errorf("Set(%s, %s) = %v, want %s", c.name, c.value, err, c.want)
		}
	}
}

// TestFlagTypesAfterParse: Parse leaves the flag package's own values in
// place, so flag.UnquoteUsage (a generated reference) still sees types.
func TestFlagTypesAfterParse(t *testing.T) {
	fs := newSet()
	if err := spec.Parse(fs, []string{"--json", "--duration", "1s"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"json": "", "duration": "duration"} {
		if typ, _ := flag.UnquoteUsage(fs.Lookup(name)); typ != want {
			t.Errorf("--%s: UnquoteUsage type %q, want %q", name, typ, want)
		}
	}
	if d := fs.Lookup("duration").Value.(flag.Getter).Get().(time.Duration); d != time.Second {
		t.Errorf("--duration = %v", d)
	}
}

// TestNearestFlag checks the suggestion rule on its own.
func TestNearestFlag(t *testing.T) {
	for _, c := range []struct{ a, b string }{{"", "x"}, {"rat", "rate"}, {"conect", "connect"}, {"kitten", "sitting"}} {
		if d := editDistance(c.a, c.b); d != map[string]int{"x": 1, "rate": 1, "connect": 1, "sitting": 3}[c.b] {
			t.Errorf("editDistance(%q, %q) = %d", c.a, c.b, d)
		}
	}
	fs := newSet()
	for name, want := range map[string]string{"rat": "rate", "hea": "heartbeat", "h": "", "sizes": "size", "zzzz": ""} {
		if got := Nearest(fs, name); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestValues(t *testing.T) {
	var l List
	l.Set("a, b,,c")
	l.Set("d")
	if l.String() != "a,b,c,d" {
		t.Errorf("List = %q", l.String())
	}
	for in, want := range map[string]float64{"max": 0, "100k": 1e5, "2M": 2e6, "1500.5": 1500.5} {
		var r Rate
		if err := r.Set(in); err != nil || float64(r) != want {
			t.Errorf("Rate.Set(%q) = %v, %v", in, float64(r), err)
		}
	}
	for _, in := range []string{"0", "-1", "k", "NaN", "Inf", "fast"} {
		var r Rate
		if r.Set(in) == nil {
			t.Errorf("Rate.Set(%q) accepted", in)
		}
	}
	if r := Rate(2.5e6); r.String() != "2500000" {
		t.Errorf("Rate.String = %q", r.String())
	}
	for in, want := range map[string][]int{"auto": nil, "none": {}, "0-1,3": {0, 1, 3}} {
		var c CPUs
		if err := c.Set(in); err != nil || fmt.Sprint(c.List()) != fmt.Sprint(want) || (c.List() == nil) != (want == nil) {
			t.Errorf("CPUs %q: List %v, %v; want %v", in, c.List(), err, want)
		}
	}
	if c := CPUs(""); c.List() == nil || len(c.List()) != 0 {
		t.Error("unset CPUs is not none")
	}
	if c := new(CPUs); c.Set("x") == nil {
		t.Error("CPUs took x")
	}
	if OrList([]string{"a"}) != "a" || OrList([]string{"a", "b", "c"}) != "a, b or c" {
		t.Error("OrList")
	}
}
