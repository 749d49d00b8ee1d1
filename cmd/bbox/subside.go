package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
	pipe "github.com/bbox-dev/bbox/pipeline" // named: replay_test.go has a func pipeline
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

// subSideConfig is the receiving half shared by demo and sub: subscriber
// threads, latency recording and a worker pool (in-process or, with push,
// worker processes).
type subSideConfig struct {
	sub     shard.SubConfig
	workers int
	order   workers.Order
	work    time.Duration
	push    string // endpoint for `bbox worker` processes; "" for in-process
	tap     *workers.Tap
	rec     *bench.Recorder // latency recorder (sub --latency-out); nil: one from the send time
	// redeliver and workerTimeout configure the dispatcher (with push).
	redeliver     bool
	workerTimeout time.Duration
}

// subSide is the command's view of a pipeline.Receiver: the receiver,
// the latency recorder its subscriber threads observe into, and the parts
// ops.go's metrics read.
type subSide struct {
	*pipe.Receiver
	sub  *shard.Subscriber
	pool *workers.Pool
	disp *workers.PushDispatcher
	rec  *bench.Recorder
}

// receiver is the pipeline's configuration for cfg's shards subscriber
// threads, logging to log, and the latency recorder they observe into.
func (cfg subSideConfig) receiver(log *logger, shards int) (pipe.ReceiverConfig, *bench.Recorder) {
	rec := cfg.rec
	if rec == nil {
		rec = bench.NewRecorder(shards, bench.FromSend)
	}
	sc := cfg.sub
	sc.Logf = log.Logf
	sc.Observe = rec.Observe
	sc.OnSquawk = log.countSquawks(sc.OnSquawk)
	rc := pipe.ReceiverConfig{Sub: sc, Show: log.Line,
		Pool: workers.PoolConfig{Workers: cfg.workers, Order: cfg.order, Work: cfg.work, Tap: cfg.tap}}
	if cfg.push != "" {
		rc.Push = &workers.PushConfig{Bind: cfg.push, Order: cfg.order, Conn: cfg.sub.Conn, Logf: log.Logf,
			Redeliver: cfg.redeliver, AckTimeout: cfg.workerTimeout}
	}
	return rc, rec
}

func newSubSide(cfg subSideConfig, log *logger) (*subSide, error) {
	rc, rec := cfg.receiver(log, len(cfg.sub.Connect))
	rx, err := pipe.NewReceiver(rc)
	if err != nil {
		return nil, err
	}
	return sideOf(rx, rec, log), nil
}

// sideOf wraps a running or new receiver and registers its metrics.
func sideOf(rx *pipe.Receiver, rec *bench.Recorder, log *logger) *subSide {
	s := &subSide{Receiver: rx, sub: rx.Subscriber(), pool: rx.Pool(), disp: rx.Dispatcher(), rec: rec}
	log.subSideMetrics(s)
	return s
}

// run runs the subscriber until it ends, then drains the workers.
func (s *subSide) run(ctx context.Context) error { return s.Run(ctx) }

func (s *subSide) stop() { s.Stop() }

func (s *subSide) workerStats() []workers.WorkerStats { return s.WorkerStats() }

// streamSummary fills the summary keys every subscribing command shares
// (the stream's counts and its shards) from st.
func streamSummary(cmd string, st shard.SubStats) summary {
	out := summary{
		Command: cmd, RecordsReceived: st.Received, RecordsLost: st.Lost, Gaps: st.Gaps,
		RecordsPublished: st.Published, FramesMalformed: st.Malformed, BeforeJoin: st.JoinedLate, Restarts: st.Restarts,
	}
	out.Stalls = st.Stalls
	rk := recoveryKeysOf(st)
	out.RecoveryKeys = &rk
	for _, sh := range st.Shards {
		out.Shards = append(out.Shards, shardSummary{ID: sh.ID, Records: sh.Records, Endpoint: sh.Endpoint,
			Lost: sh.Lost, Gaps: sh.Gaps, CPU: sh.CPU, Reconnects: sh.Reconnects,
			shardLiveness: shardLiveness{BeforeJoin: sh.BeforeJoin, Stalls: sh.Stalls, Silent: sh.Silent, Disconnected: sh.Disconnected}})
	}
	return out
}

// verdictKeys are the summary's verdict: what verdict.Judge concluded from
// the counters in in, which the command completes (what only it knows:
// an interruption, the publisher's own count) before calling judge.
type verdictKeys struct {
	Verdict       verdict.Code `json:"verdict,omitempty"`
	VerdictDetail string       `json:"verdict_detail,omitempty"`
	Unaccounted   int64        `json:"records_unaccounted,omitempty"`
	Stalls        int64        `json:"stalls"`
	Interrupted   bool         `json:"interrupted"`
	LostToWorkers int64        `json:"records_lost_to_workers,omitempty"`
	Redelivered   int64        `json:"records_redelivered,omitempty"`
	Unconfirmed   int64        `json:"records_unconfirmed,omitempty"`
	NotHanded     int64        `json:"records_not_handed,omitempty"`
	*RecoveryKeys              // subscribers: records_recovered, recovery_requests, … (recovery_flags.go)

	in      verdict.Input
	verdict verdict.Verdict
}

// shardLiveness is a shard's join and liveness counts in the summary.
type shardLiveness struct {
	BeforeJoin int64 `json:"records_before_join"`
	Stalls     int64 `json:"stalls"`
	Silent     bool  `json:"silent,omitempty"`
	// Disconnected: down at the end, before the stream's end-of-stream.
	Disconnected bool `json:"disconnected,omitempty"`
}

// judge fills the verdict keys from s.in.
func (s *summary) judge() {
	v := verdict.Judge(s.in)
	s.verdict, s.Verdict, s.VerdictDetail, s.Unaccounted = v, v.Code, v.Detail, v.Unaccounted
	s.Interrupted, s.LostToWorkers, s.Redelivered, s.Unconfirmed = s.in.Interrupted, s.in.LostToWorkers, s.in.Redelivered, s.in.Unconfirmed
	s.NotHanded = s.in.NotHanded
}

// summary fills the receiving half of the JSON summary.
func (s *subSide) summary(cmd string) summary {
	st := s.sub.Stats()
	out := streamSummary(cmd, st)
	out.RecordsFiltered, out.RecordsLate = st.Filtered, st.Late
	out.LatencyUS = bench.Summarize(s.rec.Merged())
	out.Workers = s.workerStats()
	if ce := s.Croak(); ce != nil {
		out.Croaked, out.CroakReason = true, ce.Error()
	}
	out.Squawks = append(out.Squawks, s.Squawks()...)
	out.TopSymbols = s.TopSymbols(5)
	out.in = s.VerdictInput(st)
	return out
}

// printHuman writes the summary a newcomer can read.
func printHuman(w io.Writer, s *summary, elapsed time.Duration) {
	fmt.Fprintf(w, "%s: %s received in %.1fs (%s records/s)\n", s.Command, plural(s.RecordsReceived, "record", "records"), elapsed.Seconds(), human(s.ThroughputRPS))
	published := "published"
	for _, sh := range s.Shards {
		if sh.Silent || sh.Disconnected {
			// The count comes from sequence numbers seen: a feed that went
			// away may have published more.
			published = "published at least"
		}
	}
	fmt.Fprintf(w, "  %s %s   received %s   lost %s   gaps %d", published, commas(s.RecordsPublished), commas(s.RecordsReceived), commas(s.RecordsLost), s.Gaps)
	if s.BeforeJoin > 0 {
		fmt.Fprintf(w, "   missed before join %s", commas(s.BeforeJoin))
	}
	if s.LostToWorkers > 0 {
		fmt.Fprintf(w, "   lost to workers %s", commas(s.LostToWorkers))
	}
	if s.NotHanded > 0 {
		fmt.Fprintf(w, "   discarded before a worker %s", commas(s.NotHanded))
	}
	if s.Redelivered > 0 {
		fmt.Fprintf(w, "   redelivered %s", commas(s.Redelivered))
	}
	if s.RecordsFiltered > 0 {
		fmt.Fprintf(w, "   filtered out %s", commas(s.RecordsFiltered))
	}
	if s.Stalls > 0 {
		fmt.Fprintf(w, "   stalls %d", s.Stalls)
	}
	fmt.Fprintln(w)
	if s.RecoveryKeys != nil {
		printRecovery(w, s.RecoveryKeys)
	}
	l := s.LatencyUS
	fmt.Fprintf(w, "  latency (publish → subscriber thread): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		usDur(l.P50), usDur(l.P90), usDur(l.P99), usDur(l.P999), usDur(l.Max))
	for _, sh := range s.Shards {
		pin := "unpinned"
		if sh.CPU >= 0 {
			pin = fmt.Sprintf("pinned to cpu %d", sh.CPU)
		}
		fmt.Fprintf(w, "  shard %d   %12s records   subscriber thread %s", sh.ID, commas(sh.Records), pin)
		if sh.BeforeJoin > 0 {
			fmt.Fprintf(w, "   missed before join %s", commas(sh.BeforeJoin))
		}
		if sh.Lost > 0 {
			fmt.Fprintf(w, "   lost %s in %d gaps", commas(sh.Lost), sh.Gaps)
		}
		if sh.Stalls > 0 {
			fmt.Fprintf(w, "   stalls %d", sh.Stalls)
		}
		if sh.Silent {
			fmt.Fprintf(w, " (silent at the end)")
		}
		fmt.Fprintln(w)
	}
	for _, wk := range s.Workers {
		fmt.Fprintf(w, "  worker %d  %12s records", wk.ID, commas(wk.Records))
		if wk.Peer != "" {
			fmt.Fprintf(w, "   %s (%s)", wk.Peer, wk.State)
		}
		fmt.Fprintln(w)
	}
	if len(s.TopSymbols) > 0 {
		fmt.Fprintf(w, "  busiest symbols:")
		for _, t := range s.TopSymbols {
			fmt.Fprintf(w, "  %s %s (VWAP %.2f)", t.Symbol, commas(t.Count), t.VWAP)
		}
		fmt.Fprintln(w)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	if s.Croaked {
		fmt.Fprintf(w, "CROAKED: %s\n", s.CroakReason)
	}
	// The one verdict line: judged from the counters, never written here.
	if s.Verdict == "" {
		s.judge()
	}
	fmt.Fprintln(w, s.verdict.Line())
}

// liveFlags are the subscriber's liveness, reconnect and idle flags
// (bbox sub, bbox demo).
type liveFlags struct {
	heartbeatTimeout, reconnectIvl, reconnectMax time.Duration
	idle                                         string
}

func (l *liveFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&l.heartbeatTimeout, "heartbeat-timeout", shard.DefaultHeartbeatTimeout,
		"a feed that sends no frame, heartbeat or PONG for this long is stalled: squawk, count, reconnect (croak with --max-delay); negative: off")
	fs.DurationVar(&l.reconnectIvl, "reconnect-ivl", zmqx.DefaultReconnectIvl, "wait between reconnect attempts (libzmq's ZMQ_RECONNECT_IVL)")
	fs.DurationVar(&l.reconnectMax, "reconnect-max", 0, "if above --reconnect-ivl, the wait doubles after each failed attempt up to this (ZMQ_RECONNECT_IVL_MAX); 0: fixed")
	fs.StringVar(&l.idle, "idle", "park", "what a subscriber thread does with no data: park (block), yield (sched_yield, then park) or spin (poll, yield, then park: dedicated cores only)")
}

func (l *liveFlags) apply(sc *shard.SubConfig) error {
	idle, err := shard.ParseIdle(l.idle)
	if err != nil {
		return fmt.Errorf("--idle: %v", err)
	}
	if l.heartbeatTimeout == 0 {
		return errors.New("--heartbeat-timeout 0: give a duration (3s), or a negative one to turn the check off")
	}
	if l.reconnectIvl <= 0 || l.reconnectMax < 0 {
		return fmt.Errorf("--reconnect-ivl %v / --reconnect-max %v: want a positive interval and a maximum ≥ 0", l.reconnectIvl, l.reconnectMax)
	}
	sc.HeartbeatTimeout, sc.Retry, sc.RetryMax, sc.Idle = l.heartbeatTimeout, l.reconnectIvl, l.reconnectMax, idle
	return nil
}
