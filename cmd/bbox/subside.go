package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
	pipe "github.com/bbox-dev/bbox/pipeline" // named: replay_test.go has a func pipeline
	"github.com/bbox-dev/bbox/report"
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
	rec     *bench.Recorder // latency recorder (sub --latency-out); nil: one from the send time
	// redeliver and workerTimeout configure the dispatcher (with push).
	redeliver     bool
	workerTimeout time.Duration
	alert         func(alerts.Event) // each squawk as an alert (sub --alert); nil: none
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
	rc := pipe.ReceiverConfig{Sub: sc, Show: log.Line, Alert: cfg.alert,
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

// printSummary writes a summary for people, on stderr with --json so that
// stdout holds only the JSON object (of v, taken after human has written).
func printSummary(e *env, asJSON bool, human func(io.Writer), v func() any) {
	if !asJSON {
		human(e.stdout)
		return
	}
	human(e.stderr)
	writeJSON(e.stdout, v())
}

// summary fills the receiving half of the JSON summary.
func (s *subSide) summary(cmd string) report.Summary {
	return report.Received(cmd, s.Receiver, bench.Summarize(s.rec.Merged()))
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
