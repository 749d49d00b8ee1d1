package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
)

// receiving is rc wired to log and rec: the subscriber threads log to
// log, observe latency into rec and count squawks in its metrics, and
// each squawk is shown as a line.
func (l *logger) receiving(rc pipeline.ReceiverConfig, rec *bench.Recorder) pipeline.ReceiverConfig {
	rc.Sub.Logf, rc.Sub.Observe, rc.Show = l.Logf, rec.Observe, l.Say
	rc.Sub.OnSquawk = l.ops.CountSquawks(rc.Sub.OnSquawk) // bbox_sub_squawks_total, bbox_sub_croaks_total
	return rc
}

// exitFor is the exit status of a run that croaked or did not.
func exitFor(croaked bool) int {
	if croaked {
		return exitCroaked
	}
	return exitOK
}

// eosFlags are --exit-on-eos and --eos-wait (bbox sub, bbox record):
// verb is what the command does at the end ("exit", "stop").
type eosFlags struct {
	exit bool
	wait time.Duration
}

func (f *eosFlags) register(fs *flag.FlagSet, verb string) {
	fs.BoolVar(&f.exit, "exit-on-eos", false, verb+" once every shard has seen the publisher's end-of-stream")
	fs.DurationVar(&f.wait, "eos-wait", 10*time.Second,
		"with --exit-on-eos: give up on a publisher that hung up before its end-of-stream and stays unreachable this long (the summary says its end is unknown); 0: wait for it forever")
}

// apply sets them in sc (cli.BBox's rule has refused a negative wait).
func (f *eosFlags) apply(sc *shard.SubConfig) {
	sc.ExitOnEOS, sc.EOSWait = f.exit, f.wait
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
	if l.reconnectIvl <= 0 || l.reconnectMax < 0 {
		return fmt.Errorf("--reconnect-ivl %v / --reconnect-max %v: want a positive interval and a maximum ≥ 0", l.reconnectIvl, l.reconnectMax)
	}
	sc.HeartbeatTimeout, sc.Retry, sc.RetryMax, sc.Idle = l.heartbeatTimeout, l.reconnectIvl, l.reconnectMax, idle
	return nil
}
