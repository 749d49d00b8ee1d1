package tuning

import (
	"fmt"
	"os"
	"strconv"
	"strings"

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
		opt            int
		want           int
		name, sysctl   string
		procSysPathEnd string
	}{
		{unix.SO_RCVBUF, rcv, "SO_RCVBUF", "net.core.rmem_max", "rmem_max"},
		{unix.SO_SNDBUF, snd, "SO_SNDBUF", "net.core.wmem_max", "wmem_max"},
	} {
		if b.want <= 0 {
			continue
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, b.opt, b.want); err != nil {
			return out, fmt.Errorf("%s=%d: %w", b.name, b.want, err)
		}
		got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, b.opt)
		if err != nil {
			return out, fmt.Errorf("read back %s: %w", b.name, err)
		}
		out = append(out, SockBufResult{Option: b.name, Sysctl: b.sysctl, Requested: b.want, Granted: got / 2,
			Max: readProcInt("/proc/sys/net/core/" + b.procSysPathEnd)})
	}
	return out, nil
}

func readProcInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return v
}
