package shard

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// AlertTopic prefixes every alert message; an operator console subscribes
// to it (or to AlertTopic+"croak" for croaks only).
const AlertTopic = "bbox.alert."

// Event is one alert: a squawk, a croak or a slow consumer, sent as the
// two-frame message [AlertTopic+Kind][JSON of Event].
type Event struct {
	Kind    string  `json:"kind"`   // late, gap, stalled, croak, slow_consumer, disconnect
	Source  string  `json:"source"` // subscriber name or "publisher <id>"
	Host    string  `json:"host"`
	PID     int     `json:"pid"`
	Time    int64   `json:"time_ns"`
	Message string  `json:"message"` // the same line the process logs
	Squawk  *Squawk `json:"squawk,omitempty"`
	Peer    string  `json:"peer,omitempty"` // slow consumer's address
	Shard   int     `json:"shard"`
}

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
	fr := newFrame(body, []byte(AlertTopic+ev.Kind), 0)
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

// WatchAlerts connects to an alert endpoint, subscribes to prefix (e.g.
// AlertTopic) and calls fn for every event until ctx ends, reconnecting
// when the endpoint goes away. logf reports connections and malformed
// messages (which are dropped).
func WatchAlerts(ctx context.Context, endpoint, prefix string, o zmqx.Options, fn func(Event), logf func(string, ...any)) error {
	ep, err := zmqx.ParseEndpoint(endpoint)
	if err != nil {
		return err
	}
	zmqx.Redial(ctx, ep, zmq4.Sub, o, 100*time.Millisecond, logf, func(p *zmqx.Peer) bool {
		if err := p.Subscribe([]byte(prefix)); err != nil {
			return false
		}
		logf("watching %s (%q)", endpoint, prefix)
		for {
			m, err := p.RecvMsg()
			if err != nil {
				return false
			}
			if m.Type == zmq4.CmdMsg {
				continue
			}
			if len(m.Frames) != 2 {
				logf("dropped an alert message of %d frames from %s, want [topic][json]", len(m.Frames), endpoint)
				continue
			}
			var ev Event
			if err := json.Unmarshal(m.Frames[1], &ev); err != nil {
				logf("dropped a malformed alert from %s: %v", endpoint, err)
				continue
			}
			fn(ev)
		}
	})
	return nil
}
