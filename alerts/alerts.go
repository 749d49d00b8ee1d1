package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// Topic prefixes every alert message; an operator console subscribes to
// it (or to Topic+"croak" for croaks only).
const Topic = "bbox.alert."

// Event is one alert: a squawk, a croak or a slow consumer, sent as the
// two-frame message [Topic+Kind][JSON of Event].
type Event struct {
	Kind    string  `json:"kind"`   // late, gap, stalled, silent, recovered, croak, slow_consumer, disconnect
	Source  string  `json:"source"` // subscriber name or "publisher <id>"
	Host    string  `json:"host"`
	PID     int     `json:"pid"`
	Time    int64   `json:"time_ns"`
	Message string  `json:"message"` // the same line the process logs
	Squawk  *Squawk `json:"squawk,omitempty"`
	Peer    string  `json:"peer,omitempty"` // slow consumer's address
	Shard   int     `json:"shard"`
}

// Squawk describes a late record or a gap.
type Squawk struct {
	Kind      string        `json:"kind"` // "late", "gap", "stalled" (workers), "silent" (the feed) or "recovered" (a gap filled)
	Name      string        `json:"subscriber"`
	Shard     int           `json:"shard"`
	Endpoint  string        `json:"endpoint,omitempty"` // silent: the endpoint dialled
	Peer      string        `json:"peer,omitempty"`     // silent: the publisher's address
	Publisher uint64        `json:"publisher"`
	Partition uint32        `json:"partition"`
	Topic     string        `json:"topic,omitempty"`
	Seq       uint64        `json:"seq"`
	Expected  uint64        `json:"expected,omitempty"` // gaps: the sequence we wanted
	Missing   uint64        `json:"missing,omitempty"`  // gaps: how many records
	Delay     time.Duration `json:"delay_ns,omitempty"`
	Limit     time.Duration `json:"limit_ns,omitempty"`
	Croak     bool          `json:"croak"`
	Time      int64         `json:"time_ns"`
}

func (q Squawk) String() string {
	verb := "warning"
	if q.Croak {
		verb = "CROAK"
	}
	if q.Kind == "stalled" {
		return fmt.Sprintf("%s: %s shard %d: workers have not taken a batch for %v, limit %v: what waits in the socket is older than that (last record handed over: %s seq %d)",
			verb, q.Name, q.Shard, q.Delay.Round(time.Millisecond), q.Limit, q.Topic, q.Seq)
	}
	if q.Kind == "silent" {
		then := "reconnecting"
		if q.Croak {
			then = "stale data is late data"
		}
		return fmt.Sprintf("%s: %s shard %d: feed silent: no frame or heartbeat from %s (%s) for %v, limit %v (%s; last seq %d)",
			verb, q.Name, q.Shard, q.Endpoint, q.Peer, q.Delay.Round(time.Millisecond), q.Limit, then, q.Seq)
	}
	if q.Kind == "recovered" {
		return fmt.Sprintf("notice: %s shard %d: recovered seq %d..%d of publisher %x partition %d (%d records) in %v",
			q.Name, q.Shard, q.Expected, q.Seq-1, q.Publisher, q.Partition, q.Missing, q.Delay.Round(time.Millisecond))
	}
	if q.Kind == "gap" {
		return fmt.Sprintf("%s: %s shard %d: gap from publisher %x partition %d: expected seq %d, got %d (%d missing)",
			verb, q.Name, q.Shard, q.Publisher, q.Partition, q.Expected, q.Seq, q.Missing)
	}
	return fmt.Sprintf("%s: %s shard %d: record %s seq %d (partition %d) is %v old, limit %v",
		verb, q.Name, q.Shard, q.Topic, q.Seq, q.Partition, q.Delay.Round(time.Microsecond), q.Limit)
}

// Watch connects to an alert endpoint, subscribes to prefix (e.g.
// Topic) and calls fn for every event until ctx ends, reconnecting
// when the endpoint goes away. logf reports connections and malformed
// messages (which are dropped).
func Watch(ctx context.Context, endpoint, prefix string, o zmqx.Options, fn func(Event), logf func(string, ...any)) error {
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
			if m.IsCommand() {
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
