package shard

import (
	"encoding/json"
	"os"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

// Event is one alert (alerts.Event), sent as the two-frame message
// [alerts.Topic+Kind][JSON of Event].
type Event = alerts.Event

// AlertPub publishes events on a bound PUB endpoint. It reuses the
// publisher's per-connection queues, so a stuck console never delays the
// process that squawks. Safe for concurrent use.
type AlertPub struct {
	out  *fanout
	host string
}

// NewAlertPub binds endpoint.
func NewAlertPub(endpoint string, o zmqx.Options, logf func(string, ...any)) (*AlertPub, error) {
	ep, err := zmqx.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err // names the endpoint
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	f, err := newFanout(-1, ep, o, 4<<20, 2*time.Second, logf, nil)
	if err != nil {
		return nil, err // "bind ENDPOINT: why"
	}
	host, _ := os.Hostname()
	return &AlertPub{out: f, host: host}, nil
}

// Endpoint is the bound endpoint (with the real port).
func (a *AlertPub) Endpoint() string { return a.out.ln.Endpoint() }

// Publish queues ev for every connected console. Host, PID and Time are
// filled in when zero.
func (a *AlertPub) Publish(ev Event) {
	if ev.Host == "" {
		ev.Host = a.host
	}
	if ev.PID == 0 {
		ev.PID = os.Getpid()
	}
	if ev.Time == 0 {
		ev.Time = time.Now().UnixNano()
	}
	body, _ := json.Marshal(ev)
	fr := newFrame(body, []byte(alerts.Topic+ev.Kind), 0)
	a.out.send(fr)
	fr.Unref()
}

// Consoles is the number of connected, subscribed consoles.
func (a *AlertPub) Consoles() int { return a.out.subscribed() }

// Close waits up to d for every console to have taken what was published
// (so a croak's event is delivered before the process exits), then closes.
func (a *AlertPub) Close(d time.Duration) {
	deadline := time.Now().Add(d)
	for !a.out.drained() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	a.out.closing.Store(true)
	a.out.close()
}
