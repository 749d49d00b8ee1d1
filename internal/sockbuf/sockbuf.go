// Package sockbuf owns asking the kernel for a socket buffer size and
// reading back what it granted, for the ZMTP connection layer (which
// counts capped requests), for tuning (which probes and warns before
// traffic flows) and for the MoldUDP64 lines (which force past the cap).
// Its functions are stateless and safe for concurrent use.
package sockbuf

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Buf is one of a socket's two buffers.
type Buf struct {
	Opt    int    // syscall.SO_RCVBUF or syscall.SO_SNDBUF
	Name   string // "SO_RCVBUF" or "SO_SNDBUF"
	Sysctl string // the kernel's cap: "net.core.rmem_max" or "net.core.wmem_max"
}

// Rcv and Snd are the receive and send buffers.
var (
	Rcv = Buf{syscall.SO_RCVBUF, "SO_RCVBUF", "net.core.rmem_max"}
	Snd = Buf{syscall.SO_SNDBUF, "SO_SNDBUF", "net.core.wmem_max"}
)

// force is the option that asks past the sysctl cap (root only).
var force = map[int]int{syscall.SO_RCVBUF: syscall.SO_RCVBUFFORCE, syscall.SO_SNDBUF: syscall.SO_SNDBUFFORCE}

// Set asks for want bytes of b on fd and returns the usable bytes the
// kernel granted: Linux caps the request at the sysctl and reports it
// doubled (half is bookkeeping), so the report is halved. Granted below
// want means capped. Errors read "SO_RCVBUF=N: why" or "read back
// SO_RCVBUF: why"; callers add where.
func Set(fd int, b Buf, want int) (granted int, err error) {
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, b.Opt, want); err != nil {
		return 0, fmt.Errorf("%s=%d: %w", b.Name, want, err)
	}
	got, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, b.Opt)
	if err != nil {
		return 0, fmt.Errorf("read back %s: %w", b.Name, err)
	}
	return got / 2, nil
}

// SetForce is Set, then, if the kernel capped the request, the same
// request past the cap (SO_RCVBUFFORCE, as root: as feed handlers do for
// a multicast line, where a buffer is what rides out a stall). Without
// the privilege the capped grant stands; the error is only Set's.
func SetForce(fd int, b Buf, want int) (granted int, err error) {
	granted, err = Set(fd, b, want)
	if err != nil || granted >= want {
		return granted, err
	}
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, force[b.Opt], want) != nil {
		return granted, nil
	}
	if got, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, b.Opt); err == nil {
		granted = got / 2
	}
	return granted, nil
}

// Max is b's sysctl cap in bytes, -1 if it cannot be read.
func (b Buf) Max() int {
	raw, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(b.Sysctl, ".", "/"))
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return -1
	}
	return v
}
