package cli

import (
	"flag"
	"io"
	"testing"
)

func TestCreditRule(t *testing.T) {
	f := func(arg, want string) {
		t.Helper()
		fs := flag.NewFlagSet("bbox worker", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("credit", 64, "")
		got := ""
		if err := BBox.Parse(fs, []string{"--credit", arg}); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("--credit %s: %q, want %q", arg, got, want)
		}
	}
	f("1", "")
	f("64", "")
	f("0", "--credit 0: want at least 1 batch")
	f("-1", "--credit -1: must not be negative")
}
