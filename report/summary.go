package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/upstream"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

// Summary is the JSON object of CLI.md; fields after Workers are extensions.
type Summary struct {
	Command          string                `json:"command"`
	RecordsPublished int64                 `json:"records_published"`
	RecordsReceived  int64                 `json:"records_received"`
	RecordsLost      int64                 `json:"records_lost"`
	Gaps             int64                 `json:"gaps"`
	Croaked          bool                  `json:"croaked"`
	CroakReason      string                `json:"croak_reason"`
	ThroughputRPS    float64               `json:"throughput_rps"`
	LatencyUS        bench.Percentiles     `json:"latency_us"`
	Shards           []Shard               `json:"shards"`
	Workers          []workers.WorkerStats `json:"workers"`
	Seconds          float64               `json:"seconds"`
	RecordsFiltered  int64                 `json:"records_filtered,omitempty"`
	RecordsLate      int64                 `json:"records_late,omitempty"`
	FramesMalformed  int64                 `json:"frames_malformed"`
	RecordsDropped   int64                 `json:"records_dropped_slow,omitempty"`
	BeforeJoin       int64                 `json:"records_before_join"` // CLI.md: bbox sub always prints it
	Restarts         int64                 `json:"publisher_restarts,omitempty"`
	Connections      []shard.ConnStats     `json:"connections,omitempty"`
	Squawks          []shard.Squawk        `json:"squawks,omitempty"`
	Warnings         []string              `json:"warnings,omitempty"`
	TopSymbols       []workers.SymSummary  `json:"top_symbols,omitempty"`
	Upstream         *upstream.Stats       `json:"upstream,omitempty"`

	VerdictKeys // verdict, verdict_detail, stalls, interrupted, …
	*PubLoss    // bbox pub and replay: records_discarded etc.
}

// Shard is one shard's line of the summary.
type Shard struct {
	ID         int    `json:"id"`
	Records    int64  `json:"records"`
	Endpoint   string `json:"endpoint,omitempty"`
	Lost       int64  `json:"records_lost"`
	Gaps       int64  `json:"gaps"`
	CPU        int    `json:"cpu"`
	Reconnects int64  `json:"reconnects,omitempty"`

	Liveness // records_before_join, stalls, silent
}

// Liveness is a shard's join and liveness counts in the summary.
type Liveness struct {
	BeforeJoin int64 `json:"records_before_join"`
	Stalls     int64 `json:"stalls"`
	Silent     bool  `json:"silent,omitempty"`
	// Disconnected: down at the end, before the stream's end-of-stream.
	Disconnected bool `json:"disconnected,omitempty"`
}

// VerdictKeys are the summary's verdict: what verdict.Judge concluded from
// the counters in In, which the command completes (what only it knows:
// an interruption, the publisher's own count) before calling Judge.
type VerdictKeys struct {
	Verdict       verdict.Code `json:"verdict,omitempty"`
	VerdictDetail string       `json:"verdict_detail,omitempty"`
	Unaccounted   int64        `json:"records_unaccounted,omitempty"`
	Stalls        int64        `json:"stalls"`
	Interrupted   bool         `json:"interrupted"`
	LostToWorkers int64        `json:"records_lost_to_workers,omitempty"`
	Redelivered   int64        `json:"records_redelivered,omitempty"`
	Unconfirmed   int64        `json:"records_unconfirmed,omitempty"`
	NotHanded     int64        `json:"records_not_handed,omitempty"`
	*RecoveryKeys              // subscribers: records_recovered, recovery_requests, …

	// In is what Judge judges; it is not part of the JSON.
	In      verdict.Input `json:"-"`
	verdict verdict.Verdict
}

// RecoveryKeys are the subscriber summary's recovery counts.
type RecoveryKeys struct {
	RecordsRecovered     int64                 `json:"records_recovered"`
	RecoveryRequests     int64                 `json:"recovery_requests"`
	RecordsUnrecoverable int64                 `json:"records_unrecoverable"`
	Recoveries           int64                 `json:"recoveries,omitempty"`
	RecoveryMaxMs        float64               `json:"recovery_time_max_ms,omitempty"`
	RecoveryMeanMs       float64               `json:"recovery_time_mean_ms,omitempty"`
	Unrecoverable        []shard.Unrecoverable `json:"unrecoverable,omitempty"`
	UnrecoverableOmitted int64                 `json:"unrecoverable_omitted,omitempty"`
}

// RecoveryOf takes a subscriber's recovery counters for a summary.
func RecoveryOf(st shard.SubStats) RecoveryKeys {
	k := RecoveryKeys{RecordsRecovered: st.Recovered, RecoveryRequests: st.RecoveryRequests, RecordsUnrecoverable: st.Unrecoverable,
		Recoveries: st.Recoveries, RecoveryMaxMs: float64(st.RecoveryMaxNs) / 1e6,
		Unrecoverable: st.UnrecoverableRanges, UnrecoverableOmitted: st.RangesOmitted}
	if st.Recoveries > 0 {
		k.RecoveryMeanMs = float64(st.RecoveryTotalNs) / float64(st.Recoveries) / 1e6
	}
	return k
}

// PubLoss is what the publisher could not deliver, in its JSON summary:
// records dropped over a subscriber's high-water mark are records_dropped_slow.
type PubLoss struct {
	RecordsDiscarded   int64 `json:"records_discarded"`   // queued for connections when they were cut or closed
	FramesDiscarded    int64 `json:"frames_discarded"`    // the frames that held them
	FramesDropped      int64 `json:"frames_dropped_slow"` // frames of records_dropped_slow
	ConnectionsCut     int64 `json:"connections_cut"`     // stuck, failed writes, over the HWM
	ConnectionsOmitted int64 `json:"connections_omitted,omitempty"`
	// The rewind window and what its recovery endpoints served (docs/wire.md section 9).
	Rewind   *shard.WindowStats    `json:"rewind,omitempty"`
	Recovery []shard.RecoveryStats `json:"recovery,omitempty"`
}

// PubLossOf takes a publisher's loss counters for a summary.
func PubLossOf(st *shard.PubStats) *PubLoss {
	return &PubLoss{RecordsDiscarded: st.DiscardedRecords, FramesDiscarded: st.DiscardedFrames,
		FramesDropped: st.DroppedFrames, ConnectionsCut: st.ConnectionsCut, ConnectionsOmitted: st.ConnsOmitted,
		Rewind: st.Window, Recovery: st.Recovery}
}

// Judge fills the verdict keys from s.In.
func (s *Summary) Judge() {
	v := verdict.Judge(s.In)
	s.verdict, s.Verdict, s.VerdictDetail, s.Unaccounted = v, v.Code, v.Detail, v.Unaccounted
	s.Interrupted, s.LostToWorkers, s.Redelivered, s.Unconfirmed = s.In.Interrupted, s.In.LostToWorkers, s.In.Redelivered, s.In.Unconfirmed
	s.NotHanded = s.In.NotHanded
}

// Stream fills the summary keys every subscribing command shares (the
// stream's counts and its shards) from st.
func Stream(cmd string, st shard.SubStats) Summary {
	out := Summary{
		Command: cmd, RecordsReceived: st.Received, RecordsLost: st.Lost, Gaps: st.Gaps,
		RecordsPublished: st.Published, FramesMalformed: st.Malformed, BeforeJoin: st.JoinedLate, Restarts: st.Restarts,
	}
	out.Stalls = st.Stalls
	rk := RecoveryOf(st)
	out.RecoveryKeys = &rk
	for _, sh := range st.Shards {
		out.Shards = append(out.Shards, Shard{ID: sh.ID, Records: sh.Records, Endpoint: sh.Endpoint,
			Lost: sh.Lost, Gaps: sh.Gaps, CPU: sh.CPU, Reconnects: sh.Reconnects,
			Liveness: Liveness{BeforeJoin: sh.BeforeJoin, Stalls: sh.Stalls, Silent: sh.Silent, Disconnected: sh.Disconnected}})
	}
	return out
}

// Received is the receiving half's summary: the stream's counts, the
// workers', the squawks and croak, the latency the caller measured, and
// the verdict input the receiver's counters make (not yet judged: the
// caller adds what only it knows, then calls Judge).
func Received(cmd string, rx *pipeline.Receiver, latency bench.Percentiles) Summary {
	st := rx.Subscriber().Stats()
	out := Stream(cmd, st)
	out.RecordsFiltered, out.RecordsLate = st.Filtered, st.Late
	out.LatencyUS = latency
	out.Workers = rx.WorkerStats()
	if ce := rx.Croak(); ce != nil {
		out.Croaked, out.CroakReason = true, ce.Error()
	}
	out.Squawks = append(out.Squawks, rx.Squawks()...)
	out.TopSymbols = rx.TopSymbols(5)
	out.In = rx.VerdictInput(st)
	return out
}

// InProcess completes a receiver's summary with its publisher's counts
// when both ran in one process (bbox demo), and judges it. There we know
// exactly what was sent and discarded: the verdict counts what was
// published and never received; after an interrupt that is what was still
// in flight, not loss, so only an uninterrupted run adds it to the lost.
func (s *Summary) InProcess(ps *shard.PubStats, interrupted bool) {
	s.RecordsPublished = ps.Records
	s.RecordsDropped = ps.DroppedRecords
	s.In.Published, s.In.PublishedExact, s.In.Discarded = ps.Records, true, ps.DroppedRecords+ps.DiscardedRecords
	s.PubLoss = PubLossOf(ps)
	s.In.Interrupted = interrupted
	s.Judge()
	if !interrupted {
		s.RecordsLost += s.Unaccounted
	}
}

// Published is a publisher's summary after a run of elapsed: its counts,
// shards and connections, and a warning for each thing that went wrong
// (refused peers, slow subscribers, omitted connections). capped words
// the warning for n sockets whose buffers the kernel capped ("" for
// none); it is the caller's, since it names the caller's settings.
func Published(cmd string, st *shard.PubStats, elapsed time.Duration, capped func(n int64) string) Summary {
	s := Summary{Command: cmd, RecordsPublished: st.Records, RecordsDropped: st.DroppedRecords,
		Seconds: elapsed.Seconds(), ThroughputRPS: float64(st.Records) / elapsed.Seconds(), Connections: st.Conns,
		Workers: []workers.WorkerStats{}, Shards: []Shard{},
		PubLoss: PubLossOf(st)}
	for _, sh := range st.Shards {
		s.Shards = append(s.Shards, Shard{ID: sh.ID, Records: sh.Records, Endpoint: sh.Endpoint, CPU: -1})
		if w := capped(sh.SockBufCapped); w != "" {
			s.Warnings = append(s.Warnings, fmt.Sprintf("shard %d: %s", sh.ID, w))
		}
		if sh.Refused > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("shard %d refused %s or frames (%s, %d not ZMTP)", sh.ID,
				words.Count(sh.Refused, "peer", "peers"), words.Count(sh.Oversize, "oversize frame", "oversize frames"), sh.NotZMTP))
		}
	}
	for _, c := range st.Conns {
		if c.DroppedRecords > 0 || c.DiscardedRecords > 0 || c.Cut() {
			var lost []string
			if c.DroppedRecords > 0 {
				lost = append(lost, words.Group(c.DroppedRecords)+" records dropped over the high-water mark")
			}
			if c.DiscardedRecords > 0 {
				lost = append(lost, words.Group(c.DiscardedRecords)+" records discarded when the connection ended")
			}
			if len(lost) == 0 {
				lost = append(lost, "nothing was queued for it")
			}
			s.Warnings = append(s.Warnings, fmt.Sprintf("slow subscriber %s on shard %d: %s; %s", c.Peer, c.Shard, strings.Join(lost, ", "), c.State))
		}
	}
	if st.ConnsOmitted > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d earlier closed connections are not listed; the totals include them", st.ConnsOmitted))
	}
	return s
}

// WithExchange is s with an exchange source's counters as its "exchange"
// block (bbox pub and replay of ITCH files and pcaps).
func WithExchange(s Summary, st exchange.Stats) any {
	return struct {
		Summary
		Exchange exchange.Stats `json:"exchange"`
	}{s, st}
}
