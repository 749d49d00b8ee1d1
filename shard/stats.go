package shard

import "github.com/bbox-dev/bbox/internal/zmqx"

// PubStats is a publisher's counters, shaped for the JSON summary.
//
// Every record a subscriber connection was meant to get is, per
// connection, written (Records), dropped at its high-water mark
// (DroppedRecords: it sees a gap) or discarded when the connection ended
// with records still queued for it or in a write cut short
// (DiscardedRecords). The totals here cover every connection the
// publisher has had, also those no longer listed in Conns.
type PubStats struct {
	ID             uint64 `json:"publisher_id"`
	Epoch          uint64 `json:"epoch"`
	Records        int64  `json:"records_published"`
	Frames         int64  `json:"frames"`
	Bytes          int64  `json:"bytes"`
	TooLarge       int64  `json:"records_too_large"`
	DroppedRecords int64  `json:"records_dropped_slow"`
	DroppedFrames  int64  `json:"frames_dropped_slow"`
	// DiscardedRecords and DiscardedFrames were queued for (or being
	// written to) connections when they were cut or closed.
	DiscardedRecords int64 `json:"records_discarded"`
	DiscardedFrames  int64 `json:"frames_discarded"`
	// ConnectionsCut counts connections the publisher cut off: stuck past
	// the write deadline, a failed write, or over the high-water mark.
	ConnectionsCut int64 `json:"connections_cut"`
	SlowConsumers  int   `json:"slow_consumers"`
	// ConnsOmitted counts closed connections no longer listed in Conns
	// (the history keeps the most recent ones); they are in the totals.
	ConnsOmitted int64           `json:"connections_omitted,omitempty"`
	Shards       []ShardPubStats `json:"shards"`
	Conns        []ConnStats     `json:"connections"`
	// Window is the rewind window (nil when off); Recovery its endpoints.
	Window   *WindowStats    `json:"rewind,omitempty"`
	Recovery []RecoveryStats `json:"recovery,omitempty"`
}

// WindowStats describe the publisher's rewind window.
type WindowStats struct {
	MaxBytes int64 `json:"max_bytes"`
	Bytes    int64 `json:"bytes"` // frame memory held (buffer capacities)
	Frames   int64 `json:"frames"`
	Evicted  int64 `json:"frames_evicted"`
}

// ShardPubStats counts one shard endpoint.
type ShardPubStats struct {
	ID          int    `json:"id"`
	Endpoint    string `json:"endpoint"`
	Records     int64  `json:"records"`
	Subscribers int    `json:"subscribers"`
	Refused     int64  `json:"refused"` // peers or frames the guard refused
	Oversize    int64  `json:"oversize_frames"`
	NotZMTP     int64  `json:"not_zmtp"`
	// SockBufCapped counts SO_RCVBUF/SO_SNDBUF requests the kernel cut down.
	SockBufCapped    int64 `json:"sockbuf_capped,omitempty"`
	DroppedRecords   int64 `json:"records_dropped_slow"`
	DroppedFrames    int64 `json:"frames_dropped_slow"`
	DiscardedRecords int64 `json:"records_discarded"`
	DiscardedFrames  int64 `json:"frames_discarded"`
	DiscardedBytes   int64 `json:"bytes_discarded"`
	ConnectionsCut   int64 `json:"connections_cut"`
	// Closed counts ended connections by close reason (zmqx.ClosedState
	// names: "stuck", "closed_by_peer", "shutdown", ...).
	Closed map[string]int64 `json:"connections_closed,omitempty"`
}

// ConnStats names one subscriber connection and what happened to it.
type ConnStats struct {
	Shard int    `json:"shard"`
	Peer  string `json:"peer"`
	// State is for people: "connected", "publisher closed", "stuck: no
	// progress within the write deadline (2s)", "disconnected: ...".
	State string `json:"state"`
	// CloseReason is the typed reason (omitted while connected).
	CloseReason    zmqx.ClosedState `json:"close_reason,omitempty"`
	Subscriptions  []string         `json:"subscriptions"`
	Frames         int64            `json:"frames"`
	Records        int64            `json:"records"`
	Bytes          int64            `json:"bytes"`
	QueuedBytes    int64            `json:"queued_bytes"`
	DroppedFrames  int64            `json:"dropped_frames"`
	DroppedRecords int64            `json:"dropped_records"`
	DroppedBytes   int64            `json:"dropped_bytes"`
	// Discarded* were still queued, or in a write cut short, when the
	// connection ended: frames that subscriber never got.
	DiscardedFrames  int64  `json:"discarded_frames"`
	DiscardedRecords int64  `json:"discarded_records"`
	DiscardedBytes   int64  `json:"discarded_bytes"`
	HWMEvents        int64  `json:"hwm_events"`
	BlockedMs        int64  `json:"publisher_blocked_ms,omitempty"` // lossless mode only
	ConnectedFor     string `json:"connected_for"`
}

// Cut reports whether the publisher cut this connection off (stuck, a
// failed write, over the high-water mark) rather than it ending normally.
func (c *ConnStats) Cut() bool { return c.cut() }

func (c *ConnStats) cut() bool {
	switch c.CloseReason {
	case zmqx.Stuck, zmqx.WriteError, zmqx.HWM:
		return true
	}
	return false
}

func (c *ConnStats) slow() bool { return c.HWMEvents > 0 || c.DroppedFrames > 0 }

// SubStats is a subscriber's counters.
type SubStats struct {
	Received   int64 `json:"records_received"` // delivered to the sink (after the topic filter)
	Filtered   int64 `json:"records_filtered"` // in sequence but not matching --topics
	Lost       int64 `json:"records_lost"`     // missing sequence numbers
	Gaps       int64 `json:"gaps"`
	Published  int64 `json:"records_published"` // highest sequences seen, summed: what the publisher sent us
	JoinedLate int64 `json:"records_before_join"`
	Late       int64 `json:"records_late"`
	Malformed  int64 `json:"frames_malformed"`
	Duplicates int64 `json:"records_duplicate"`
	Restarts   int64 `json:"publisher_restarts"`
	Stalls     int64 `json:"stalls"` // feeds silent past the heartbeat timeout
	MaxDelayNs int64 `json:"max_delay_ns"`
	// Recovery (SubConfig.Recover): records handed over from a recovery
	// endpoint (included in Received), requests sent, records that could
	// not be recovered (included in Lost) and the ranges they were in.
	Recovered           int64           `json:"records_recovered"`
	RecoveryRequests    int64           `json:"recovery_requests"`
	Unrecoverable       int64           `json:"records_unrecoverable"`
	Recoveries          int64           `json:"recoveries"`
	RecoveryMaxNs       int64           `json:"recovery_time_max_ns"`
	RecoveryTotalNs     int64           `json:"recovery_time_total_ns"`
	UnrecoverableRanges []Unrecoverable `json:"unrecoverable,omitempty"`
	RangesOmitted       int64           `json:"unrecoverable_omitted,omitempty"`
	Shards              []ShardSubStats `json:"shards"`
}

// ShardSubStats counts one subscriber thread.
type ShardSubStats struct {
	ID         int    `json:"id"`
	Endpoint   string `json:"endpoint"`
	Records    int64  `json:"records"`
	Frames     int64  `json:"frames"`
	Bytes      int64  `json:"bytes"`
	Lost       int64  `json:"records_lost"`
	Gaps       int64  `json:"gaps"`
	Malformed  int64  `json:"frames_malformed"`
	Reconnects int64  `json:"reconnects"`
	LagNs      int64  `json:"lag_ns"` // age of the newest record at its arrival
	CPU        int    `json:"cpu"`    // pinned core, -1 if not pinned
	Connected  bool   `json:"connected"`
	EOS        bool   `json:"eos"`
	BeforeJoin int64  `json:"records_before_join"` // published before this thread's first frame
	Stalls     int64  `json:"stalls"`              // silences past the heartbeat timeout
	Silent     bool   `json:"silent"`              // stalled, and nothing has arrived since
	// Disconnected: the connection was down (lost or never made) when
	// asked, and the stream had not sent its end-of-stream.
	Disconnected bool `json:"disconnected"`
	Reached      bool `json:"reached"` // a connection was made at least once
	// Recovered records are in Records; Unrecoverable ones in Lost.
	Recovered     int64 `json:"records_recovered"`
	Unrecoverable int64 `json:"records_unrecoverable"`
}
