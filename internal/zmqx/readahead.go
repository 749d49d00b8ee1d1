package zmqx

import (
	"errors"
	"io"
)

// ReadMem is a reference-counted buffer a lending Peer reads the socket
// into (see Peer.LendReads). The Peer holds one reference on the buffer
// it is reading into and drops it when it moves to another; a receiver
// that keeps lent frames past its next receive holds its own.
type ReadMem interface {
	Bytes() []byte // the whole buffer; its length is what may be used
	Retain()
	Release()
}

// aheadBuf is the guard's read-ahead buffer: what bufio.Reader did for
// it (few system calls for many small frames), plus lending. A lending
// buffer hands data frames out as slices of itself instead of copying
// them into the receiver's memory (a copy of every byte received, 8% of
// bbox sub's CPU at full rate); bytes it has lent are never written
// again, so where bufio would move unread bytes to the front it moves
// them into a fresh buffer instead. One goroutine uses it.
type aheadBuf struct {
	src  io.Reader
	b    []byte
	r, w int // b[r:w] is read and not yet consumed
	err  error
	size int // the buffer size to come back to after a larger message

	mem  func(n int) ReadMem // lending when set
	cur  ReadMem             // holds b while lending, one reference ours
	lent int                 // b[:lent] was lent out: never overwrite it
}

func newAheadBuf(src io.Reader, size int) *aheadBuf {
	return &aheadBuf{src: src, b: make([]byte, size), size: size}
}

// Buffered is the number of bytes read and not yet consumed.
func (a *aheadBuf) Buffered() int { return a.w - a.r }

// buffered is those bytes, valid until the next read.
func (a *aheadBuf) buffered() []byte { return a.b[a.r:a.w] }

// maxEmptyReads is how many reads returning nothing and no error are
// taken before giving up, as bufio does.
const maxEmptyReads = 100

// fill reads until at least need bytes are buffered, making room first
// (need may exceed the buffer: a larger one is taken).
func (a *aheadBuf) fill(need int) error {
	for a.w-a.r < need {
		if a.err != nil {
			return a.readErr()
		}
		a.room(need)
		for i := 0; ; i++ {
			n, err := a.src.Read(a.b[a.w:])
			if n < 0 || n > len(a.b)-a.w {
				panic("zmqx: reader returned an impossible count")
			}
			a.w += n
			if err != nil {
				a.err = err
				break
			}
			if n > 0 {
				break
			}
			if i >= maxEmptyReads {
				a.err = io.ErrNoProgress
				break
			}
		}
	}
	return nil
}

// readErr returns the pending read error and clears it, as bufio does:
// a timeout is reported once and the next read tries again.
func (a *aheadBuf) readErr() error {
	err := a.err
	a.err = nil
	return err
}

// minTail is the least free space worth reading into at the end of a
// buffer that has lent bytes, as a share of the buffer: less and the next
// read goes into a fresh buffer.
const minTail = 8

// room makes space after w for a read that brings the buffered bytes to
// need: in place by moving unread bytes to the front (nothing lent), at
// the end (bytes lent, enough left), or in a new buffer.
func (a *aheadBuf) room(need int) {
	free, unread := len(a.b)-a.w, a.w-a.r
	switch {
	case a.lent == 0 && need <= len(a.b):
		if a.r > 0 {
			a.w = copy(a.b, a.b[a.r:a.w])
			a.r = 0
		}
	case a.lent > 0 && free >= len(a.b)/minTail && unread+free >= need:
		// Read into the end, after what was lent.
	default:
		a.move(max(need, a.size))
	}
}

// move puts the unread bytes at the front of a new buffer of n bytes
// (from mem when lending).
func (a *aheadBuf) move(n int) {
	var nb []byte
	var cur ReadMem
	if a.mem != nil {
		cur = a.mem(n)
		nb = cur.Bytes()
	} else {
		nb = make([]byte, n)
	}
	if len(nb) < n {
		panic("zmqx: ReadMem shorter than asked for")
	}
	a.w = copy(nb, a.b[a.r:a.w])
	a.r, a.b, a.lent = 0, nb, 0
	if a.cur != nil {
		a.cur.Release()
	}
	a.cur = cur
}

// lendFrom makes a lend from buffers from mem (not nil: endLending
// stops), moving what is buffered into the first one.
func (a *aheadBuf) lendFrom(mem func(n int) ReadMem) {
	a.mem = mem
	a.move(a.size)
}

// endLending stops lending: unread bytes move to a buffer of our own,
// and the reference to the lent-from one is dropped.
func (a *aheadBuf) endLending() {
	a.mem = nil
	switch {
	case a.cur == nil:
	case a.r < a.w:
		a.move(max(a.w-a.r, a.size))
	default:
		a.cur.Release()
		a.cur, a.b, a.r, a.w, a.lent = nil, nil, 0, 0, 0
	}
}

// Peek returns the next n bytes without consuming them.
func (a *aheadBuf) Peek(n int) ([]byte, error) {
	if err := a.fill(n); err != nil {
		return a.b[a.r:a.w], err
	}
	return a.b[a.r : a.r+n], nil
}

// Discard consumes n bytes, reading them as needed.
func (a *aheadBuf) Discard(n int) (int, error) {
	done := 0
	for done < n {
		if a.r == a.w {
			if err := a.fill(1); err != nil {
				return done, err
			}
		}
		k := min(n-done, a.w-a.r)
		a.r += k
		done += k
	}
	return done, nil
}

// Read reads up to len(p) bytes: from the buffer, or for a large read
// into an empty buffer straight from the source.
func (a *aheadBuf) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if a.r == a.w {
		if a.err != nil {
			return 0, a.readErr()
		}
		if len(p) >= len(a.b) {
			n, err := a.src.Read(p)
			if n == 0 && err == nil {
				err = io.ErrNoProgress // a reader that returns nothing would loop its callers
			}
			return n, err
		}
		if err := a.fill(1); err != nil {
			return 0, err
		}
	}
	n := copy(p, a.b[a.r:a.w])
	a.r += n
	return n, nil
}

// lend consumes the next n bytes, already buffered, and returns them as a
// slice of the buffer that is never written again.
func (a *aheadBuf) lend(n int) []byte {
	if a.w-a.r < n {
		panic("zmqx: lend of bytes not buffered")
	}
	s := a.b[a.r : a.r+n : a.r+n]
	a.r += n
	a.lent = a.r
	return s
}

// errNotLending is RecvLent on a Peer without LendReads.
var errNotLending = errors.New("zmqx: RecvLent without LendReads")
