package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

// ReceiverConfig configures a Receiver. The zero value of each part is
// that part's own default.
type ReceiverConfig struct {
	// Sub configures the subscriber threads. Its OnSquawk, if set, is
	// called after the Receiver has recorded each squawk.
	Sub shard.SubConfig
	// Pool configures the in-process workers; it is ignored with Push.
	Pool workers.PoolConfig
	// Push, if set, serves batches to worker processes (bbox worker)
	// instead of in-process workers.
	Push *workers.PushConfig
	// WaitWorkers, with Push, makes Run wait until this many worker
	// processes can take batches before the subscriber connects, for at
	// most WaitTimeout (0: 30s); Run fails if they do not come. 0 starts
	// at once, and what arrives first waits for the first worker.
	WaitWorkers int
	WaitTimeout time.Duration
	// Show, if set, receives each squawk's text as it happens (the
	// operator's log). nil shows nothing.
	Show func(line string)
	// Alert, if set, receives each squawk as an alert (alerts.SquawkEvent),
	// last, after Sub.OnSquawk.
	Alert func(alerts.Event)
}

// maxSquawks bounds the squawks a Receiver keeps for its summary: a feed
// that squawks all day must not grow the summary without bound.
const maxSquawks = 100

// Receiver is the receiving half of bbox: subscriber threads, the worker
// pool (or dispatcher) they hand records to, and what went wrong on the
// way (squawks, a croak).
type Receiver struct {
	cfg  ReceiverConfig
	sub  *shard.Subscriber
	pool *workers.Pool
	disp *workers.PushDispatcher

	mu       sync.Mutex
	cancel   context.CancelFunc
	stopped  bool
	squawks  []shard.Squawk
	croak    *shard.CroakError
	finished bool
}

// NewReceiver builds the worker side first (so a bad Push endpoint fails
// before any subscription), then the subscriber threads.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Receiver{cfg: cfg}
	var sink shard.Sink
	if cfg.Push != nil {
		d, err := workers.NewPushDispatcher(*cfg.Push)
		if err != nil {
			return nil, err
		}
		// The subscriber delivers a whole read at once, which can span
		// partitions; the dispatcher re-encodes a batch as one frame.
		r.disp, sink = d, shard.OnePartition(d)
	} else {
		p, err := workers.NewPool(cfg.Pool)
		if err != nil {
			return nil, err
		}
		r.pool, sink = p, p
	}
	sc := cfg.Sub
	user := sc.OnSquawk
	sc.OnSquawk = func(q shard.Squawk) {
		if q.Croak && r.disp != nil {
			r.disp.AbortWith(q.String()) // before the subscriber's Abort: workers learn why
		}
		if cfg.Show != nil {
			cfg.Show(q.String())
		}
		r.mu.Lock()
		if len(r.squawks) < maxSquawks {
			r.squawks = append(r.squawks, q)
		}
		r.mu.Unlock()
		if user != nil {
			user(q)
		}
		if cfg.Alert != nil {
			cfg.Alert(alerts.SquawkEvent(q))
		}
	}
	sub, err := shard.NewSubscriber(sc, sink)
	if err != nil {
		r.closeSink()
		return nil, err
	}
	r.sub = sub
	return r, nil
}

// Run runs the subscriber until it ends (ctx, end-of-stream with
// ExitOnEOS, a croak: a *shard.CroakError), then drains the workers, so
// their counts are final when Run returns.
func (r *Receiver) Run(ctx context.Context) error {
	r.mu.Lock()
	ctx, r.cancel = context.WithCancel(ctx)
	if r.stopped {
		r.cancel() // Stop came first: Run must not outlive it
	}
	r.mu.Unlock()
	if r.disp != nil && r.cfg.WaitWorkers > 0 {
		if err := r.waitWorkers(ctx); err != nil {
			r.closeSink()
			return err
		}
	}
	err := r.sub.Run(ctx)
	r.closeSink()
	if ce, ok := err.(*shard.CroakError); ok {
		r.mu.Lock()
		r.croak = ce
		r.mu.Unlock()
	}
	return err
}

// Stop ends Run as if its context had ended, even if Run has not started.
// A Receiver stopped before Run stops its workers here, so one that is
// never Run leaves no goroutine behind.
func (r *Receiver) Stop() {
	r.mu.Lock()
	r.stopped = true
	running := r.cancel != nil
	if running {
		r.cancel()
	}
	r.mu.Unlock()
	if !running {
		r.closeSink() // a Run from here on delivers nothing: it is cancelled at once
	}
}

func (r *Receiver) closeSink() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	if r.pool != nil {
		r.pool.Close()
		if r.cfg.Pool.Tap != nil {
			r.cfg.Pool.Tap.Flush()
		}
	}
	if r.disp != nil {
		r.disp.Close()
	}
}

// Subscriber is the subscriber threads.
func (r *Receiver) Subscriber() *shard.Subscriber { return r.sub }

// Pool is the in-process worker pool; nil with Push.
func (r *Receiver) Pool() *workers.Pool { return r.pool }

// Dispatcher serves worker processes; nil without Push.
func (r *Receiver) Dispatcher() *workers.PushDispatcher { return r.disp }

// WorkerStats counts each worker, in-process or not.
func (r *Receiver) WorkerStats() []workers.WorkerStats {
	if r.pool != nil {
		return r.pool.Stats()
	}
	return r.disp.Stats()
}

// Squawks are the first squawks of the run (at most 100), in order.
func (r *Receiver) Squawks() []shard.Squawk {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]shard.Squawk(nil), r.squawks...)
}

// Croak is why the subscriber croaked; nil if it did not (or has not yet).
func (r *Receiver) Croak() *shard.CroakError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.croak
}

// TopSymbols merges the n busiest symbols of in-process workers whose
// handlers are workers.SymbolStats; nil with Push.
func (r *Receiver) TopSymbols(n int) []workers.SymSummary {
	if r.pool == nil {
		return nil
	}
	var hs []*workers.SymbolStats
	for _, h := range r.pool.Handlers() {
		if ss, ok := h.(*workers.SymbolStats); ok {
			hs = append(hs, ss)
		}
	}
	return workers.MergeTop(n, hs...)
}

// VerdictInput is what the receiving side's counters (st, the
// subscriber's, and the workers') say; the publisher's discards are
// unknown from here (verdict.Unknown), which a caller that knows them
// (one process) overwrites.
func (r *Receiver) VerdictInput(st shard.SubStats) verdict.Input {
	in := st.VerdictInput(r.cfg.Sub.Recover != shard.RecoverOff)
	if ce := r.Croak(); ce != nil {
		in.Croaked, in.CroakReason = true, ce.Error()
	}
	if r.disp != nil {
		// What a dropped worker took, and what never reached one, apart.
		in.LostToWorkers, in.NotHanded = r.disp.LostToWorkers(), r.disp.Discarded()
		in.Redelivered, in.Unconfirmed = r.disp.Redelivered(), r.disp.Unconfirmed()
	}
	if r.pool != nil {
		in.NotHanded = r.pool.Lost() // in-process workers lose nothing they took: this was queued
	}
	return in
}

// waitWorkers waits for cfg.WaitWorkers worker processes (see
// ReceiverConfig.WaitWorkers).
func (r *Receiver) waitWorkers(ctx context.Context) error {
	d := r.cfg.WaitTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if logf := r.cfg.Sub.Logf; logf != nil {
		logf("waiting for %s on %s before subscribing", words.Count(r.cfg.WaitWorkers, "worker", "workers"), r.disp.Endpoint())
	}
	if err := r.disp.WaitWorkers(wctx, r.cfg.WaitWorkers); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("waiting for workers: %w", err)
	}
	return nil
}
