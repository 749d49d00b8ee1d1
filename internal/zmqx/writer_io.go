package zmqx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// The Writer's write side, owned by its writer goroutine (or by a Push
// writing inline): one batch laid out as iovecs and written with one
// writev, then every frame accounted for.

var pong = []byte{0x04, 5, 4, 'P', 'O', 'N', 'G'} // a ZMTP command frame: PONG, no context

// writeBatch writes the pending PONGs and batch with one writev and
// accounts for every frame: written, or (after a short write) in flight
// and discarded.
func (w *Writer) writeBatch(batch []*Frame) error {
	w.prepare(batch)
	n, err := w.flush(0)
	return w.account(batch, n, err)
}

// prepare lays out the pending PONGs and batch in iov, with ends.
func (w *Writer) prepare(batch []*Frame) {
	for n := w.p.g.takePings(); n > 0; n-- {
		w.appendCopy(pong)
	}
	ends := w.ends[:0]
	for _, f := range batch {
		if f.Prefix != nil {
			w.appendPart(0x01, f.Prefix)
		}
		w.appendPart(0, f.Body)
		ends = append(ends, w.iovLen)
	}
	w.ends = ends
}

// account counts batch after a write of n bytes of iov that ended with
// err: written, or in flight and discarded; a failed write closes.
func (w *Writer) account(batch []*Frame, n int64, err error) error {
	if len(batch) == 0 {
		if err != nil {
			w.fail(err)
		}
		return err
	}
	ends := w.ends
	var done, lost Counts
	cost := 0
	for i, f := range batch {
		if err == nil || int64(ends[i]) <= n {
			done.add(f)
		} else {
			lost.add(f)
		}
		cost += f.Cost()
		f.Unref()
	}
	clear(batch)
	w.mu.Lock()
	w.written.add(done) // under mu with the queue's decrement (see Stats)
	w.qFrames -= len(batch)
	w.qCost -= cost
	w.final.InFlight = w.final.InFlight.Plus(lost)
	// Closed in the same step that frees the space, so a Send waiting for
	// it cannot queue behind a write that has already failed.
	first := err != nil && w.closeLocked(w.classify(err))
	w.space.Broadcast()
	w.mu.Unlock()
	if first {
		w.shut()
	}
	return err
}

// appendPart adds one ZMTP frame (flags 0x01: more parts follow).
func (w *Writer) appendPart(flags byte, body []byte) {
	n := len(body)
	var hdr [9]byte
	w.appendCopy(appendHeader(hdr[:0], flags, n))
	if n <= coalesceThreshold {
		w.appendCopy(body)
		return
	}
	w.iov = append(w.iov, body)
	w.iovLen += n
	w.merge = false
}

// appendCopy copies b into scratch, extending the last iovec when it is
// scratch's tail, so headers and small parts cost no iovec of their own.
func (w *Writer) appendCopy(b []byte) {
	off := len(w.scratch)
	if cap(w.scratch)-off < len(b) {
		// Earlier iovecs keep the old scratch alive until the flush.
		w.scratch = make([]byte, 0, max(4096, 2*cap(w.scratch), len(b)))
		off, w.merge = 0, false
	}
	w.scratch = append(w.scratch, b...)
	if w.merge {
		last := &w.iov[len(w.iov)-1]
		*last = w.scratch[off-len(*last) : len(w.scratch) : len(w.scratch)]
	} else {
		w.iov = append(w.iov, w.scratch[off:len(w.scratch):len(w.scratch)])
		w.merge = true
	}
	w.iovLen += len(b)
}

// flush writes iov, after its first skip bytes (a short Push write's),
// under the deadline and resets it; n is the bytes the kernel took, skip
// included.
func (w *Writer) flush(skip int64) (int64, error) {
	if int64(w.iovLen) <= skip {
		w.resetIOV()
		return skip, nil
	}
	if w.wdl > 0 {
		w.conn.SetWriteDeadline(time.Now().Add(w.wdl))
	}
	w.out = advance(w.iov, skip) // a field, so WriteTo's pointer does not escape a local
	n, err := w.out.WriteTo(w.conn)
	n += skip
	w.resetIOV()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, fmt.Errorf("%w: write blocked longer than %v", ErrStuck, w.wdl)
		}
		return n, err
	}
	return n, nil
}

func (w *Writer) resetIOV() {
	clear(w.iov)
	w.iov, w.out, w.iovLen, w.merge, w.scratch = w.iov[:0], nil, 0, false, w.scratch[:0]
}

// advance drops the first n bytes of b (in place).
func advance(b net.Buffers, n int64) net.Buffers {
	for len(b) > 0 && n >= int64(len(b[0])) {
		n -= int64(len(b[0]))
		b = b[1:]
	}
	if n > 0 {
		b[0] = b[0][n:]
	}
	return b
}

// maxIOV is the most iovecs one writev takes (IOV_MAX on Linux).
const maxIOV = 1024

// tryFlush writes iov with one non-blocking writev on the caller's
// goroutine. It reports the bytes the kernel took and whether that was
// all; iov is reset only when it was (or the write failed).
func (w *Writer) tryFlush() (n int64, all bool, err error) {
	if w.iovLen == 0 {
		return 0, true, nil
	}
	vs := w.iovecs[:0]
	for _, b := range w.iov[:min(len(w.iov), maxIOV)] {
		v := syscall.Iovec{Base: unsafe.SliceData(b)}
		v.SetLen(len(b))
		vs = append(vs, v)
	}
	w.iovecs = vs
	rerr := w.rc.Write(w.wv)
	n, errno := w.wvN, w.wvErr
	clear(vs) // no pointers into frames kept past the write
	switch {
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		// The writer goroutine's last deadline has passed (it is set per
		// write, and this one has none): that goroutine writes it instead.
		return 0, false, nil
	case rerr != nil:
		err = rerr
	case errno == syscall.EAGAIN:
		return 0, false, nil
	case errno != 0:
		err = &net.OpError{Op: "write", Net: w.conn.LocalAddr().Network(), Source: w.conn.LocalAddr(),
			Addr: w.conn.RemoteAddr(), Err: os.NewSyscallError("writev", errno)}
	case n == int64(w.iovLen):
		w.resetIOV()
		return n, true, nil
	default:
		return n, false, nil
	}
	w.resetIOV()
	return 0, false, err
}

// writev is tryFlush's one write of w.iovecs, on the socket's fd.
func (w *Writer) writev(fd uintptr) bool {
	for {
		// Raw: the socket is non-blocking, so the call never parks the
		// thread, and skipping the scheduler's syscall bookkeeping spares
		// a wake-up of its monitor thread per write when the process was
		// idle (measured at 1M records/s: 8% of bbox pub's CPU in sysmon).
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(w.iovecs))), uintptr(len(w.iovecs)))
		if e == syscall.EINTR {
			continue
		}
		w.wvN, w.wvErr = int64(r), e
		if e != 0 {
			w.wvN = 0
		}
		return true // never wait here: the writer goroutine does
	}
}
