package tuning

import (
	"fmt"
	"strconv"

	"github.com/bbox-dev/bbox/internal/sockbuf"
	"golang.org/x/sys/unix"
)

// SockBufResult is what the kernel gave a TCP socket for a requested
// SO_RCVBUF or SO_SNDBUF.
type SockBufResult struct {
	Option    string // "SO_RCVBUF" or "SO_SNDBUF"
	Sysctl    string // the cap: "net.core.rmem_max" or "net.core.wmem_max"
	Requested int
	Granted   int // usable bytes: what getsockopt reports, halved (Linux doubles it for bookkeeping)
	Max       int // the sysctl's value, -1 if unreadable
}

// Capped reports whether the kernel gave less than was asked for.
func (r SockBufResult) Capped() bool { return r.Granted < r.Requested }

// Warning says what happened and which sysctl to raise; "" if not capped.
func (r SockBufResult) Warning(flag string) string {
	if !r.Capped() {
		return ""
	}
	max := "unreadable"
	if r.Max >= 0 {
		max = strconv.Itoa(r.Max)
	}
	return fmt.Sprintf("%s %d: the kernel capped %s at %d bytes (%s = %s); raise it with `sysctl -w %s=%d` (bbox tune --apply does)",
		flag, r.Requested, r.Option, r.Granted, r.Sysctl, max, r.Sysctl, r.Requested)
}

// ProbeSockBufs asks a throwaway TCP socket for the given buffer sizes
// (0 skips one) and reports what the kernel granted: the same thing every
// bbox socket will get, so a cap can be reported before traffic flows.
func ProbeSockBufs(rcv, snd int) ([]SockBufResult, error) {
	var out []SockBufResult
	if rcv <= 0 && snd <= 0 {
		return nil, nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("probe socket buffers: %w", err)
	}
	defer unix.Close(fd)
	for _, b := range []struct {
		buf  sockbuf.Buf
		want int
	}{{sockbuf.Rcv, rcv}, {sockbuf.Snd, snd}} {
		if b.want <= 0 {
			continue
		}
		got, err := sockbuf.Set(fd, b.buf, b.want)
		if err != nil {
			return out, err
		}
		out = append(out, SockBufResult{Option: b.buf.Name, Sysctl: b.buf.Sysctl, Requested: b.want, Granted: got, Max: b.buf.Max()})
	}
	return out, nil
}
