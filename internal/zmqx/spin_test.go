package zmqx

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// tcpPair is a connected loopback pair, closed at the test's end.
func tcpPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func threadReader(t *testing.T, c net.Conn) *spinReader {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return newSpinReader(rc, 3, 2, true)
}

type readResult struct {
	n   int
	err error
	b   []byte
}

func readAsync(r io.Reader) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		runtime.LockOSThread() // as a subscriber thread is
		defer runtime.UnlockOSThread()
		b := make([]byte, 64)
		n, err := r.Read(b)
		ch <- readResult{n, err, b[:n]}
	}()
	return ch
}

func waitRead(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("read did not return")
	}
	return readResult{}
}

// TestThreadReadsWaitInKernel: a read that waits longer than one kernel
// poll still returns the data when it comes; the peer's close is io.EOF.
func TestThreadReadsWaitInKernel(t *testing.T) {
	a, b := tcpPair(t)
	r := threadReader(t, b)
	ch := readAsync(r)
	time.Sleep(3 * threadPoll) // the reader re-enters its wait at least twice
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := waitRead(t, ch); got.err != nil || string(got.b) != "hello" {
		t.Fatalf("read %q, %v; want hello", got.b, got.err)
	}
	a.Close()
	if got := waitRead(t, readAsync(r)); got.err != io.EOF {
		t.Fatalf("after the peer closed: %d bytes, %v; want io.EOF", got.n, got.err)
	}
}

// TestThreadReadsSeeClose: closing the connection ends a read that waits
// in the kernel (Close waits for it, so the wait must be bounded).
func TestThreadReadsSeeClose(t *testing.T) {
	_, b := tcpPair(t)
	ch := readAsync(threadReader(t, b))
	time.Sleep(threadPoll / 2)
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	got := waitRead(t, ch)
	if !errors.Is(got.err, net.ErrClosed) {
		t.Fatalf("read after Close: %v; want net.ErrClosed", got.err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}

// TestThreadReadsSeeDeadline: a read deadline ends a read waiting in the
// kernel with the deadline's error.
func TestThreadReadsSeeDeadline(t *testing.T) {
	_, b := tcpPair(t)
	b.SetReadDeadline(time.Now().Add(threadPoll / 2))
	got := waitRead(t, readAsync(threadReader(t, b)))
	if !errors.Is(got.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v; want a timeout", got.err)
	}
}

// TestSpinReadsKeepReadAhead: switching a Peer to spinning reads loses
// none of what its read-ahead buffer already held, and reads on from the
// socket after it.
func TestSpinReadsKeepReadAhead(t *testing.T) {
	a, b := tcpPair(t)
	g := newGuard(b, &Options{})
	if _, err := a.Write([]byte("buffered ")); err != nil {
		t.Fatal(err)
	}
	if _, err := g.br.Peek(len("buffered ")); err != nil { // into the read-ahead
		t.Fatal(err)
	}
	p := &Peer{g: g}
	p.SpinReads(3, 2)
	if _, err := a.Write([]byte("then the socket")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(g.br)
	if err != nil || string(got) != "buffered then the socket" {
		t.Fatalf("read %q, %v; want %q", got, err, "buffered then the socket")
	}
}

// A read that finds data allocates nothing, whatever the strategy: it is
// every read of every subscriber thread.
func TestSpinReaderReadAllocatesNothing(t *testing.T) {
	a, b := tcpPair(t)
	rc, err := b.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	for _, r := range []*spinReader{newSpinReader(rc, 0, 0, false), newSpinReader(rc, 3, 2, true)} {
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := a.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(r, buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("spin %d yield %d block %v: %.1f allocations per write and read", r.spin, r.yield, r.block, allocs)
		}
	}
}
