package main

import (
	"context"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
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
	a, err := alerts.Open(endpoint, cf.options(log), log.Logf)
	if err != nil {
		return nil, nil, fmt.Errorf("--alert: %w", err)
	}
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
	log := newLogger(e, c, termlog.Text)
	ctx, cancel := withDuration(ctx, *duration)
	defer cancel()
	alerts.Follow(ctx, alerts.FollowConfig{Endpoints: connect, Kinds: kinds, Count: *count, Conn: cf.options(log), Logf: log.Logf}, func(ev alerts.Event) {
		fmt.Fprintln(e.stdout, alerts.Format(ev, *asJSON))
	})
	return exitOK
}
