package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/exchange"
)

// TestBBoxRules checks bbox's table on a flag set of its own: each rule
// refuses its mistake with the owning package's words (the commands'
// messages are cmd/bbox's TestFlagMistakes).
func TestBBoxRules(t *testing.T) {
	newBBoxSet := func() *flag.FlagSet {
		fs := flag.NewFlagSet("bbox x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var binds List
		fs.Var(&binds, "bind", "")
		for _, n := range []string{"slow", "on-late", "order", "cpus"} {
			fs.String(n, "", "")
		}
		fs.Int("frame-size", 65536, "")
		fs.Int("level", 1, "")
		fs.Int("symbols", 8000, "")
		fs.Int("heartbeat", 0, "")
		fs.Duration("heartbeat-timeout", 3e9, "")
		fs.Duration("linger", 0, "")
		return fs
	}
	for _, c := range []struct{ args, want string }{
		{"--bind 127.0.0.1:7001", "want tcp://HOST:PORT or ipc://PATH"},
		{"--slow fast", "want drop or block"},
		{"--on-late panic", "want croak or warn"},
		{"--order random", "want none or topic"},
		{"--frame-size 10", "frame size 10 outside"},
		{"--cpus 1023", "cpu 1023 is not available to this process"},
		{"--level 9", "compression level 9 outside [1, 4]"},
		{"--symbols 2000000", "symbols 2000000 outside"},
		{"--linger -1ms", "must not be negative"},
		{"--heartbeat-timeout -1s", ""}, // off, as its help says
		{"--heartbeat -1 --cpus auto --order topic --bind tcp://127.0.0.1:1,ipc:///tmp/x", ""},
	} {
		err := BBox.Parse(newBBoxSet(), strings.Fields(c.args))
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.args, err, c.want)
		}
	}
	fs := newBBoxSet()
	if got := BBox.TypeName("bind", fs.Lookup("bind").Value); got != "EP[,EP...]" {
		t.Errorf("--bind shows %q", got)
	}
	if FlagHint(fmt.Errorf("x.itch: %w", exchange.ErrNoDay)) != " (--date)" || FlagHint(io.EOF) != "" {
		t.Error("FlagHint")
	}
}
