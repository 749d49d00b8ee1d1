package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// WorkerConfig configures a worker process's pulling side.
type WorkerConfig struct {
	// Connect lists the subscribers' dispatch endpoints (PushConfig.Bind).
	// Each gets its own connection and reconnects on its own. Required.
	Connect []string
	// ExitOnEOS makes Run return once every endpoint has sent end-of-stream.
	ExitOnEOS bool
	// Work makes every record cost this long (a slow worker).
	Work time.Duration
	// Queue is how many frames wait for the handler. 0 means 64.
	Queue int
	// Retry is the first reconnect delay; it doubles up to 2s. 0 means 100ms.
	Retry time.Duration
	// Tap, if set, receives one line per handled record (see Tap). It is
	// how tests prove each record reached exactly one worker.
	Tap io.Writer
	// Conn holds socket and guard options.
	Conn zmqx.Options
	// Logf receives operational messages. nil discards them.
	Logf func(format string, args ...any)
}

// Worker pulls batches from subscribers and runs a Handler on them.
type Worker struct {
	cfg       WorkerConfig
	h         Handler
	eps       []zmqx.Endpoint
	records   atomic.Int64
	batches   atomic.Int64
	malformed atomic.Int64
	eos       atomic.Int64
}

// NewWorker checks cfg.
func NewWorker(cfg WorkerConfig, h Handler) (*Worker, error) {
	if len(cfg.Connect) == 0 {
		return nil, errors.New("worker needs at least one --connect endpoint")
	}
	if cfg.Queue == 0 {
		cfg.Queue = 64
	}
	if cfg.Retry == 0 {
		cfg.Retry = 100 * time.Millisecond
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if h == nil {
		h = NewSymbolStats()
	}
	w := &Worker{cfg: cfg, h: h}
	for _, c := range cfg.Connect {
		ep, err := zmqx.ParseEndpoint(c)
		if err != nil {
			return nil, fmt.Errorf("connect %w", err)
		}
		w.eps = append(w.eps, ep)
	}
	return w, nil
}

// Handler returns the worker's handler (read it after Run returns).
func (w *Worker) Handler() Handler { return w.h }

// Run pulls until ctx ends or, with ExitOnEOS, every endpoint has ended.
func (w *Worker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames := make(chan []byte, w.cfg.Queue)
	var wg sync.WaitGroup
	for _, ep := range w.eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.pull(ctx, ep, frames, cancel)
		}()
	}
	go func() { wg.Wait(); close(frames) }()

	var tap *Tap
	if w.cfg.Tap != nil {
		tap = NewTap(w.cfg.Tap)
		defer tap.Flush()
	}
	recs := make([]feed.Record, 0, 1024)
	for f := range frames {
		var err error
		recs, _, err = feed.DecodeFrame(f, recs[:0])
		if err != nil {
			if n := w.malformed.Add(1); n <= 10 {
				w.cfg.Logf("dropped malformed frame: %v", err)
			}
			continue
		}
		spend(w.cfg.Work, len(recs), ctx.Done())
		w.h.Handle(recs)
		w.records.Add(int64(len(recs)))
		w.batches.Add(1)
		if tap != nil {
			tap.Write(recs)
		}
	}
	return nil
}

// pull reads one endpoint, reconnecting, until ctx ends or it sends EOS.
func (w *Worker) pull(ctx context.Context, ep zmqx.Endpoint, out chan<- []byte, cancel context.CancelFunc) {
	zmqx.Redial(ctx, ep, zmq4.Pull, w.cfg.Conn, w.cfg.Retry, w.cfg.Logf, func(peer *zmqx.Peer) bool {
		w.cfg.Logf("connected to %s", ep.Raw)
		if !w.serve(ctx, peer, out) || !w.cfg.ExitOnEOS {
			return false
		}
		if w.eos.Add(1) == int64(len(w.eps)) {
			cancel()
		}
		return true
	})
}

// serve reads one connection; true means the peer sent end-of-stream.
func (w *Worker) serve(ctx context.Context, peer *zmqx.Peer, out chan<- []byte) bool {
	for {
		msg, err := peer.RecvMsg()
		if err != nil {
			if ctx.Err() == nil {
				w.cfg.Logf("lost %s: %v (reconnecting)", peer.Remote, err)
			}
			return false
		}
		if msg.Type == zmq4.CmdMsg || len(msg.Frames) != 1 {
			continue
		}
		f := msg.Frames[0]
		if h, _, err := feed.ParseHeader(f); err == nil && h.Flags&feed.FlagEOS != 0 {
			return true
		}
		select {
		case out <- f:
		case <-ctx.Done():
			return false
		}
	}
}

// WorkerProcStats is a worker process's summary.
type WorkerProcStats struct {
	Records   int64 `json:"records"`
	Batches   int64 `json:"batches"`
	Malformed int64 `json:"frames_malformed"`
	EOS       int64 `json:"eos"`
}

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerProcStats {
	return WorkerProcStats{Records: w.records.Load(), Batches: w.batches.Load(), Malformed: w.malformed.Load(), EOS: w.eos.Load()}
}
