package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
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

type subSide struct {
	cfg      subSideConfig
	sub      *shard.Subscriber
	pool     *workers.Pool
	disp     *workers.PushDispatcher
	rec      *bench.Recorder
	log      *logger
	cancel   context.CancelFunc
	mu       sync.Mutex
	squawks  []shard.Squawk
	croak    *shard.CroakError
	finished bool
}

func newSubSide(cfg subSideConfig, log *logger) (*subSide, error) {
	s := &subSide{cfg: cfg, log: log, rec: cfg.rec}
	if s.rec == nil {
		s.rec = bench.NewRecorder(len(cfg.sub.Connect), bench.FromSend)
	}
	var sink shard.Sink
	if cfg.push != "" {
		d, err := workers.NewPushDispatcher(workers.PushConfig{Bind: cfg.push, Order: cfg.order, Conn: cfg.sub.Conn, Logf: log.Logf,
			Redeliver: cfg.redeliver, AckTimeout: cfg.workerTimeout})
		if err != nil {
			return nil, err
		}
		// The subscriber delivers a whole read at once, which can span
		// partitions; the dispatcher re-encodes a batch as one frame.
		s.disp, sink = d, shard.OnePartition(d)
	} else {
		p, err := workers.NewPool(workers.PoolConfig{Workers: cfg.workers, Order: cfg.order, Work: cfg.work, Tap: cfg.tap})
		if err != nil {
			return nil, err
		}
		s.pool, sink = p, p
	}
	sc := cfg.sub
	sc.Logf = log.Logf
	sc.Observe = s.rec.Observe
	user := log.countSquawks(sc.OnSquawk)
	sc.OnSquawk = func(q shard.Squawk) {
		if q.Croak && s.disp != nil {
			s.disp.AbortWith(q.String()) // before the subscriber's Abort: workers learn why
		}
		log.Line(q.String())
		s.mu.Lock()
		if len(s.squawks) < 100 {
			s.squawks = append(s.squawks, q)
		}
		s.mu.Unlock()
		if user != nil {
			user(q)
		}
	}
	sub, err := shard.NewSubscriber(sc, sink)
	if err != nil {
		s.closeSink()
		return nil, err
	}
	s.sub = sub
	log.subSideMetrics(s)
	return s, nil
}

// run runs the subscriber until it ends, then drains the workers.
func (s *subSide) run(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	err := s.sub.Run(ctx)
	s.closeSink()
	if ce, ok := err.(*shard.CroakError); ok {
		s.croak = ce
	}
	return err
}

func (s *subSide) stop() {
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *subSide) closeSink() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	s.finished = true
	if s.pool != nil {
		s.pool.Close()
		if s.cfg.tap != nil {
			s.cfg.tap.Flush()
		}
	}
	if s.disp != nil {
		s.disp.Close()
	}
}

func (s *subSide) workerStats() []workers.WorkerStats {
	if s.pool != nil {
		return s.pool.Stats()
	}
	return s.disp.Stats()
}

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

// verdictInput is what the subscriber side's counters say; the publisher's
// discards are unknown from here.
func (s *subSide) verdictInput(st shard.SubStats) verdict.Input {
	in := verdict.Input{
		Published: st.Published, Received: st.Received, Filtered: st.Filtered, BeforeJoin: st.JoinedLate,
		LostInGaps: st.Lost, Gaps: st.Gaps, Discarded: verdict.Unknown, Malformed: st.Malformed, Late: st.Late,
		Stalls: st.Stalls, Restarts: st.Restarts,
		Recovered: st.Recovered, Unrecoverable: st.Unrecoverable, RecoveryRequests: st.RecoveryRequests,
		Recovering: s.cfg.sub.Recover != shard.RecoverOff,
	}
	if s.croak != nil {
		in.Croaked, in.CroakReason = true, s.croak.Error()
	}
	if s.disp != nil {
		// What a dropped worker took, and what never reached one, apart.
		in.LostToWorkers, in.NotHanded = s.disp.LostToWorkers(), s.disp.Discarded()
		in.Redelivered, in.Unconfirmed = s.disp.Redelivered(), s.disp.Unconfirmed()
	}
	if s.pool != nil {
		in.NotHanded = s.pool.Lost() // in-process workers lose nothing they took: this was queued
	}
	for _, sh := range st.Shards {
		in.Shards = append(in.Shards, verdict.Shard{ID: sh.ID, Endpoint: sh.Endpoint, BeforeJoin: sh.BeforeJoin,
			Lost: sh.Lost, Gaps: sh.Gaps, Stalls: sh.Stalls, Silent: sh.Silent, Disconnected: sh.Disconnected, Reached: sh.Reached, Ended: sh.EOS})
	}
	return in
}

// summary fills the receiving half of the JSON summary.
func (s *subSide) summary(cmd string) summary {
	st := s.sub.Stats()
	out := streamSummary(cmd, st)
	out.RecordsFiltered, out.RecordsLate = st.Filtered, st.Late
	out.LatencyUS = bench.Summarize(s.rec.Merged())
	out.Workers = s.workerStats()
	if s.croak != nil {
		out.Croaked, out.CroakReason = true, s.croak.Error()
	}
	s.mu.Lock()
	out.Squawks = append(out.Squawks, s.squawks...)
	s.mu.Unlock()
	if s.pool != nil {
		var hs []*workers.SymbolStats
		for _, h := range s.pool.Handlers() {
			if ss, ok := h.(*workers.SymbolStats); ok {
				hs = append(hs, ss)
			}
		}
		out.TopSymbols = workers.MergeTop(5, hs...)
	}
	out.in = s.verdictInput(st)
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
