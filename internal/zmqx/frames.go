package zmqx

import "encoding/binary"

// ZMTP 3 frame flags (RFC 23/ZMTP, RFC 37/ZMTP 3.1).
const (
	flagMore     = 0x01
	flagLong     = 0x02 // an 8-byte size follows instead of 1
	flagCommand  = 0x04
	flagReserved = 0xF8
)

// maxCommand bounds a command body kept by Recv: bbox's own commands and
// libzmq's (PING, PONG, SUBSCRIBE) are a few bytes, and a command is
// allocated whole.
const maxCommand = 64 << 10

// header is one parsed ZMTP frame header.
type header struct {
	flags byte
	size  uint64 // body bytes
	n     int    // header bytes: 2, or 9 for a long frame
}

func (h header) more() bool    { return h.flags&flagMore != 0 }
func (h header) command() bool { return h.flags&flagCommand != 0 }

// parseHeader parses the frame header at the start of b. It is the one
// parser of frame headers: the guard's vetting (and through it every
// receive) and its look-ahead (MessageBuffered) use it. ok is false while b
// holds less than a whole header.
func parseHeader(b []byte) (h header, ok bool) {
	if len(b) < 2 {
		return header{}, false
	}
	h = header{flags: b[0], size: uint64(b[1]), n: 2}
	if h.flags&flagLong != 0 {
		if len(b) < 9 {
			return header{}, false
		}
		h.size, h.n = binary.BigEndian.Uint64(b[1:9]), 9
	}
	return h, true
}

// appendHeader appends the header of a frame of n bytes, long when n
// does not fit in one byte.
func appendHeader(b []byte, flags byte, n int) []byte {
	if n > 255 {
		return binary.BigEndian.AppendUint64(append(b, flags|flagLong), uint64(n))
	}
	return append(b, flags, byte(n))
}
