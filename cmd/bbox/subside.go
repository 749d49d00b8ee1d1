package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// receiverConfig is the receiving half shared by demo and sub: subscriber
// threads, latency recording and a worker pool (in-process or, with push,
// worker processes).
type receiverConfig struct {
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

// receiver is the pipeline's configuration for cfg's shards subscriber
// threads, logging to log, and the latency recorder they observe into.
func (cfg receiverConfig) receiver(log *logger, shards int) (pipeline.ReceiverConfig, *bench.Recorder) {
	rec := cfg.rec
	if rec == nil {
		rec = bench.NewRecorder(shards, bench.FromSend)
	}
	sc := cfg.sub
	sc.Logf = log.Logf
	sc.Observe = rec.Observe
	sc.OnSquawk = log.ops.CountSquawks(sc.OnSquawk) // bbox_sub_squawks_total, bbox_sub_croaks_total
	rc := pipeline.ReceiverConfig{Sub: sc, Show: log.Line, Alert: cfg.alert,
		Pool: workers.PoolConfig{Workers: cfg.workers, Order: cfg.order, Work: cfg.work, Tap: cfg.tap}}
	if cfg.push != "" {
		rc.Push = &workers.PushConfig{Bind: cfg.push, Order: cfg.order, Conn: cfg.sub.Conn, Logf: log.Logf,
			Redeliver: cfg.redeliver, AckTimeout: cfg.workerTimeout}
	}
	return rc, rec
}

// newReceiver makes the receiving half of cfg, logging to log, with its
// metrics registered, and the latency recorder its threads observe into.
func newReceiver(cfg receiverConfig, log *logger) (*pipeline.Receiver, *bench.Recorder, error) {
	rc, rec := cfg.receiver(log, len(cfg.sub.Connect))
	rx, err := pipeline.NewReceiver(rc)
	if err != nil {
		return nil, nil, err
	}
	log.addMetrics(log.ops.Receiver(rx, rec.Visit)...)
	return rx, rec, nil
}

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
