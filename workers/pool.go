package workers

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/fnv1a"
)

// Order says how batches are spread over workers.
type Order int

const (
	// OrderNone sends each batch whole to the least busy worker (round
	// robin, skipping full queues): the cheapest spreading.
	OrderNone Order = iota
	// OrderTopic sends every record of a topic to the same worker, so each
	// topic is handled in sequence order. A batch is split by topic hash.
	OrderTopic
)

// ParseOrder parses "none" or "topic".
func ParseOrder(s string) (Order, error) {
	switch s {
	case "", "none", "batch":
		return OrderNone, nil
	case "topic":
		return OrderTopic, nil
	}
	return 0, fmt.Errorf("order %q: want none or topic", s)
}

// PoolConfig configures an in-process Pool. Zero values are documented
// defaults: the zero config runs two workers of NewSymbolStats, 16
// batches of queue each, batches spread as they come.
type PoolConfig struct {
	// Workers is the number of worker goroutines. 0 means 2.
	Workers int
	// Order is how batches are spread; the zero value is OrderNone.
	Order Order
	// Queue is the number of batches each worker may have waiting. When
	// all are full, Deliver blocks (back-pressure to the subscriber
	// thread). 0 means 16.
	Queue int
	// Work makes every record cost this long, to play a slow subscriber.
	// 0 (or negative) costs nothing.
	Work time.Duration
	// NewHandler builds worker i's handler. nil means NewSymbolStats.
	NewHandler func(id int) Handler
	// Tap, if set, sees every record a worker handles (see Tap). nil
	// writes no tap.
	Tap *Tap
}

// WorkerStats counts one worker. Records is what was handed to it;
// Handled what it confirmed (an in-process worker: what its handler
// returned from; a credit worker: what it acknowledged); Lost what was
// handed and never handled (not redelivered); Redelivered what was sent
// to other workers after this one was dropped.
type WorkerStats struct {
	ID          int    `json:"id"`
	Records     int64  `json:"records"`
	Handled     int64  `json:"handled"`
	Lost        int64  `json:"lost"`
	Redelivered int64  `json:"redelivered,omitempty"`
	Batches     int64  `json:"batches"`
	Peer        string `json:"peer,omitempty"`
	// Mode is how a worker process is served: "credit" (acknowledged),
	// "plain" (a PULL that sends no credit: handled is unknown) or
	// "pending" (not yet negotiated).
	Mode   string `json:"mode,omitempty"`
	Window int    `json:"window,omitempty"`
	// State is connected, negotiating, finished, dropped, disconnected,
	// aborted or protocol error; CloseReason says why it ended.
	State       string `json:"state,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
}

type worker struct {
	id      int
	ch      chan *feed.Batch
	h       Handler
	handed  atomic.Int64
	records atomic.Int64
	batches atomic.Int64
	lost    atomic.Int64
}

// Pool is a set of in-process workers fed by Deliver.
type Pool struct {
	cfg     PoolConfig
	workers []*worker
	rr      atomic.Uint64
	wg      sync.WaitGroup
	mu      sync.RWMutex // Deliver holds it shared; Close exclusively
	closed  bool
	abort   chan struct{}
	aborted atomic.Bool
	once    sync.Once
	// discarded counts records Deliver dropped because the pool had
	// aborted or closed: handed to no worker.
	discarded atomic.Int64
}

// withDefaults fills in the documented zero values.
func (c PoolConfig) withDefaults() PoolConfig {
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.Queue == 0 {
		c.Queue = 16
	}
	if c.NewHandler == nil {
		c.NewHandler = func(int) Handler { return NewSymbolStats() }
	}
	return c
}

// Validate checks c's values (zero values are defaults).
func (c PoolConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Workers < 1 || c.Workers > 4096:
		return fmt.Errorf("%d workers outside [1, 4096]", c.Workers)
	case c.Queue < 1:
		return errors.New("queue must be positive")
	}
	return nil
}

// NewPool starts the workers.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p := &Pool{cfg: cfg, abort: make(chan struct{})}
	for i := 0; i < cfg.Workers; i++ {
		w := &worker{id: i, ch: make(chan *feed.Batch, cfg.Queue), h: cfg.NewHandler(i)}
		p.workers = append(p.workers, w)
		p.wg.Add(1)
		go p.run(w)
	}
	return p, nil
}

func (p *Pool) run(w *worker) {
	defer p.wg.Done()
	for b := range w.ch {
		if p.aborted.Load() || !spend(p.cfg.Work, len(b.Recs), p.abort) {
			w.lost.Add(int64(len(b.Recs))) // stale: the subscriber croaked
			feed.PutBatch(b)
			continue
		}
		if p.cfg.Tap != nil {
			p.cfg.Tap.Write(b.Recs)
		}
		w.h.Handle(b.Recs)
		w.records.Add(int64(len(b.Recs)))
		w.batches.Add(1)
		feed.PutBatch(b)
	}
}

// Deliver hands b to one worker (OrderNone) or splits it by topic
// (OrderTopic). It blocks while the chosen queues are full.
func (p *Pool) Deliver(shard int, b *feed.Batch) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.aborted.Load() {
		p.discarded.Add(int64(len(b.Recs)))
		feed.PutBatch(b)
		return
	}
	n := len(p.workers)
	if p.cfg.Order == OrderTopic && n > 1 {
		parts := make([]*feed.Batch, n)
		for _, r := range b.Recs {
			i := TopicWorker(r.Topic, n)
			if parts[i] == nil {
				parts[i] = feed.GetBatch()
				parts[i].Share(b) // the records alias b's buffer
			}
			parts[i].Recs = append(parts[i].Recs, r)
		}
		feed.PutBatch(b)
		for i, pb := range parts {
			if pb != nil {
				p.put(p.workers[i], pb)
			}
		}
		return
	}
	start := int(p.rr.Add(1) % uint64(n))
	recs := int64(len(b.Recs))
	for k := 0; k < n; k++ {
		w := p.workers[(start+k)%n]
		w.handed.Add(recs) // before the send, so handled never exceeds handed
		select {
		case w.ch <- b:
			return
		default:
			w.handed.Add(-recs)
		}
	}
	p.put(p.workers[start], b)
}

// put queues b for w, blocking while w is full unless the pool aborts.
func (p *Pool) put(w *worker, b *feed.Batch) {
	recs := int64(len(b.Recs))
	w.handed.Add(recs)
	select {
	case w.ch <- b:
	case <-p.abort:
		w.handed.Add(-recs)
		p.discarded.Add(recs)
		feed.PutBatch(b)
	}
}

// Abort discards everything queued and unblocks Deliver: the subscriber
// croaked, so what is queued is stale and must not reach user code. A
// handler already running finishes its batch; Close still waits for it.
func (p *Pool) Abort() {
	p.once.Do(func() {
		p.aborted.Store(true)
		close(p.abort)
	})
}

// TopicWorker is the worker a topic goes to under OrderTopic.
func TopicWorker(topic []byte, n int) int {
	h := fnv1a.Sum32(topic)
	// Mix again so this does not correlate with the partition hash.
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return int(h % uint32(n))
}

// Close lets the workers finish what is queued and waits for them.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for _, w := range p.workers {
		close(w.ch)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Stats returns per-worker counts. Records is what the worker was handed,
// so it includes batches still queued until Close.
func (p *Pool) Stats() []WorkerStats {
	out := make([]WorkerStats, len(p.workers))
	for i, w := range p.workers {
		out[i] = WorkerStats{ID: i, Records: w.handed.Load(), Handled: w.records.Load(), Lost: w.lost.Load(), Batches: w.batches.Load()}
	}
	return out
}

// Handed is the number of records queued to workers.
func (p *Pool) Handed() int64 {
	var n int64
	for _, w := range p.workers {
		n += w.handed.Load()
	}
	return n
}

// Handled is the number of records the workers' handlers were called with.
func (p *Pool) Handled() int64 {
	var n int64
	for _, w := range p.workers {
		n += w.records.Load()
	}
	return n
}

// Lost is the number of records delivered to the pool that no handler
// saw: discarded from the queues by Abort (the subscriber croaked) or
// delivered after Abort or Close. After Close, Handled + Lost equals
// every record delivered.
func (p *Pool) Lost() int64 {
	n := p.discarded.Load()
	for _, w := range p.workers {
		n += w.lost.Load()
	}
	return n
}

// Handlers returns the workers' handlers (read them after Close).
func (p *Pool) Handlers() []Handler {
	out := make([]Handler, len(p.workers))
	for i, w := range p.workers {
		out[i] = w.h
	}
	return out
}

// Queued is the number of batches waiting in worker queues.
func (p *Pool) Queued() int {
	n := 0
	for _, w := range p.workers {
		n += len(w.ch)
	}
	return n
}
