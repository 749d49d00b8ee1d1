package shard

import (
	"fmt"
	"strings"
	"time"
)

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

// CroakError is returned by Run when the subscriber croaked.
type CroakError struct{ Squawk Squawk }

func (e *CroakError) Error() string { return strings.TrimPrefix(e.Squawk.String(), "CROAK: ") }
