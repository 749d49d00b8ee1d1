package feed

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Source yields records in publication order.
//
// Next appends at least one record to b (after the caller's b.Reset) and
// returns nil, or returns io.EOF when the source is exhausted, or the
// context's error. Records appended to b may alias storage that the source
// reuses on the next call, so the caller must be done with them (the
// publisher copies them into frames) before calling Next again.
type Source interface {
	Next(ctx context.Context, b *Batch) error
}

// Pender is implemented by sources that can tell whether Next would return
// at once. The publisher flushes its partly filled frames whenever the
// source has nothing more waiting ("smart batching"): a busy feed gets big
// frames, a quiet one pays no linger.
type Pender interface {
	Pending() bool
}

// Batch is a reusable list of records plus an arena for their bytes.
// The zero value is ready to use.
type Batch struct {
	Recs  []Record
	arena []byte
	// Buf, when set, is the pooled buffer Recs alias; PutBatch releases
	// it. A batch made from another's records must Share its buffer.
	Buf *Buffer
}

// Reset empties b, keeping its storage.
func (b *Batch) Reset() {
	clear(b.Recs) // drop references to old frames so the GC can free them
	b.Recs = b.Recs[:0]
	b.arena = b.arena[:0]
}

// Len is the number of records in b.
func (b *Batch) Len() int { return len(b.Recs) }

// Add appends a record and returns it for the caller to fill in.
func (b *Batch) Add() *Record {
	if len(b.Recs) < cap(b.Recs) {
		b.Recs = b.Recs[:len(b.Recs)+1]
		b.Recs[len(b.Recs)-1] = Record{}
	} else {
		b.Recs = append(b.Recs, Record{})
	}
	return &b.Recs[len(b.Recs)-1]
}

// Bytes returns n bytes of b's arena for a record's payload or topic.
// The returned slice stays valid until Reset, even if the arena grows.
func (b *Batch) Bytes(n int) []byte {
	if cap(b.arena)-len(b.arena) < n {
		// A fresh arena: slices handed out earlier keep the old one alive.
		b.arena = make([]byte, 0, max(2*cap(b.arena), n, 64<<10))
	}
	off := len(b.arena)
	b.arena = b.arena[:off+n]
	return b.arena[off : off+n : off+n]
}

// Pacer releases records at a fixed rate against the wall clock. It tells
// the caller how many records are due and when record i was scheduled, so
// latency can be measured from the schedule rather than from a send that
// a stall delayed (coordinated omission).
//
// The zero Pacer is unpaced: everything is always due.
type Pacer struct {
	Rate  float64   // records per second; 0 or negative means as fast as possible
	start time.Time // schedule origin, set by Start
	sent  int64
}

// Start anchors the schedule at t.
func (p *Pacer) Start(t time.Time) { p.start, p.sent = t, 0 }

// Due returns how many records may be sent at now, capped at max, and
// the wait until the next one is due when none is.
func (p *Pacer) Due(now time.Time, max int) (int, time.Duration) {
	if p.Rate <= 0 {
		return max, 0
	}
	el := now.Sub(p.start)
	due := int64(el.Seconds()*p.Rate) + 1 - p.sent
	if due <= 0 {
		next := p.start.Add(time.Duration(float64(p.sent) / p.Rate * 1e9))
		return 0, next.Sub(now)
	}
	if due > int64(max) {
		due = int64(max)
	}
	return int(due), 0
}

// Scheduled returns the scheduled time of the i-th record counted from the
// start (0-based) in ns since the Unix epoch.
func (p *Pacer) Scheduled(i int64) int64 {
	if p.Rate <= 0 {
		return 0
	}
	return p.start.UnixNano() + int64(float64(i)/p.Rate*1e9)
}

// Sent records that n more records went out.
func (p *Pacer) Sent(n int) { p.sent += int64(n) }

// Count is the number of records sent since Start.
func (p *Pacer) Count() int64 { return p.sent }

// Pending reports whether a record is due at now.
func (p *Pacer) Pending(now time.Time) bool {
	n, _ := p.Due(now, 1)
	return n > 0
}

var batchPool = sync.Pool{New: func() any { return &Batch{Recs: make([]Record, 0, 1024)} }}

// GetBatch returns an empty Batch from a shared pool. Subscribers use it
// to hand decoded frames to workers without allocating per frame.
func GetBatch() *Batch { return batchPool.Get().(*Batch) }

// PutBatch resets b, releases its buffer and returns it to the pool; b
// (and every record that aliased its buffer) must not be used after.
func PutBatch(b *Batch) {
	if b.Buf != nil {
		b.Buf.Release()
		b.Buf = nil
	}
	b.Reset()
	batchPool.Put(b)
}

// Share makes b hold a reference to src's buffer, for a batch built from
// src's records (a split by topic) that outlives PutBatch(src).
func (b *Batch) Share(src *Batch) {
	if src.Buf != nil && b.Buf != src.Buf {
		if b.Buf != nil {
			b.Buf.Release()
		}
		src.Buf.Retain()
		b.Buf = src.Buf
	}
}

// Buffer is a reference-counted, pooled byte buffer: a subscriber
// thread's read-ahead, whose received frames decoded records alias,
// recycled when the last batch holding it is put back. Receiving into pooled buffers instead of a fresh allocation per
// frame keeps the garbage collector out of the hot path (measured: about
// a quarter of a subscriber's CPU at 8 M records/s went to GC).
// Retain and Release are safe for concurrent use.
type Buffer struct {
	B    []byte
	refs atomic.Int32
}

var bufferPool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 64<<10+512)} }}

// GetBuffer returns a buffer of length n with one reference.
func GetBuffer(n int) *Buffer {
	f := bufferPool.Get().(*Buffer)
	if cap(f.B) < n {
		f.B = make([]byte, n)
	}
	f.B = f.B[:n]
	f.refs.Store(1)
	return f
}

// Bytes returns B (a subscriber's read-ahead buffer is a Buffer).
func (f *Buffer) Bytes() []byte { return f.B }

// Retain adds a reference.
func (f *Buffer) Retain() { f.refs.Add(1) }

// Release drops a reference; the last one recycles the buffer.
func (f *Buffer) Release() {
	switch n := f.refs.Add(-1); {
	case n == 0:
		bufferPool.Put(f)
	case n < 0:
		panic("feed: Buffer released more often than retained")
	}
}
