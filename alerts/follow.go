package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// Line is an event as an operator console shows it: time, host, pid, the
// kind as its label, then the subscriber's or publisher's own line
// without the label that line already starts with ("CROAK: ",
// "warning: "), so the label is said once.
func Line(ev Event) string {
	msg := ev.Message
	for _, verb := range []string{"CROAK: ", "warning: "} {
		msg = strings.TrimPrefix(msg, verb)
	}
	return fmt.Sprintf("%s %s pid %d %s: %s", time.Unix(0, ev.Time).Format("15:04:05.000"), ev.Host, ev.PID, strings.ToUpper(ev.Kind), msg)
}

// FollowConfig is what Follow watches. The zero value of each field is
// noted; Endpoints is required.
type FollowConfig struct {
	Endpoints []string                         // alert endpoints (a process's --alert)
	Kinds     []string                         // only these kinds (nil: every kind)
	Count     int                              // stop after this many events (0: no limit)
	Conn      zmqx.Options                     // socket and guard options of the connections (zero: zmqx's defaults)
	Logf      func(format string, args ...any) // what cannot be watched (nil: discarded)
}

// Validate reports the first unusable field: no endpoint, one that does
// not parse, an empty kind or a negative Count.
func (c FollowConfig) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("alerts: no endpoint to follow")
	}
	for _, ep := range c.Endpoints {
		if _, err := zmqx.ParseEndpoint(ep); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}
	for _, k := range c.Kinds {
		if k == "" {
			return errors.New("alerts: an empty kind")
		}
	}
	if c.Count < 0 {
		return fmt.Errorf("alerts: count %d is negative", c.Count)
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	return nil
}

// Follow watches every endpoint for the configured kinds (Watch, one
// subscription per kind) and calls show for each event, one call at a
// time, until ctx ends or Count events were shown. An endpoint that
// cannot be watched, like a cfg that does not Validate, is logged and
// ends the whole follow, so a misspelt endpoint is not silently ignored.
// Follow returns when every watch has ended.
func Follow(ctx context.Context, cfg FollowConfig, show func(Event)) {
	if err := cfg.Validate(); err != nil {
		if cfg.Logf != nil {
			cfg.Logf("%v", err)
		}
		return
	}
	prefixes := []string{Topic}
	if len(cfg.Kinds) > 0 {
		prefixes = nil
		for _, k := range cfg.Kinds {
			prefixes = append(prefixes, Topic+k)
		}
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	seen := 0
	one := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if cfg.Count > 0 && seen >= cfg.Count {
			return // events already in flight on other connections
		}
		show(ev)
		if seen++; cfg.Count > 0 && seen >= cfg.Count {
			cancel()
		}
	}
	var wg sync.WaitGroup
	for _, ep := range cfg.Endpoints {
		for _, pfx := range prefixes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := Watch(ctx, ep, pfx, cfg.Conn, one, logf); err != nil {
					logf("%v", err)
					cancel()
				}
			}()
		}
	}
	wg.Wait()
}
