package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

// LoopConfig configures a Loop.
type LoopConfig struct {
	// Shards is the number of shards: one PUB endpoint on 127.0.0.1 (a
	// free port) and one subscriber thread each. 0 means 1.
	Shards int
	// Pub configures the publisher; Binds is set by the Loop.
	Pub shard.PubConfig
	// Receiver configures the receiving half; Sub.Connect (and, unless
	// Sub.Recover is shard.RecoverOff, Sub.RecoveryConnect) are set by the
	// Loop to the publisher's endpoints.
	Receiver ReceiverConfig
	// Wait bounds the wait for the subscriber to connect. 0 means 10s.
	Wait time.Duration
	// Drain bounds the wait, after publishing stops, for the subscriber
	// to see end-of-stream; past it the subscriber is stopped. 0 means 10s.
	Drain time.Duration
	// InterruptDrain replaces Drain when Run's context ended the run
	// (an operator waiting on Ctrl-C). 0 means Drain.
	InterruptDrain time.Duration
	// Logf receives the loop's own messages (a drain that ran out). nil
	// discards them.
	Logf func(format string, args ...any)
}

// Validate reports the first unusable field.
func (c LoopConfig) Validate() error {
	switch {
	case c.Shards < 0 || c.Shards > 64:
		return fmt.Errorf("pipeline: shards %d outside [1, 64]", c.Shards)
	case c.Wait < 0 || c.Drain < 0 || c.InterruptDrain < 0:
		return errors.New("pipeline: wait and drain times must not be negative")
	}
	return nil
}

// Loop is the whole pipeline in one process over loopback.
type Loop struct {
	cfg     LoopConfig
	pub     *shard.Publisher
	rx      *Receiver
	subDone chan error
	ran     bool
}

// Start builds the publisher and the receiver, starts the subscriber and
// waits (up to cfg.Wait, or until ctx ends) until every shard has it
// connected, so Run's first record has somewhere to go.
//
// The subscriber does not stop when ctx ends: the publisher does (in
// Run), and its end-of-stream lets the subscriber take what is in flight,
// so an interrupted run counts only real loss.
func Start(ctx context.Context, cfg LoopConfig) (*Loop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Shards == 0 {
		cfg.Shards = 1
	}
	if cfg.Wait == 0 {
		cfg.Wait = 10 * time.Second
	}
	if cfg.Drain == 0 {
		cfg.Drain = 10 * time.Second
	}
	if cfg.InterruptDrain == 0 {
		cfg.InterruptDrain = cfg.Drain
	}
	pc := cfg.Pub
	pc.Binds = make([]string, cfg.Shards)
	for i := range pc.Binds {
		pc.Binds[i] = "tcp://127.0.0.1:0"
	}
	pub, err := shard.NewPublisher(pc)
	if err != nil {
		return nil, err
	}
	rc := cfg.Receiver
	rc.Sub.Connect = pub.Endpoints()
	rc.Sub.RecoveryConnect = nil
	if rc.Sub.Recover != shard.RecoverOff {
		rc.Sub.RecoveryConnect = pub.RecoveryEndpoints()
	}
	rx, err := NewReceiver(rc)
	if err != nil {
		pub.Close()
		return nil, err
	}
	l := &Loop{cfg: cfg, pub: pub, rx: rx, subDone: make(chan error, 1)}
	go func() { l.subDone <- rx.Run(context.WithoutCancel(ctx)) }()
	wctx, cancel := context.WithTimeout(ctx, cfg.Wait)
	err = pub.WaitSubscribers(wctx, 1)
	cancel()
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Publisher is the loop's publisher (for its stats and metrics).
func (l *Loop) Publisher() *shard.Publisher { return l.pub }

// Receiver is the loop's receiving half.
func (l *Loop) Receiver() *Receiver { return l.rx }

// Result is how a Loop's run went.
type Result struct {
	// Sending is how long the publisher ran; Elapsed adds the drain.
	Sending, Elapsed time.Duration
	// Interrupted: ctx ended before the duration did.
	Interrupted bool
	// DrainExpired: the subscriber did not see end-of-stream within the
	// drain time and was stopped.
	DrainExpired bool
	// SubErr is what the receiver's Run returned (a *shard.CroakError
	// when it croaked).
	SubErr error
}

// Run publishes src for at most d (0: until src ends or ctx does), closes
// the publisher (its end-of-stream) and waits for the receiver to drain.
// The error is the publisher's, other than its run ending by time, ctx or
// Close; the receiver's is Result.SubErr. Run is called once.
func (l *Loop) Run(ctx context.Context, src feed.Source, d time.Duration) (Result, error) {
	if l.ran {
		return Result{}, errors.New("pipeline: Loop.Run called twice")
	}
	l.ran = true
	var res Result
	start := time.Now()
	sending, perr := Publish(ctx, l.pub, src, d) // its end-of-stream starts the drain
	res.Sending, res.Interrupted = sending, ctx.Err() != nil
	drain := l.cfg.Drain
	if res.Interrupted {
		drain = l.cfg.InterruptDrain
	}
	t := time.NewTimer(drain)
	defer t.Stop()
	select {
	case res.SubErr = <-l.subDone:
	case <-t.C:
		res.DrainExpired = true
		if l.cfg.Logf != nil {
			l.cfg.Logf("subscriber did not see end-of-stream within %v; stopping it", drain)
		}
		l.rx.Stop()
		res.SubErr = <-l.subDone
	}
	l.subDone = nil
	res.Elapsed = time.Since(start)
	return res, perr
}

// Publish runs src through pub for at most d (0: until src ends or ctx
// does), then closes pub (flushing it and sending end-of-stream), and
// returns how long it ran. A run ended by d, by ctx or by a Close is not
// an error.
func Publish(ctx context.Context, pub *shard.Publisher, src feed.Source, d time.Duration) (time.Duration, error) {
	start := time.Now()
	pctx, cancel := ctx, context.CancelFunc(func() {})
	if d > 0 {
		pctx, cancel = context.WithTimeout(ctx, d)
	}
	err := pub.Run(pctx, src)
	cancel()
	elapsed := time.Since(start)
	pub.Close()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, shard.ErrClosed) {
		return elapsed, err
	}
	return elapsed, nil
}

// Close stops whatever still runs (the publisher, the subscriber) and
// waits for the subscriber to end. It is safe after Run and twice.
func (l *Loop) Close() {
	l.pub.Close()
	if l.subDone != nil {
		l.rx.Stop()
		<-l.subDone
		l.subDone = nil
	}
}
