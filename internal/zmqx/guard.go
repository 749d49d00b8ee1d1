package zmqx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

const greetingLen = 64 // ZMTP 3.x greeting

// Errors the guard returns from Read. They are net.Errors that are not
// timeouts, so zmq4 (and our own loops) treat the connection as dead.
var (
	ErrNotZMTP       = &guardError{"peer did not send a ZMTP 3 greeting"}
	ErrFrameTooLarge = &guardError{"peer announced a frame larger than the limit"}
	ErrBadFrame      = &guardError{"peer sent a frame with reserved flag bits set"}
)

type guardError struct{ msg string }

func (e *guardError) Error() string   { return e.msg }
func (e *guardError) Timeout() bool   { return false }
func (e *guardError) Temporary() bool { return false }

var _ net.Error = (*guardError)(nil)

// guardConn sits between the ZMTP code (zmq4's handshake, then the Peer's)
// and the socket.
//
// Read side: it reads ahead (few syscalls for many small reads; aheadBuf)
// and vets every frame header (peekHeader, the one reader of frame
// headers, which takes what lookAhead parsed already instead of parsing
// it again) before anything is allocated for it: zmq4's handshake reads
// through Read, and after it the Peer reads frames with nextHeader and
// readBody. A frame over the limit, a non-ZMTP greeting or reserved flag
// bits close the connection with a counted error. After the handshake,
// PING commands are swallowed, so the reading goroutine never writes: the
// writing goroutine answers them (Peer.ServicePings, or Writer), woken by
// Peer.Pinged if it has nothing else to write.
//
// Write side: in coalescing mode small writes (ZMTP headers, prefixes) are
// copied into a scratch buffer and large ones (batch frames) are referenced,
// and Flush sends them all with one writev. Referenced buffers must stay
// unchanged until Flush returns; the publisher's frames are immutable once
// sent, which is what makes this safe.
type guardConn struct {
	net.Conn
	br       *aheadBuf
	maxFrame uint64
	stats    *Counters

	greetLeft int
	frameLeft uint64
	// ahead holds vetted headers of the frames at the front of the
	// read-ahead buffer, in order (aheadN of them from aheadAt), parsed by
	// lookAhead so that the receive after it does not parse them again.
	// Only the reading goroutine uses them.
	ahead           [4]header
	aheadAt, aheadN int
	handshook       atomic.Bool
	pings           atomic.Int64
	pinged          chan struct{} // signalled when a PING is swallowed (capacity 1)

	coalesce bool
	scratch  []byte
	pend     net.Buffers
	pendLen  int
}

func newGuard(c net.Conn, o *Options) *guardConn {
	return &guardConn{
		Conn:      c,
		br:        newAheadBuf(c, o.readBuf()),
		maxFrame:  uint64(o.maxFrame()),
		stats:     o.Stats,
		greetLeft: greetingLen,
		pinged:    make(chan struct{}, 1),
	}
}

// fail closes the connection for err, counting it.
func (g *guardConn) fail(err error, counter func(*Counters) *atomic.Int64) error {
	if g.stats != nil {
		counter(g.stats).Add(1)
	}
	g.Conn.Close()
	return err
}

func badFrames(c *Counters) *atomic.Int64 { return &c.BadFrames }

// Read is what zmq4's handshake reads through: the greeting, then whole
// frames, each vetted by peekHeader before any of it is handed over.
// After the handshake the Peer reads frames itself (readloop.go).
func (g *guardConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.greetLeft == greetingLen {
		sig, err := g.br.Peek(11)
		if err != nil {
			return 0, err
		}
		if sig[0] != 0xFF || sig[9] != 0x7F || sig[10] < 3 {
			return 0, g.fail(ErrNotZMTP, func(c *Counters) *atomic.Int64 { return &c.NotZMTP })
		}
	}
	if g.greetLeft > 0 {
		n, err := g.br.Read(p[:min(len(p), g.greetLeft)])
		g.greetLeft -= n
		return n, err
	}
	if g.frameLeft == 0 {
		h, err := g.peekHeader()
		if err != nil {
			return 0, err
		}
		g.frameLeft = uint64(h.n) + h.size
	}
	n, err := g.br.Read(p[:min(uint64(len(p)), g.frameLeft)])
	g.frameLeft -= uint64(n)
	return n, err
}

// peekHeader returns the next frame's header without consuming it, once
// it has passed the guard: reserved flag bits or a size over the limit
// close the connection (counted) before anything is allocated. After the
// handshake, PINGs are swallowed here (see the type comment).
func (g *guardConn) peekHeader() (header, error) {
	for {
		var h header
		if g.aheadN > 0 {
			h = g.ahead[g.aheadAt] // parsed and vetted by lookAhead
		} else {
			b, err := g.br.Peek(2)
			if err != nil {
				return header{}, err
			}
			if b[0]&flagReserved != 0 { // before waiting for a long size that may never come
				return header{}, g.fail(ErrBadFrame, badFrames)
			}
			if b[0]&flagLong != 0 {
				if b, err = g.br.Peek(9); err != nil {
					return header{}, err
				}
			}
			h, _ = parseHeader(b)
			if h.size > g.maxFrame {
				if g.stats != nil {
					g.stats.LastOversize.Store(h.size)
				}
				return header{}, g.fail(fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, h.size, g.maxFrame),
					func(c *Counters) *atomic.Int64 { return &c.Oversize })
			}
		}
		if h.command() && g.handshook.Load() && g.swallowPing(h) {
			g.tookHeader()
			continue
		}
		return h, nil
	}
}

// tookHeader notes that the frame at the front was consumed: its header,
// if lookAhead kept it, goes.
func (g *guardConn) tookHeader() {
	if g.aheadN > 0 {
		g.aheadAt++
		g.aheadN--
	}
}

// lookAhead reports whether a complete data message (commands before it
// skipped) is already in the read-ahead buffer, and how many frame bytes
// it holds, keeping the headers it parsed on the way (up to len(ahead))
// for peekHeader. A header the guard would refuse ends the look with
// false: the receive then refuses it, counted. Call it between messages.
func (g *guardConn) lookAhead() (size int, ok bool) {
	_, size, whole, _ := g.walkFront(false)
	if !whole {
		return 0, false
	}
	return size, true
}

// extent reports how many bytes the read-ahead buffer must hold for the
// next command, or the next message with any commands inside it, to be
// whole in it (need), and whether they are (whole). A header the guard
// refuses also counts as whole: the receive refuses it, counted.
func (g *guardConn) extent() (need int, whole bool) {
	need, _, whole, refused := g.walkFront(true)
	return need, whole || refused
}

// walkFront walks the headers at the front of the read-ahead buffer to
// the end of the first data message, vetting them as peekHeader does and
// keeping up to len(ahead) of them for it. Commands before the message
// are walked over or, with stopAtCommand, end the walk as a unit of their
// own (a receive returns such a command alone). It reports how many bytes
// must be buffered for the walk to finish (need), whether they are
// (whole), the message's frame bytes (size), and whether it met a header
// the guard refuses (refused).
func (g *guardConn) walkFront(stopAtCommand bool) (need, size int, whole, refused bool) {
	g.aheadAt, g.aheadN = 0, 0
	b := g.buffered()
	pos, inMsg := 0, false
	for i := 0; ; i++ {
		rest := b[pos:]
		var h header
		var ok bool
		switch {
		case len(rest) < 2:
			need = pos + 2
		case rest[0]&flagReserved != 0: // before waiting for a long size
			refused = true
		default:
			if h, ok = parseHeader(rest); !ok {
				need = pos + 9
			} else if h.size > g.maxFrame {
				refused, ok = true, false
			} else if end := pos + h.n + int(h.size); end > len(b) {
				need, ok = end, false
			}
		}
		if !ok {
			g.aheadN = 0
			return need, 0, false, refused
		}
		if i < len(g.ahead) {
			g.ahead[i], g.aheadN = h, i+1
		}
		pos += h.n + int(h.size)
		if h.command() {
			if stopAtCommand && !inMsg {
				return pos, 0, true, false
			}
			continue // a receive returns it first, swallows it, or refuses it
		}
		inMsg = true
		size += int(h.size)
		if !h.more() {
			return pos, size, true, false
		}
	}
}

// pingAtFront swallows a PING at the front of the read-ahead buffer, if
// that is what is there and it is whole (see swallowPing).
func (g *guardConn) pingAtFront() bool {
	h, ok := parseHeader(g.buffered())
	if !ok || !h.command() || h.flags&flagReserved != 0 || !g.handshook.Load() || !g.swallowPing(h) {
		return false
	}
	g.tookHeader()
	return true
}

// swallowPing consumes the command frame h if it is a PING, counting it
// for the writer and waking it.
func (g *guardConn) swallowPing(h header) bool {
	if h.size < 5 || h.size >= 512 {
		return false
	}
	b, err := g.br.Peek(h.n + int(h.size))
	if err != nil || b[h.n] != 4 || string(b[h.n+1:h.n+5]) != "PING" {
		return false
	}
	g.br.Discard(len(b))
	g.pings.Add(1)
	select {
	case g.pinged <- struct{}{}:
	default:
	}
	return true
}

// nextHeader consumes and returns the next frame's header, vetted as
// peekHeader does: the Peer's receive path (readloop.go) reads frames
// with it and readBody, after the handshake.
func (g *guardConn) nextHeader() (header, error) {
	h, err := g.peekHeader()
	if err == nil {
		g.br.Discard(h.n)
		g.tookHeader()
	}
	return h, err
}

// readBody reads the body of the frame whose header was just consumed
// into b (its whole size), or with b nil skips n bytes of it unread.
func (g *guardConn) readBody(b []byte, n int) error {
	if b == nil {
		_, err := g.br.Discard(n)
		return err
	}
	_, err := io.ReadFull(g.br, b)
	return err
}

// takePings returns the number of PINGs swallowed since the last call:
// the PONGs owed.
func (g *guardConn) takePings() int64 { return g.pings.Swap(0) }

// pingsOwed is the number of PINGs swallowed and not yet taken.
func (g *guardConn) pingsOwed() int64 { return g.pings.Load() }

// socket is the connection under the guard, for a Writer that writes to
// it directly (with writev and its own deadlines) instead of through the
// guard's coalescing Write.
func (g *guardConn) socket() net.Conn { return g.Conn }

// readThrough puts the reader wrap makes from the socket's raw connection
// under the read-ahead buffer (an idle strategy, spin.go); the bytes
// already buffered are read first, and the buffer keeps its size. It
// reports false, changing nothing, for a connection that is not a socket.
// Call it from the reading goroutine, between messages.
func (g *guardConn) readThrough(wrap func(syscall.RawConn) io.Reader) bool {
	sc, ok := g.Conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	g.br.src = wrap(rc)
	return true
}

// buffered is the read-ahead: bytes read from the socket, not yet
// consumed (valid until the next read).
func (g *guardConn) buffered() []byte { return g.br.buffered() }

// resetOnClose makes Close send a TCP RST (see Peer.ResetOnClose).
func (g *guardConn) resetOnClose() {
	if tc, ok := g.Conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// coalesceThreshold is the write size up to which bytes are copied rather
// than referenced: ZMTP headers and prefixes are copied, frames are not.
const coalesceThreshold = 512

func (g *guardConn) Write(p []byte) (int, error) {
	if !g.coalesce {
		return g.Conn.Write(p)
	}
	if len(p) <= coalesceThreshold {
		off := len(g.scratch)
		if cap(g.scratch)-off < len(p) {
			// Earlier slices keep the old scratch alive until Flush.
			g.scratch = make([]byte, 0, max(4096, 2*cap(g.scratch)))
			off = 0
		}
		g.scratch = append(g.scratch, p...)
		g.pend = append(g.pend, g.scratch[off:off+len(p):off+len(p)])
	} else {
		g.pend = append(g.pend, p)
	}
	g.pendLen += len(p)
	return len(p), nil
}

// coalesceWrites switches Write to coalescing mode (see Flush).
func (g *guardConn) coalesceWrites() { g.coalesce = true }

// writeParts writes the parts of one message: coalesced (as Write does)
// in coalescing mode, else with one writev.
func (g *guardConn) writeParts(parts net.Buffers) error {
	if !g.coalesce {
		_, err := parts.WriteTo(g.Conn)
		return err
	}
	for _, b := range parts {
		g.Write(b)
	}
	return nil
}

// Flush writes everything coalesced since the last Flush with one writev,
// under a deadline when d > 0. After any error the connection is unusable
// (a half-written frame cannot be resumed): the caller closes it, having
// recorded why, so a concurrent reader does not report a vaguer reason first.
func (g *guardConn) Flush(d time.Duration) error {
	if g.pendLen == 0 {
		return nil
	}
	if d > 0 {
		g.Conn.SetWriteDeadline(time.Now().Add(d))
	}
	bufs := g.pend
	_, err := bufs.WriteTo(g.Conn)
	clear(g.pend)
	g.pend, g.pendLen, g.scratch = g.pend[:0], 0, g.scratch[:0]
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%w: write blocked longer than %v", ErrStuck, d)
		}
		return err
	}
	return nil
}

// Pending is the number of bytes coalesced and not yet flushed.
func (g *guardConn) Pending() int { return g.pendLen }

// ErrStuck reports a peer that did not take data within the write deadline.
var ErrStuck = errors.New("peer stuck")
