package zmqx

import (
	"errors"
	"net"
	"time"
)

// The write side of a Peer: ZMTP frames written straight to the guard,
// one writev per message (or coalesced until Flush). Call these only from
// the goroutine that writes to p.

// Send sends one message of the given frames. In coalescing mode frames
// over 512 bytes are referenced until Flush, so they must stay unchanged
// until then.
func (p *Peer) Send(frames ...[]byte) error {
	if len(frames) == 0 {
		return errors.New("zmqx: a ZMTP message has at least one frame")
	}
	return p.send(0, frames)
}

// SendCmd sends a ZMTP command: name (1 to 255 bytes) and its data.
func (p *Peer) SendCmd(name string, data []byte) error {
	if len(name) == 0 || len(name) > 255 {
		return errors.New("zmqx: a ZMTP command name is 1 to 255 bytes")
	}
	b := make([]byte, 0, 1+len(name)+len(data))
	b = append(append(append(b, byte(len(name))), name...), data...)
	return p.send(flagCommand, [][]byte{b})
}

func (p *Peer) send(flags byte, frames [][]byte) error {
	var hdrs [8 * 9]byte // the headers of up to 8 frames without allocating
	h := hdrs[:0]
	parts := make(net.Buffers, 0, 2*len(frames))
	for i, f := range frames {
		fl := flags
		if i < len(frames)-1 {
			fl |= flagMore
		}
		start := len(h)
		h = appendHeader(h, fl, len(f))
		parts = append(parts, h[start:len(h):len(h)], f)
	}
	return p.g.writeParts(parts)
}

// Subscribe sends the ZMTP 3.0 subscription a SUB sends for prefix: a
// message of 1 then the prefix (nil subscribes to everything). PUB peers,
// libzmq's and bbox's own, filter on it.
func (p *Peer) Subscribe(prefix []byte) error {
	return p.Send(append([]byte{1}, prefix...))
}

// ServicePings answers the PINGs the guard swallowed with PONGs.
func (p *Peer) ServicePings() error {
	for n := p.g.takePings(); n > 0; n-- {
		if err := p.SendCmd("PONG", nil); err != nil {
			return err
		}
	}
	return nil
}

// Ping sends a ZMTP 3.1 PING (TTL 0, no context); the peer answers with a
// PONG, which RecvMessage returns as a command. A write that does not
// finish within d (0: no limit) fails, so a dead link cannot block the
// goroutine that watches it.
func (p *Peer) Ping(d time.Duration) error {
	if d > 0 {
		p.g.SetWriteDeadline(time.Now().Add(d))
		defer p.g.SetWriteDeadline(time.Time{})
	}
	return p.SendCmd("PING", []byte{0, 0})
}
