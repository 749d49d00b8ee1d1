package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/shard"
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
	s := &subSide{cfg: cfg, log: log, rec: bench.NewRecorder(len(cfg.sub.Connect), bench.FromSend)}
	var sink shard.Sink
	if cfg.push != "" {
		d, err := workers.NewPushDispatcher(workers.PushConfig{Bind: cfg.push, Order: cfg.order, Conn: cfg.sub.Conn, Logf: log.Logf,
			Redeliver: cfg.redeliver, AckTimeout: cfg.workerTimeout})
		if err != nil {
			return nil, err
		}
		s.disp, sink = d, d
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
	user := sc.OnSquawk
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
	for _, sh := range st.Shards {
		out.Shards = append(out.Shards, shardSummary{ID: sh.ID, Records: sh.Records, Endpoint: sh.Endpoint,
			Lost: sh.Lost, Gaps: sh.Gaps, CPU: sh.CPU, Reconnects: sh.Reconnects})
	}
	return out
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
	if s.disp != nil {
		if lost := s.disp.Lost(); lost > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%d records handed to workers were never acknowledged as handled (lost to workers)", lost))
		}
		if n := s.disp.Redelivered(); n > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%d records were redelivered after a worker was dropped: delivered at least once, not exactly once", n))
		}
		if n := s.disp.Unconfirmed(); n > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%d records went to plain PULL workers that left before end-of-stream: delivery unconfirmed", n))
		}
	}
	return out
}

// printHuman writes the summary a newcomer can read.
func printHuman(w io.Writer, s *summary, elapsed time.Duration) {
	fmt.Fprintf(w, "\n%s: %s records received in %.1fs (%s records/s)\n", s.Command, commas(s.RecordsReceived), elapsed.Seconds(), human(s.ThroughputRPS))
	fmt.Fprintf(w, "  published %s   received %s   lost %s   gaps %d", commas(s.RecordsPublished), commas(s.RecordsReceived), commas(s.RecordsLost), s.Gaps)
	if s.RecordsFiltered > 0 {
		fmt.Fprintf(w, "   filtered out %s", commas(s.RecordsFiltered))
	}
	fmt.Fprintln(w)
	l := s.LatencyUS
	fmt.Fprintf(w, "  latency (publish → subscriber thread): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		usDur(l.P50), usDur(l.P90), usDur(l.P99), usDur(l.P999), usDur(l.Max))
	for _, sh := range s.Shards {
		pin := "unpinned"
		if sh.CPU >= 0 {
			pin = fmt.Sprintf("pinned to cpu %d", sh.CPU)
		}
		fmt.Fprintf(w, "  shard %d   %12s records   subscriber thread %s\n", sh.ID, commas(sh.Records), pin)
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
	switch {
	case s.Croaked:
		fmt.Fprintf(w, "CROAKED: %s\n", s.CroakReason)
	case s.RecordsLost == 0 && s.Gaps == 0 && s.RecordsReceived > 0:
		fmt.Fprintf(w, "Every record published arrived exactly once, in sequence: no loss, no gaps.\n")
	case s.RecordsLost > 0:
		fmt.Fprintf(w, "%s records were lost (%d gaps): see the log above for where.\n", commas(s.RecordsLost), s.Gaps)
	}
}
