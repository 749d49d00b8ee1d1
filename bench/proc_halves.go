package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// The plain-TCP baseline of process mode runs as two processes of the
// bbox binary: procTCP starts `bbox bench internal tcp-recv SPEC` and
// `bbox bench internal tcp-send SPEC`, and the binary hands those
// arguments to RunHalf. Both ends of that argv live here, so the two
// cannot drift apart; SPEC is one JSON object (halfSpec), not flags,
// because nobody but procTCP writes it.

// halfSpec is what one half needs: Recv for tcp-recv; Addr and the load
// for tcp-send.
type halfSpec struct {
	Recv     LeanRecvConfig `json:"recv"`
	Addr     string         `json:"addr,omitempty"` // the receiver, as tcp-recv printed it
	Rate     float64        `json:"rate,omitempty"` // 0: as fast as it goes
	Duration time.Duration  `json:"duration,omitempty"`
	Size     int            `json:"size,omitempty"`
	Symbols  int            `json:"symbols,omitempty"`
	Seed     uint64         `json:"seed,omitempty"`
}

// ErrHalfUsage is RunHalf's answer to arguments that name no half.
var ErrHalfUsage = errors.New("want tcp-recv SPEC or tcp-send SPEC")

// halfArgs is the bbox command line of one half.
func halfArgs(half string, spec halfSpec) []string {
	b, _ := json.Marshal(spec) // plain fields only: it cannot fail
	return []string{"bench", "internal", half, string(b)}
}

// parseHalf reads the arguments halfArgs wrote: the half's name and its
// spec.
func parseHalf(args []string) (half string, s halfSpec, err error) {
	if len(args) != 2 || (args[0] != "tcp-recv" && args[0] != "tcp-send") {
		return "", s, fmt.Errorf("%q: %w", args, ErrHalfUsage)
	}
	if err := json.Unmarshal([]byte(args[1]), &s); err != nil {
		return "", s, fmt.Errorf("%s: spec %q: %w", args[0], args[1], err)
	}
	return args[0], s, nil
}

// RunHalf runs one half of the plain-TCP baseline as `bbox bench internal`
// got it: args are the half's name (tcp-recv or tcp-send) and its SPEC.
// tcp-recv writes "listening ADDR" to stdout as soon as it listens. The
// result is the half's summary for the caller to print as its JSON line
// (records_received; records_published and seconds), which runProcess
// reads. An error wrapping ErrHalfUsage is arguments naming no half.
func RunHalf(ctx context.Context, args []string, stdout io.Writer) (any, error) {
	half, s, err := parseHalf(args)
	if err != nil {
		return nil, err
	}
	if half == "tcp-recv" {
		got, err := ReceiveTCP(ctx, s.Recv, func(a net.Addr) { fmt.Fprintf(stdout, "listening %s\n", a) })
		return map[string]int64{"records_received": got}, err
	}
	cfg := LeanConfig{Rate: s.Rate, Duration: s.Duration, Gen: feed.GenConfig{Size: s.Size, Symbols: s.Symbols, Seed: s.Seed}}
	n, secs, err := SendTCP(ctx, s.Addr, cfg)
	return map[string]any{"records_published": n, "seconds": secs}, err
}
