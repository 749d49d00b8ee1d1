package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"
)

func TestExit(t *testing.T) {
	var out bytes.Buffer
	fs := flag.NewFlagSet("bbox x", flag.ContinueOnError)
	fs.SetOutput(&out)
	helped := false
	fs.Usage = func() { helped = true }
	if code, ok := Exit(fs, nil, "hint"); !ok || code != 0 || out.Len() > 0 || helped {
		t.Fatalf("nil: %d, %v, %q", code, ok, out.String())
	}
	if code, ok := Exit(fs, fmt.Errorf("wrapped: %w", flag.ErrHelp), "hint"); ok || code != ExitHelp || !helped || out.Len() > 0 {
		t.Fatalf("-h: %d, %v, help %v, %q", code, ok, helped, out.String())
	}
	if code, ok := Exit(fs, errors.New("--rate x: want records per second"), "Run 'bbox help x'."); ok || code != ExitUsage ||
		out.String() != "bbox x: --rate x: want records per second\nRun 'bbox help x'.\n" {
		t.Fatalf("mistake: %d, %v, %q", code, ok, out.String())
	}
}

func TestParseNone(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("bbox x", flag.ContinueOnError)
		fs.Int("n", 0, "")
		return fs
	}
	if err := BBox.ParseNone(newFS(), []string{"--n", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := BBox.ParseNone(newFS(), []string{"--n", "3", "extra"}); err == nil || err.Error() != `unexpected argument "extra"` {
		t.Fatalf("extra argument: %v", err)
	}
	if err := BBox.ParseNone(newFS(), []string{"--n", "x", "extra"}); err == nil || err.Error() == `unexpected argument "extra"` {
		t.Fatalf("a bad flag is the first mistake: %v", err)
	}
}
