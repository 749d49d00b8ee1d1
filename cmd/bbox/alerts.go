package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

func init() {
	register(&command{
		name:    "alerts",
		summary: "watch the alert endpoints of subscribers and publishers (their --alert): squawks, croaks, slow consumers",
		usage:   "--connect EP[,EP...] [flags]",
		run:     runAlerts,
	})
}

// alertUsage documents the --alert flag of pub and sub.
const alertUsage = "publish squawks, croaks and slow-consumer events as JSON on a PUB bound here (watch with bbox alerts --connect)"

// openAlerts binds --alert, if given, and returns a publish function
// (a no-op without an endpoint) and a closer that delivers what is queued
// before returning.
func openAlerts(endpoint string, log *logger, cf *connFlags) (publish func(alerts.Event), closeFn func(), err error) {
	if endpoint == "" {
		return func(alerts.Event) {}, func() {}, nil
	}
	a, err := alerts.NewPub(endpoint, cf.options(log), log.Logf)
	if err != nil {
		return nil, nil, fmt.Errorf("--alert: %w", err)
	}
	log.Logf("alerts on %s", a.Endpoint())
	return a.Publish, func() { a.Close(2 * time.Second) }, nil
}

func runAlerts(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	var connect, kinds cli.List
	fs.Var(&connect, "connect", "alert endpoints to watch (repeatable or comma-separated)")
	fs.Var(&kinds, "kinds", "only these kinds: croak, late, gap, stalled, slow_consumer, disconnect (default all)")
	count := fs.Int("count", 0, "exit after this many events (0: no limit)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	asJSON := fs.Bool("json", false, "print each event as one JSON line instead of text")
	var cf connFlags
	cf.register(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if len(connect) == 0 {
		return usageErr(e, c, "--connect is required")
	}
	if _, err := zmqx.ParseEndpoints(strings.Join(connect, ",")); err != nil {
		return usageErr(e, c, "--connect: %v", err)
	}
	log := &logger{w: e.stderr, tty: e.stderrTTY, component: c.name}
	ctx, cancel := withDuration(ctx, *duration)
	defer cancel()
	alerts.Follow(ctx, alerts.FollowConfig{Endpoints: connect, Kinds: kinds, Count: *count, Conn: cf.options(log), Logf: log.Logf}, func(ev alerts.Event) {
		if *asJSON {
			b, _ := json.Marshal(ev)
			fmt.Fprintf(e.stdout, "%s\n", b)
		} else {
			fmt.Fprintln(e.stdout, alerts.Line(ev))
		}
	})
	return exitOK
}
