package shard

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// rewind is a publisher's rewind window: the data frames it has sent, per
// partition, in send order, held by reference (the frames are already
// reference-counted and shared with the subscribers' writers, so holding
// one costs no copy). Its memory is bounded by max, counted as the frames'
// Cost (buffer capacity, what a frame really pins); the oldest frame of
// the whole publisher goes first. The frame just added is never evicted,
// so a window smaller than a frame still holds the latest one.
//
// add is called by the publisher (under its lock); lookups come from the
// recovery endpoints' goroutines. Both take mu, briefly: a lookup only
// takes references under it and writes after releasing it.
type rewind struct {
	max int64

	mu    sync.Mutex
	used  int64
	parts []rewPart
	order ring32 // partition of every held frame, oldest first

	frames, evicted atomic.Int64
}

type rewEntry struct {
	first uint64 // sequence of the frame's first record
	n     uint64 // records
	f     *frame
}

type rewPart struct {
	q    []rewEntry // held frames, oldest first, from head
	head int
	next uint64 // the next sequence the partition will use
}

func newRewind(max int64, partitions int) *rewind {
	w := &rewind{max: max, parts: make([]rewPart, partitions)}
	for i := range w.parts {
		w.parts[i].next = 1
	}
	return w
}

// add holds a reference to f, whose records are first..first+Records-1 of
// partition part, and evicts the oldest frames over the bound.
func (w *rewind) add(part uint32, first uint64, f *frame) {
	f.Ref()
	w.mu.Lock()
	p := &w.parts[part]
	p.q = append(p.q, rewEntry{first: first, n: uint64(f.Records), f: f})
	p.next = first + uint64(f.Records)
	w.order.push(part)
	w.used += int64(f.Cost())
	w.frames.Add(1)
	for w.used > w.max {
		op, ok := w.order.peek()
		if !ok {
			break
		}
		q := &w.parts[op]
		if len(q.q)-q.head <= 1 && op == part {
			break // never evict the frame just added
		}
		w.order.pop()
		e := q.q[q.head]
		q.q[q.head] = rewEntry{}
		q.head++
		if q.head > 64 && q.head*2 > len(q.q) {
			q.q = append(q.q[:0], q.q[q.head:]...)
			q.head = 0
		}
		w.used -= int64(e.f.Cost())
		w.frames.Add(-1)
		w.evicted.Add(1)
		e.f.Unref()
	}
	w.mu.Unlock()
}

// span reports the partition's oldest held sequence (0 if none) and the
// next sequence it will use.
func (w *rewind) span(part uint32) (first, next uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := &w.parts[part]
	if p.head < len(p.q) {
		first = p.q[p.head].first
	}
	return first, p.next
}

// lookup takes a reference to every held frame of part that carries a
// record in [from, to), in order, stopping once the frames taken carry
// maxBytes. It returns them (the caller releases each with Unref), the
// oldest held sequence (0 if none) and the next sequence.
func (w *rewind) lookup(part uint32, from, to uint64, maxBytes int) (fs []*frame, first, next uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := &w.parts[part]
	q := p.q[p.head:]
	next = p.next
	if len(q) == 0 {
		return nil, 0, next
	}
	first = q[0].first
	// The first frame whose records end after from.
	i := sort.Search(len(q), func(i int) bool { return q[i].first+q[i].n > from })
	bytes := 0
	for ; i < len(q) && q[i].first < to && bytes < maxBytes; i++ {
		q[i].f.Ref()
		fs = append(fs, q[i].f)
		bytes += q[i].f.Len()
	}
	return fs, first, next
}

// stats returns the bytes and frames held.
func (w *rewind) stats() (bytes, frames int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.used, w.frames.Load()
}

// release drops every reference the window holds (at Close); stats
// still report what it held.
func (w *rewind) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.parts {
		p := &w.parts[i]
		for _, e := range p.q[p.head:] {
			e.f.Unref()
		}
		p.q, p.head = nil, 0
	}
	w.order = ring32{}
	// used and frames keep what was held at the end, for the summary.
}

// ring32 is a FIFO of partition numbers.
type ring32 struct {
	b          []uint32
	head, size int
}

func (r *ring32) push(v uint32) {
	if r.size == len(r.b) {
		nb := make([]uint32, max(64, 2*len(r.b)))
		for i := 0; i < r.size; i++ {
			nb[i] = r.b[(r.head+i)%len(r.b)]
		}
		r.b, r.head = nb, 0
	}
	r.b[(r.head+r.size)%len(r.b)] = v
	r.size++
}

func (r *ring32) peek() (uint32, bool) {
	if r.size == 0 {
		return 0, false
	}
	return r.b[r.head], true
}

func (r *ring32) pop() {
	r.head = (r.head + 1) % len(r.b)
	r.size--
}

// A reply frame wraps a held frame's body with its own header part and
// keeps the held frame alive until every writer is done with it.
func replyFrame(hdr []byte, f *frame) *zmqx.Frame {
	rf := &zmqx.Frame{Prefix: hdr, Body: f.Body, Records: f.Records}
	rf.Init(f.Unref) // the reference lookup took
	return rf
}

// DefaultRewind is the rewind window's default size: at 100-byte records
// in full frames, about 2.5 million records (25 s at 100,000 records/s).
const DefaultRewind = 256 << 20

// DefaultRecoveryEndpoint is the recovery endpoint that goes with a
// shard's PUB endpoint: the same host (and device) at the port plus 1000
// (port 0 stays 0: any free port), or for ipc://PATH, ipc://PATH.recovery.
func DefaultRecoveryEndpoint(pub string) (string, error) {
	ep, err := zmqx.ParseEndpoint(pub)
	if err != nil {
		return "", err
	}
	if ep.Network == "unix" {
		return pub + ".recovery", nil
	}
	i := strings.LastIndexByte(pub, ':')
	port, err := strconv.Atoi(pub[i+1:])
	if i < 0 || err != nil {
		return "", fmt.Errorf("endpoint %s: no port to derive the recovery endpoint from", pub)
	}
	if port == 0 {
		return pub, nil
	}
	if port+1000 > 65535 {
		return "", fmt.Errorf("endpoint %s: port %d + 1000 is past 65535: give the recovery endpoint explicitly", pub, port)
	}
	return pub[:i+1] + strconv.Itoa(port+1000), nil
}
