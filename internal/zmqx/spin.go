package zmqx

import (
	"io"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SpinReads makes p's reads poll the socket before parking (an idle
// strategy for a thread pinned to a dedicated core): a read that finds no
// data retries spin times, then yields the CPU (sched_yield) yield times,
// then waits in Go's poller as usual. Deadlines and Close still end a
// read. Call it from the reading goroutine, between messages. A
// connection that is not a socket keeps its ordinary reads.
func (p *Peer) SpinReads(spin, yield int) { p.idleReads(spin, yield, false) }

// ThreadReads is SpinReads for a goroutine locked to its OS thread (a
// pinned subscriber thread): once spinning and yielding find nothing, the
// thread waits for data in the kernel (poll(2)) instead of in Go's poller.
// A locked goroutine parked in the poller costs two thread wake-ups per
// read: the poller's thread is woken, then hands the goroutine to its own
// thread (measured at 1M records/s: 17% of the subscriber's CPU in
// stoplockedm/startlockedm); waiting in the kernel is one. Close and
// deadlines take effect within threadPoll.
func (p *Peer) ThreadReads(spin, yield int) { p.idleReads(spin, yield, true) }

// threadPoll bounds one wait in the kernel, so that Close (which waits for
// a read in progress) and deadlines are seen that often on a quiet feed.
const threadPoll = 20 * time.Millisecond

func (p *Peer) idleReads(spin, yield int, block bool) {
	p.g.readThrough(func(rc syscall.RawConn) io.Reader { return newSpinReader(rc, spin, yield, block) })
}

func newSpinReader(rc syscall.RawConn, spin, yield int, block bool) *spinReader {
	r := &spinReader{rc: rc, spin: spin, yield: yield, block: block}
	r.fn = r.readFD
	return r
}

// spinReader reads the socket with an idle strategy (see SpinReads).
type spinReader struct {
	rc          syscall.RawConn
	spin, yield int
	block       bool

	// One Read's state, kept here and read by fn, which is bound once:
	// a closure per Read would cost five allocations on every read of
	// every subscriber thread.
	fn    func(fd uintptr) bool
	buf   []byte
	n     int
	err   error
	tries int
	again bool
}

func (r *spinReader) Read(b []byte) (int, error) {
	r.buf, r.tries = b, 0
	defer func() { r.buf = nil }() // keep no reference to the caller's buffer
	for {
		r.again = false
		rerr := r.rc.Read(r.fn)
		if !r.again || rerr != nil {
			switch {
			case rerr != nil:
				return 0, rerr
			case r.err != nil:
				return 0, r.err
			case r.n == 0:
				return 0, io.EOF
			}
			return r.n, nil
		}
	}
}

// readFD is one rc.Read callback: read, and on no data spin, yield, poll
// or park as the strategy says.
func (r *spinReader) readFD(fd uintptr) bool {
	for {
		r.n, r.err = rawRead(fd, r.buf)
		switch {
		case r.err == syscall.EINTR:
			continue
		case r.err != syscall.EAGAIN:
			return true
		}
		r.tries++
		switch {
		case r.tries <= r.spin:
		case r.tries <= r.spin+r.yield:
			syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
		case r.block:
			fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			k, perr := unix.Poll(fds[:], int(threadPoll/time.Millisecond))
			if perr == nil && k == 0 {
				// Nothing for a while: step out so that rc.Read
				// looks at Close and deadlines, then wait again.
				r.again = true
				return true
			}
			// Readable, hung up, or interrupted: the read says which.
		default:
			r.tries = 0
			return false // park until the poller says readable
		}
	}
}

// rawRead is read(2) on a non-blocking socket without the scheduler's
// syscall bookkeeping: it never blocks, and entering a syscall the
// runtime's way wakes its monitor thread (sysmon) whenever the process
// was idle, which at a fixed rate is every read (measured at 1M
// records/s: 20% of bbox sub's CPU in sysmon).
func rawRead(fd uintptr, b []byte) (int, error) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(unsafe.SliceData(b))
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(p), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
