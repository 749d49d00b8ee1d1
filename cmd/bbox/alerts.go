package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/alerts"
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

func runAlerts(ctx context.Context, e *env, args []string) int {
	c := commands["alerts"]
	fs := newFlags(e, c)
	var connect, kinds listFlag
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
	prefixes := []string{alerts.Topic}
	if len(kinds) > 0 {
		prefixes = nil
		for _, k := range kinds {
			prefixes = append(prefixes, alerts.Topic+k)
		}
	}
	log := &logger{w: e.stderr, tty: e.stderrTTY, component: c.name}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	var mu sync.Mutex
	var seen atomic.Int64
	show := func(ev alerts.Event) {
		mu.Lock()
		defer mu.Unlock()
		if *count > 0 && seen.Load() >= int64(*count) {
			return
		}
		if *asJSON {
			b, _ := json.Marshal(ev)
			fmt.Fprintf(e.stdout, "%s\n", b)
		} else {
			fmt.Fprintln(e.stdout, alertLine(ev))
		}
		if n := seen.Add(1); *count > 0 && n >= int64(*count) {
			cancel()
		}
	}
	var wg sync.WaitGroup
	for _, ep := range connect {
		for _, pfx := range prefixes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := alerts.Watch(ctx, ep, pfx, cf.options(log), show, log.Logf)
				if err != nil {
					log.Logf("%v", err)
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	return exitOK
}

// alertLine is an event as bbox alerts shows it: time, host, pid, the
// kind as its label, then the subscriber's or publisher's own line without
// the label that line already starts with ("CROAK: ", "warning: "), so the
// label is said once.
func alertLine(ev alerts.Event) string {
	msg := ev.Message
	for _, verb := range []string{"CROAK: ", "warning: "} {
		msg = strings.TrimPrefix(msg, verb)
	}
	return fmt.Sprintf("%s %s pid %d %s: %s", time.Unix(0, ev.Time).Format("15:04:05.000"), ev.Host, ev.PID, strings.ToUpper(ev.Kind), msg)
}
