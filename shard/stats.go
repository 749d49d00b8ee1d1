package shard

// PubStats is a publisher's counters, shaped for the JSON summary.
type PubStats struct {
	ID             uint64          `json:"publisher_id"`
	Epoch          uint64          `json:"epoch"`
	Records        int64           `json:"records_published"`
	Frames         int64           `json:"frames"`
	Bytes          int64           `json:"bytes"`
	TooLarge       int64           `json:"records_too_large"`
	DroppedRecords int64           `json:"records_dropped_slow"`
	SlowConsumers  int             `json:"slow_consumers"`
	Shards         []ShardPubStats `json:"shards"`
	Conns          []ConnStats     `json:"connections"`
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
	SockBufCapped int64 `json:"sockbuf_capped,omitempty"`
}

// ConnStats names one subscriber connection and what happened to it.
type ConnStats struct {
	Shard          int      `json:"shard"`
	Peer           string   `json:"peer"`
	State          string   `json:"state"`
	Subscriptions  []string `json:"subscriptions"`
	Frames         int64    `json:"frames"`
	Records        int64    `json:"records"`
	Bytes          int64    `json:"bytes"`
	QueuedBytes    int64    `json:"queued_bytes"`
	DroppedFrames  int64    `json:"dropped_frames"`
	DroppedRecords int64    `json:"dropped_records"`
	DroppedBytes   int64    `json:"dropped_bytes"`
	HWMEvents      int64    `json:"hwm_events"`
	BlockedMs      int64    `json:"publisher_blocked_ms,omitempty"` // lossless mode only
	ConnectedFor   string   `json:"connected_for"`
}

// SubStats is a subscriber's counters.
type SubStats struct {
	Received   int64           `json:"records_received"` // delivered to the sink (after the topic filter)
	Filtered   int64           `json:"records_filtered"` // in sequence but not matching --topics
	Lost       int64           `json:"records_lost"`     // missing sequence numbers
	Gaps       int64           `json:"gaps"`
	Published  int64           `json:"records_published"` // highest sequences seen, summed: what the publisher sent us
	JoinedLate int64           `json:"records_before_join"`
	Late       int64           `json:"records_late"`
	Malformed  int64           `json:"frames_malformed"`
	Duplicates int64           `json:"records_duplicate"`
	Restarts   int64           `json:"publisher_restarts"`
	Stalls     int64           `json:"stalls"` // feeds silent past the heartbeat timeout
	MaxDelayNs int64           `json:"max_delay_ns"`
	Shards     []ShardSubStats `json:"shards"`
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
}
