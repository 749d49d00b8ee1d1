package zmqx

import (
	"bufio"
	"io"
	"syscall"
)

// SpinReads makes p's reads poll the socket before parking (an idle
// strategy for a thread pinned to a dedicated core): a read that finds no
// data retries spin times, then yields the CPU (sched_yield) yield times,
// then waits in Go's poller as usual. Deadlines and Close still end a
// read. Call it from the reading goroutine, between messages. A
// connection that is not a socket keeps its ordinary reads.
func (p *Peer) SpinReads(spin, yield int) {
	sc, ok := p.g.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	// What the old reader has buffered is read first.
	pre, _ := p.g.br.Peek(p.g.br.Buffered())
	sr := &spinReader{pre: append([]byte(nil), pre...), rc: rc, spin: spin, yield: yield}
	p.g.br = bufio.NewReaderSize(sr, p.g.br.Size())
}

type spinReader struct {
	pre         []byte
	rc          syscall.RawConn
	spin, yield int
}

func (r *spinReader) Read(b []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(b, r.pre)
		r.pre = r.pre[n:]
		return n, nil
	}
	var n int
	var err error
	tries := 0
	rerr := r.rc.Read(func(fd uintptr) bool {
		for {
			n, err = syscall.Read(int(fd), b)
			switch {
			case err == syscall.EINTR:
				continue
			case err != syscall.EAGAIN:
				return true
			}
			tries++
			switch {
			case tries <= r.spin:
			case tries <= r.spin+r.yield:
				syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
			default:
				tries = 0
				return false // park until the poller says readable
			}
		}
	})
	switch {
	case rerr != nil:
		return 0, rerr
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
