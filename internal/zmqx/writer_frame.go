package zmqx

import (
	"sync/atomic"
)

// The frames a Writer queues, and the counts it keeps of them.

// Frame is one ZMTP message of one or two parts (an optional Prefix, then
// Body), shared by every Writer it is queued on and released when the last
// one is done with it.
type Frame struct {
	// Prefix is the first part (a subscription prefix); nil sends a
	// one-part message.
	Prefix []byte
	// Body is the last part.
	Body []byte
	// Records is how many records Body carries, for the counters.
	Records int

	refs    atomic.Int32
	release func()
}

// NewFrame returns a frame holding one reference (the caller's) that is
// left to the garbage collector when released.
func NewFrame(prefix, body []byte, records int) *Frame {
	f := &Frame{Prefix: prefix, Body: body, Records: records}
	f.refs.Store(1)
	return f
}

// Init readies a recycled frame: one reference (the caller's), and release
// called when the last reference is dropped (to put it back in a pool).
func (f *Frame) Init(release func()) {
	f.release = release
	f.refs.Store(1)
}

// Ref takes another reference.
func (f *Frame) Ref() { f.refs.Add(1) }

// Unref drops a reference; the last one releases the frame.
func (f *Frame) Unref() {
	switch n := f.refs.Add(-1); {
	case n == 0:
		if f.release != nil {
			f.release()
		}
	case n < 0:
		panic("zmqx: Frame released more often than referenced")
	}
}

// Len is the frame's payload bytes (both parts, without ZMTP headers).
func (f *Frame) Len() int { return len(f.Prefix) + len(f.Body) }

// Cost is the memory a queued frame holds, which MaxBytes bounds (and the
// publisher's rewind window): the capacity of its body, so a small frame
// in a big pooled buffer is charged for the buffer, plus FrameOverhead.
func (f *Frame) Cost() int { return cap(f.Body) + FrameOverhead }

// FrameOverhead is what a frame costs beyond its body: its struct, the
// pool's closure and the queue and window entries that hold it (~200
// bytes measured). At low rates frames carry a few records each, and a
// bound that counted bodies alone let a 256 MiB window of 600-byte frames
// take ~330 MiB.
const FrameOverhead = 192

// Counts are frames, records and payload bytes.
type Counts struct {
	Frames  int64 `json:"frames"`
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"`
}

func (c *Counts) add(f *Frame) {
	c.Frames++
	c.Records += int64(f.Records)
	c.Bytes += int64(f.Len())
}

// Plus returns c + o.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Frames + o.Frames, c.Records + o.Records, c.Bytes + o.Bytes}
}

type atomicCounts struct{ frames, records, bytes atomic.Int64 }

func (a *atomicCounts) add(c Counts) {
	if c.Frames != 0 {
		a.frames.Add(c.Frames)
		a.records.Add(c.Records)
		a.bytes.Add(c.Bytes)
	}
}

func (a *atomicCounts) load() Counts {
	return Counts{a.frames.Load(), a.records.Load(), a.bytes.Load()}
}
