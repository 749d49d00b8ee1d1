package cli

import (
	"errors"
	"flag"
	"io"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/workers"
)

// BBox is bbox's own table: what help calls each value, and the rule each
// flag name is held to in every command (and in a --config file). A rule
// asks the package that owns the setting (a Config's Validate), so the
// command line and the library agree on the bounds.
var BBox = &Spec{
	ValueNames:    bboxValueNames,
	Endpoints:     map[string]bool{"bind": true, "connect": true, "push": true, "alert": true},
	CheckEndpoint: func(s string) error { _, err := zmqx.ParseEndpoint(s); return err },
	Rules: map[string]Rule{
		"slow":        OneOf("drop", "block"),
		"on-late":     OneOf("croak", "warn"),
		"order":       Text(checkOrder),
		"frame-size":  checkFrameSize,
		"cpus":        Text(checkCPUs),
		"worker-cpus": Text(checkCPUs),
		"level":       Int(checkLevel),
		// The synthetic feed's int flags are held to the generator's
		// bounds (replay's --symbols is a list of topics: not checked).
		"symbols":  Int(func(n int) error { return (&feed.GenConfig{Symbols: n}).Validate() }),
		"size":     Int(func(n int) error { return (&feed.GenConfig{Size: n}).Validate() }),
		"credit":   Int(checkCredit),
		"shards":   Int(checkShards),
		"interval": checkInterval,
		"max-gap":  checkMaxGap,
		// --heartbeat-timeout: the library's bound, with the flag's words.
		"heartbeat-timeout": checkHeartbeatTimeout,
	},
	NegativeOK: map[string]bool{
		"heartbeat":         true, // negative: off
		"heartbeat-timeout": true, // negative: off (the subscriber's stall check)
		"clock-offset":      true, // the publisher's clock may run behind
	},
	Footer: "Exit status: 0 done, 1 error, 2 usage error, 3 croaked.\n",
}

// bboxValueNames name the values of flags whose type says too little.
var bboxValueNames = map[string]string{
	"alert": "EP", "push": "EP", "config": "FILE", "out": "FILE", "tap": "FILE", "root": "DIR",
	"source": "SOURCE", "cpus": "CPUS", "worker-cpus": "CPUS", "gogc": "PERCENT", "gomemlimit": "BYTES",
	"latency-out": "FILE", "latency-from": "STAMP", "latency-warmup": "DURATION", "latency-interval": "DURATION",
	"metrics": "ADDR", "log-format": "FORMAT", "on-late": "ACTION", "slow": "POLICY", "idle": "STRATEGY",
	"order": "ORDER", "co": "SETTING", "at": "WHERE", "mode": "MODE", "mold": "URL", "name": "NAME",
	"rotate": "LIMIT", "chunk-size": "BYTES", "date": "DATE", "from": "TIME", "to": "TIME", "open": "TIME", "tz": "ZONE",
	"format": "FORMAT", "recover": "MODE", "rewind": "BYTES", "recover-hold": "BYTES", "serve": "EP", "speed": "SPEED",
}

func checkOrder(s string) error {
	if _, err := workers.ParseOrder(s); err != nil {
		return errors.New("want none or topic")
	}
	return nil
}

// checkLevel holds --level to what the capture writer takes, by asking it.
func checkLevel(n int) error {
	w, err := replay.NewWriter(io.Discard, "", replay.WriterConfig{Level: n})
	if err != nil {
		return err
	}
	return w.Close()
}

// checkCPUs holds a core list (not auto or none) to the cores this
// process may use, so that a core the box lacks is refused in every
// command that pins, before anything is pinned.
func checkCPUs(s string) error {
	if s == "auto" || s == "none" || s == "" {
		return nil
	}
	_, err := tuning.AvailableCPUs(s)
	return err
}

// checkFrameSize holds --frame-size to the publisher's bounds; 0 is
// allowed where it is the default ("the publisher's default").
func checkFrameSize(f *flag.Flag) error {
	n, _ := IntOf(f.Value)
	if n == 0 && f.DefValue == "0" {
		return nil
	}
	return shard.PubConfig{Binds: []string{"ipc://check"}, FrameSize: n, HWM: 1 << 62}.Validate()
}

// flagHints name the flag that answers a library error (libraries speak of
// their Config, never of flags).
var flagHints = []struct {
	err  error
	flag string
}{{exchange.ErrNoDay, "--date"}, {exchange.ErrStrict, "--strict"}}

// FlagHint is " (--flag)" for an error a bbox flag answers, else "".
func FlagHint(err error) string {
	for _, h := range flagHints {
		if errors.Is(err, h.err) {
			return " (" + h.flag + ")"
		}
	}
	return ""
}
