package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// WorkerConfig configures a worker process's pulling side. Zero values
// are defaults.
type WorkerConfig struct {
	// Connect lists the subscribers' dispatch endpoints (PushConfig.Bind).
	// Each gets its own connection and reconnects on its own. Required.
	Connect []string
	// ExitOnEOS makes Run return once every endpoint has sent end-of-stream.
	// A subscriber that croaks ends Run whatever this says.
	ExitOnEOS bool
	// Work makes every record cost this long (a slow worker). 0 costs
	// nothing.
	Work time.Duration
	// Credit is the window announced to each subscriber: how many batches
	// it may send ahead of what this worker has handled. 0 means 64.
	Credit int
	// Retry is the wait between reconnect attempts. 0 means 100ms.
	Retry time.Duration
	// EOSWait, with ExitOnEOS, is how long an endpoint whose subscriber
	// hung up before its end-of-stream (killed, or gone with its box) may
	// stay unreachable before this worker stops waiting for it: it then
	// counts in Gone, and Run ends once every endpoint has ended or gone.
	// 0 waits forever.
	EOSWait time.Duration
	// Tap, if set, receives one line per handled record (see Tap; nil:
	// none): bbox worker --tap, a user feature, and how tests prove each
	// record reached exactly one worker. Lines are
	// flushed before the records are acknowledged, so an acknowledged
	// record is always in the tap file.
	Tap *Tap
	// Conn holds socket and guard options; the zero value is zmqx's
	// defaults.
	Conn zmqx.Options
	// Logf receives operational messages. nil discards them.
	Logf func(format string, args ...any)
}

// Validate checks cfg (zero values are defaults).
func (cfg *WorkerConfig) Validate() error {
	switch {
	case len(cfg.Connect) == 0:
		return errors.New("workers: worker needs at least one endpoint to connect to")
	case cfg.Credit < 0 || cfg.Credit > 1<<20:
		return fmt.Errorf("workers: credit %d outside [1, %d]", cfg.Credit, 1<<20)
	case cfg.Work < 0 || cfg.Retry < 0 || cfg.EOSWait < 0:
		return errors.New("workers: work, retry and EOS wait must not be negative")
	}
	for _, c := range cfg.Connect {
		if _, err := zmqx.ParseEndpoint(c); err != nil {
			return fmt.Errorf("connect %w", err)
		}
	}
	if err := cfg.Conn.Validate(); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}

// AbortError is what Run returns when a subscriber croaked: it ended the
// stream with a reason, and the pipeline stops.
type AbortError struct {
	Endpoint string
	Reason   string
}

func (e *AbortError) Error() string {
	return fmt.Sprintf("subscriber at %s croaked: %s", e.Endpoint, e.Reason)
}

// Worker pulls batches from subscribers and runs a Handler on them.
type Worker struct {
	cfg       WorkerConfig
	h         Handler
	eps       []zmqx.Endpoint
	records   atomic.Int64
	batches   atomic.Int64
	malformed atomic.Int64
	discarded atomic.Int64
	eos       atomic.Int64
	gone      atomic.Int64 // endpoints given up on (EOSWait)
	abortMu   sync.Mutex
	abort     *AbortError
	bufs      sync.Pool
	tap       *Tap // set by Run before its goroutines start
}

// withDefaults fills in the documented zero values.
func (cfg WorkerConfig) withDefaults() WorkerConfig {
	if cfg.Credit == 0 {
		cfg.Credit = 64
	}
	if cfg.Retry == 0 {
		cfg.Retry = 100 * time.Millisecond
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return cfg
}

// NewWorker checks cfg.
func NewWorker(cfg WorkerConfig, h Handler) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
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

// pullConn is one connection to a subscriber, shared by its reader, its
// acknowledger and the handler loop.
type pullConn struct {
	ep   string
	peer *zmqx.Peer
	// gone is set when a bbox subscriber's connection ended without
	// end-of-stream (or it croaked): its queued frames are discarded,
	// because the subscriber has counted them lost or redelivered them.
	gone      atomic.Bool
	credited  atomic.Bool // the peer confirmed our credit: it is a bbox subscriber
	mu        sync.Mutex
	handledB  uint64
	handledR  uint64
	signalled uint64        // handledB when the acknowledger was last woken
	ack       chan struct{} // capacity 1: something new to acknowledge
	drained   chan struct{} // closed when the handler reaches the EOS marker
}

type inFrame struct {
	c   *pullConn
	buf []byte
	eos bool
}

// Run pulls until ctx ends, a subscriber croaks (an *AbortError) or, with
// ExitOnEOS, every endpoint has ended.
func (w *Worker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Room for every connection's full window and its EOS marker: with
	// credit, readers never wait on the handler.
	frames := make(chan inFrame, (w.cfg.Credit+1)*len(w.eps))
	if w.tap = w.cfg.Tap; w.tap != nil {
		defer w.tap.Flush()
	}
	tap := w.tap
	var wg sync.WaitGroup
	for _, ep := range w.eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.pull(ctx, ep, frames, cancel)
		}()
	}
	go func() { wg.Wait(); close(frames) }()

	recs := make([]feed.Record, 0, 1024)
	ackEvery := uint64(max(1, w.cfg.Credit/4))
	for f := range frames {
		if f.eos {
			close(f.c.drained)
			continue
		}
		n := w.handle(ctx, f, tap, recs[:0])
		f.c.mu.Lock()
		f.c.handledB++
		f.c.handledR += uint64(n)
		// Acknowledge when the queue runs dry or a quarter of the window
		// has been handled since: one message per many batches while busy,
		// none held back when idle.
		due := len(frames) == 0 || f.c.handledB-f.c.signalled >= ackEvery
		if due {
			f.c.signalled = f.c.handledB
		}
		f.c.mu.Unlock()
		if due {
			select {
			case f.c.ack <- struct{}{}:
			default:
			}
		}
		w.bufs.Put(f.buf[:0])
	}
	w.abortMu.Lock()
	defer w.abortMu.Unlock()
	if w.abort != nil {
		return w.abort
	}
	return nil
}

// handle runs the handler on one frame and returns the records handled.
func (w *Worker) handle(ctx context.Context, f inFrame, tap *Tap, recs []feed.Record) int {
	if f.c.gone.Load() {
		if h, _, err := feed.ParseHeader(f.buf); err == nil {
			w.discarded.Add(int64(h.Count))
		}
		return 0
	}
	recs, _, err := feed.DecodeFrame(f.buf, recs)
	if err != nil {
		if n := w.malformed.Add(1); n <= 10 {
			w.cfg.Logf("dropped malformed frame from %s: %v", f.c.ep, err)
		}
		return 0
	}
	spend(w.cfg.Work, len(recs), ctx.Done())
	w.h.Handle(recs)
	if tap != nil {
		tap.Write(recs)
	}
	w.records.Add(int64(len(recs)))
	w.batches.Add(1)
	return len(recs)
}

// pull reads one endpoint, reconnecting, until ctx ends or it sends EOS
// (or, with EOSWait, it hangs up without one and stays away).
func (w *Worker) pull(ctx context.Context, ep zmqx.Endpoint, out chan<- inFrame, cancel context.CancelFunc) {
	policy := zmqx.Reconnect{Ivl: w.cfg.Retry}
	if w.cfg.ExitOnEOS {
		policy.GiveUp = w.cfg.EOSWait
	}
	ended := false
	zmqx.RedialPolicy(ctx, ep, zmq4.Pull, w.cfg.Conn, policy, w.cfg.Logf, func(peer *zmqx.Peer) bool {
		w.cfg.Logf("connected to %s", ep.Raw)
		eos, abort := w.serve(ctx, ep.Raw, peer, out)
		if abort != nil {
			w.abortMu.Lock()
			if w.abort == nil {
				w.abort = abort
			}
			w.abortMu.Unlock()
			w.cfg.Logf("%v: stopping", abort)
			cancel()
			ended = true
			return true
		}
		if !eos || !w.cfg.ExitOnEOS {
			return false
		}
		ended = true
		w.eos.Add(1)
		w.endedOne(cancel)
		return true
	})
	if !ended && ctx.Err() == nil { // RedialPolicy gave up on it
		w.gone.Add(1)
		w.endedOne(cancel)
	}
}

// endedOne ends Run once every endpoint has sent end-of-stream or is gone.
func (w *Worker) endedOne(cancel context.CancelFunc) {
	if w.eos.Load()+w.gone.Load() == int64(len(w.eps)) {
		cancel()
	}
}

func (w *Worker) alloc(n int) []byte {
	if b, ok := w.bufs.Get().([]byte); ok && cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n, max(n, 64<<10))
}

// serve reads one connection: eos means the subscriber finished (and
// everything it sent has been handled and acknowledged), abort that it
// croaked.
func (w *Worker) serve(ctx context.Context, ep string, peer *zmqx.Peer, out chan<- inFrame) (eos bool, abort *AbortError) {
	c := &pullConn{ep: ep, peer: peer, ack: make(chan struct{}, 1), drained: make(chan struct{})}
	peer.Coalesce()
	stop := make(chan struct{})
	ackDone := make(chan struct{})
	go func() { defer close(ackDone); w.acknowledge(c, stop) }()
	finish := func() {
		close(stop)
		<-ackDone
	}
	var endReason string
	var endCode byte = 255
	for {
		m, err := readPeer(peer, w.alloc)
		if err != nil {
			// A bbox subscriber counts what it had not had acknowledged as
			// lost (or redelivers it): do not handle it after all. Any
			// other PUSH counts nothing, so what arrived is handled.
			if c.credited.Load() {
				c.gone.Store(true)
			}
			if ctx.Err() == nil {
				w.cfg.Logf("lost %s: %v (reconnecting)", peer.Remote, err)
			}
			finish()
			return false, nil
		}
		if m.cmd {
			continue // nothing but PINGs (answered by the guard) is expected
		}
		if len(m.frames) == 2 && bytes.Equal(m.frames[0], creditMarker) {
			c.credited.Store(true)
			continue
		}
		if len(m.frames) == 2 && bytes.Equal(m.frames[0], endMarker) {
			if code, reason, err := parseEnd(m.frames[1]); err == nil {
				endCode, endReason = code, reason
				if code == endAborted {
					// Stale from here: drop what is queued, stop.
					c.gone.Store(true)
					finish()
					return false, &AbortError{Endpoint: ep, Reason: reason}
				}
			}
			continue
		}
		if len(m.frames) != 1 {
			if n := w.malformed.Add(1); n <= 10 {
				w.cfg.Logf("dropped a %d-frame message from %s (want 1)", len(m.frames), ep)
			}
			continue
		}
		f := m.frames[0]
		if h, _, err := feed.ParseHeader(f); err == nil && h.Flags&feed.FlagEOS != 0 {
			if endCode == endFinished && endReason != "" {
				w.cfg.Logf("%s: %s", ep, endReason)
			}
			// Acknowledge everything before going: the subscriber waits
			// for it to count this worker's records as handled.
			select {
			case out <- inFrame{c: c, eos: true}:
				select {
				case <-c.drained:
				case <-ctx.Done():
				}
			case <-ctx.Done():
			}
			finish()
			return ctx.Err() == nil, nil
		}
		select {
		case out <- inFrame{c: c, buf: f}:
		case <-ctx.Done():
			c.gone.Store(true)
			finish()
			return false, nil
		}
	}
}

// acknowledge is c's only writer: it announces the window, acknowledges
// handled batches (coalesced: one message per wake-up, however many
// batches finished meanwhile) and answers PINGs. Stopping sends a last
// acknowledgement.
func (w *Worker) acknowledge(c *pullConn, stop <-chan struct{}) {
	var sentB uint64
	first := true
	send := func() bool {
		c.mu.Lock()
		cr := credit{window: uint32(w.cfg.Credit), batches: c.handledB, records: c.handledR}
		c.mu.Unlock()
		if cr.batches == sentB && !first {
			return true
		}
		if w.tap != nil && cr.batches > sentB {
			w.tap.Flush() // what is acknowledged is in the tap file first
		}
		if !first && !c.credited.Load() {
			// A plain PUSH never said it speaks credit (a bbox subscriber
			// does, before its first batch): past the opening window it
			// gets no acknowledgements. They are commands it ignores, and
			// one still unread when it closes makes its kernel reset the
			// connection, discarding the batches in flight to us
			// (TestInteropLibzmqPush lost its tail so).
			sentB = cr.batches
			return true
		}
		if c.peer.SendCmd(cmdCredit, cr.marshal()) != nil || c.peer.Flush(5*time.Second) != nil {
			// A bbox subscriber waits for our last acknowledgement before
			// it closes, so failing to write one means it dropped us: what
			// is queued from it is counted lost (or redelivered) there, so
			// do not handle it. Any other PUSH may just have finished.
			if c.credited.Load() {
				c.gone.Store(true)
			}
			return false
		}
		sentB, first = cr.batches, false
		return true
	}
	if !send() {
		return
	}
	for {
		select {
		case <-c.ack:
			if !send() {
				return
			}
		case <-c.peer.Pinged():
			if c.peer.ServicePings() != nil || c.peer.Flush(5*time.Second) != nil {
				return
			}
		case <-stop:
			if !c.gone.Load() {
				send()
			}
			return
		}
	}
}

// WorkerProcStats is a worker process's summary.
type WorkerProcStats struct {
	Records   int64 `json:"records"`
	Batches   int64 `json:"batches"`
	Malformed int64 `json:"frames_malformed"`
	// Discarded counts records received on a connection that then ended
	// without end-of-stream, or from a subscriber that croaked: the
	// subscriber has counted them as lost (or redelivered them), so they
	// are not handled.
	Discarded int64 `json:"records_discarded"`
	EOS       int64 `json:"eos"`
	// Gone counts endpoints given up on (WorkerConfig.EOSWait): their
	// subscriber hung up before its end-of-stream and stayed away.
	Gone int64 `json:"subscribers_gone"`
}

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerProcStats {
	return WorkerProcStats{Records: w.records.Load(), Batches: w.batches.Load(), Malformed: w.malformed.Load(),
		Discarded: w.discarded.Load(), EOS: w.eos.Load(), Gone: w.gone.Load()}
}
