package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// A ladder of rates reads as Rate does, naming the item it cannot read;
// Given tells a flag set from its default, and names the first of
// several that was set.
func TestRatesAndGiven(t *testing.T) {
	got, err := Rates([]string{"100k", "2.5M", "max", "750"})
	if err != nil || len(got) != 4 || got[0] != 1e5 || got[1] != 2.5e6 || got[2] != 0 || got[3] != 750 {
		t.Fatalf("%v, %v", got, err)
	}
	if _, err := Rates([]string{"10k", "fast"}); err == nil || err.Error() != `"fast": want records per second (100000, 100k) or max` {
		t.Fatalf("a bad item: %v", err)
	}
	if got, err := Rates(nil); got != nil || err != nil {
		t.Fatalf("no ladder: %v, %v", got, err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("cpus", "auto", "")
	fs.String("mode", "inprocess", "")
	if err := fs.Parse([]string{"--cpus", "auto"}); err != nil {
		t.Fatal(err)
	}
	if Given(fs, "cpus") != "cpus" || Given(fs, "mode") != "" || Given(fs, "nope") != "" || Given(fs) != "" {
		t.Error("Given")
	}
	if n := Given(fs, "mode", "nope", "cpus"); n != "cpus" {
		t.Errorf("Given(mode, nope, cpus) = %q, want the first given: cpus", n)
	}
}

// The tools' rules: --shards 1..64, --interval at least 10ms, in the
// words the commands print.
func TestToolRules(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--shards 0", "--shards 0: want 1..64"},
		{"--shards 65", "--shards 65: want 1..64"},
		{"--interval 5ms", "--interval 5ms: want at least 10ms"},
		{"--shards 64 --interval 10ms", ""},
	} {
		fs := flag.NewFlagSet("bbox x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("shards", 1, "")
		fs.Duration("interval", 0, "")
		err := BBox.Parse(fs, strings.Fields(c.args))
		if c.want == "" && err != nil || c.want != "" && (err == nil || err.Error() != c.want) {
			t.Errorf("%s: %v, want %q", c.args, err, c.want)
		}
	}
}
