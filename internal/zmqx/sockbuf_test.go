package zmqx

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The kernel caps SO_RCVBUF at net.core.rmem_max and reports the granted
// size doubled; a request just over the cap must count as capped, one at
// the cap must not.
func TestSockBufCapped(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skipf("no /proc/sys/net/core/rmem_max: %v", err)
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	f := func(want int, capped int64) {
		t.Helper()
		var c Counters
		ep, _ := ParseEndpoint("tcp://127.0.0.1:0")
		l, err := Listen(ep, Options{RcvBuf: want, Stats: &c})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if got := c.SockBufCapped.Load(); got != capped {
			t.Errorf("SO_RCVBUF %d with rmem_max %d: SockBufCapped = %d, want %d", want, max, got, capped)
		}
	}
	f(max, 0)
	f(max+max/2, 1) // granted max, reported 2*max: the old check (reported < want) missed this
	f(4*max, 1)
}
