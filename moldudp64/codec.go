package moldudp64

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	HeaderLen    = 20     // session (10), sequence (u64), message count (u16)
	SessionLen   = 10     // ASCII, space-padded
	EndOfSession = 0xFFFF // message count of the end-of-session packet
	// MaxPayload keeps a packet within one Ethernet frame (1500 MTU minus
	// IPv4 and UDP headers), so nothing depends on IP fragmentation.
	MaxPayload = 1472
)

// Session is the 10-byte session name.
type Session [SessionLen]byte

// MakeSession pads or cuts s to a session name.
func MakeSession(s string) Session {
	var ss Session
	n := copy(ss[:], s)
	for i := n; i < SessionLen; i++ {
		ss[i] = ' '
	}
	return ss
}

func (s Session) String() string {
	b := s[:]
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// Header is a decoded packet header.
type Header struct {
	Session Session
	Seq     uint64 // sequence number of the first message (of the next, for a heartbeat)
	Count   uint16 // messages in the packet; 0 heartbeat, EndOfSession
}

// Heartbeat and End say what a message-less packet means.
func (h *Header) Heartbeat() bool { return h.Count == 0 }
func (h *Header) End() bool       { return h.Count == EndOfSession }

// Messages is the number of messages the packet carries.
func (h *Header) Messages() int {
	if h.Count == EndOfSession {
		return 0
	}
	return int(h.Count)
}

// Errors of Parse.
var (
	ErrShort    = errors.New("packet shorter than its 20-byte header")
	ErrBlocks   = errors.New("message blocks do not match the header's count")
	ErrTrailing = errors.New("bytes after the last message block")
)

// Parse decodes a downstream packet, appending its messages (aliasing b)
// to msgs. The packet must hold exactly Count blocks.
func Parse(b []byte, msgs [][]byte) (Header, [][]byte, error) {
	if len(b) < HeaderLen {
		return Header{}, msgs, fmt.Errorf("%w (%d bytes)", ErrShort, len(b))
	}
	var h Header
	copy(h.Session[:], b)
	h.Seq = binary.BigEndian.Uint64(b[10:])
	h.Count = binary.BigEndian.Uint16(b[18:])
	p := b[HeaderLen:]
	for i := 0; i < h.Messages(); i++ {
		if len(p) < 2 {
			return h, msgs, fmt.Errorf("%w: block %d of %d missing", ErrBlocks, i+1, h.Count)
		}
		n := int(binary.BigEndian.Uint16(p))
		if len(p) < 2+n {
			return h, msgs, fmt.Errorf("%w: block %d of %d wants %d bytes, %d left", ErrBlocks, i+1, h.Count, n, len(p)-2)
		}
		msgs = append(msgs, p[2:2+n:2+n])
		p = p[2+n:]
	}
	if len(p) > 0 {
		return h, msgs, fmt.Errorf("%w (%d)", ErrTrailing, len(p))
	}
	return h, msgs, nil
}

// AppendPacket encodes a downstream packet of msgs starting at seq.
func AppendPacket(dst []byte, s Session, seq uint64, msgs [][]byte) []byte {
	dst = appendHeader(dst, s, seq, uint16(len(msgs)))
	for _, m := range msgs {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m)))
		dst = append(dst, m...)
	}
	return dst
}

// AppendHeartbeat encodes a heartbeat announcing next as the next
// sequence; AppendEnd the end of the session after next-1.
func AppendHeartbeat(dst []byte, s Session, next uint64) []byte {
	return appendHeader(dst, s, next, 0)
}
func AppendEnd(dst []byte, s Session, next uint64) []byte {
	return appendHeader(dst, s, next, EndOfSession)
}

func appendHeader(dst []byte, s Session, seq uint64, count uint16) []byte {
	dst = append(dst, s[:]...)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return binary.BigEndian.AppendUint16(dst, count)
}

// PacketLen is the encoded size of a packet holding msgs.
func PacketLen(msgs [][]byte) int {
	n := HeaderLen
	for _, m := range msgs {
		n += 2 + len(m)
	}
	return n
}

// Request is a retransmission request: Count messages from Seq. It has
// the downstream header's layout and nothing after it.
type Request struct {
	Session Session
	Seq     uint64
	Count   uint16
}

// ErrRequest is returned for a datagram that is not a 20-byte request.
var ErrRequest = errors.New("a request is exactly 20 bytes")

// AppendRequest encodes r.
func AppendRequest(dst []byte, r Request) []byte { return appendHeader(dst, r.Session, r.Seq, r.Count) }

// ParseRequest decodes a request datagram.
func ParseRequest(b []byte) (Request, error) {
	if len(b) != HeaderLen {
		return Request{}, fmt.Errorf("%w, got %d", ErrRequest, len(b))
	}
	var r Request
	copy(r.Session[:], b)
	r.Seq = binary.BigEndian.Uint64(b[10:])
	r.Count = binary.BigEndian.Uint16(b[18:])
	return r, nil
}
