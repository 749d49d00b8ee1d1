package zmqx

import (
	"encoding/binary"
	"io"
	"time"

	"github.com/go-zeromq/zmq4"
)

// What a subscriber's read loop needs beyond RecvFrames: to know whether
// another whole message already sits in the read-ahead buffer (so one
// socket read can be handled, and delivered, as one unit), and to see
// commands (a PONG proves a silent peer alive).

// Buffered is the number of bytes read from the socket and not yet consumed.
func (p *Peer) Buffered() int { return p.g.br.Buffered() }

// MessageBuffered reports whether a complete data message (commands
// before it skipped) is already in the read-ahead buffer, so that reading
// it makes no system call, and how many frame bytes it holds. Call it only
// between messages, from the reading goroutine.
func (p *Peer) MessageBuffered() (size int, ok bool) {
	if p.g.frameLeft != 0 {
		return 0, false
	}
	b, _ := p.g.br.Peek(p.g.br.Buffered())
	cmd := false
	for len(b) >= 2 {
		flags, n, hl := b[0], uint64(b[1]), 2
		if flags&0x02 != 0 {
			if len(b) < 9 {
				return 0, false
			}
			n, hl = binary.BigEndian.Uint64(b[1:9]), 9
		}
		if n > uint64(len(b)-hl) {
			return 0, false
		}
		b = b[hl+int(n):]
		if flags&0x04 != 0 || cmd {
			// A command, or the rest of a multi-frame one: RecvFrames skips it.
			cmd = flags&0x01 != 0
			continue
		}
		size += int(n)
		if flags&0x01 == 0 {
			return size, true
		}
	}
	return 0, false
}

// RecvMessage is RecvFrames that also returns on a command: for a
// command (a PONG, say) it returns cmd true and no frames, its body
// discarded. The reader learns the peer is alive without a data message.
func (p *Peer) RecvMessage(dst [][]byte, alloc func(i, n int) []byte) (frames [][]byte, cmd bool, err error) {
	var hdr [9]byte
	dst = dst[:0]
	for more := true; more; {
		if _, err := io.ReadFull(p.g, hdr[:2]); err != nil {
			return dst, false, err
		}
		flags, size := hdr[0], uint64(hdr[1])
		if flags&0x02 != 0 {
			if _, err := io.ReadFull(p.g, hdr[2:9]); err != nil {
				return dst, false, err
			}
			size = binary.BigEndian.Uint64(hdr[1:9])
		}
		more = flags&0x01 != 0
		if flags&0x04 != 0 || cmd {
			cmd = true
			if _, err := io.CopyN(io.Discard, p.g, int64(size)); err != nil {
				return dst, true, err
			}
			continue
		}
		b := alloc(len(dst), int(size))
		if _, err := io.ReadFull(p.g, b); err != nil {
			return dst, false, err
		}
		dst = append(dst, b)
	}
	if cmd {
		return dst[:0], true, nil
	}
	return dst, false, nil
}

// Ping sends a ZMTP 3.1 PING (TTL 0, no context); the peer answers with a
// PONG, which RecvMessage returns as a command. A write that does not
// finish within d (0: no limit) fails, so a dead link cannot block the
// goroutine that watches it. Call it only from the goroutine that writes to p.
func (p *Peer) Ping(d time.Duration) error {
	if d > 0 {
		p.g.Conn.SetWriteDeadline(time.Now().Add(d))
		defer p.g.Conn.SetWriteDeadline(time.Time{})
	}
	return p.SendCmd(zmq4.CmdPing, []byte{0, 0})
}
