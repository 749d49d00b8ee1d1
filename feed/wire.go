package feed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Wire format constants; docs/wire.md is the normative description.
const (
	Version        = 1
	HeaderLen      = 56 // bytes of a version-1 header
	RecordFixedLen = 20 // record bytes before the optional sequence, topic and payload
	MaxRecordLen   = 0xFFFF
	MaxTopicLen    = 0xFF
	MaxPartitions  = 0x10000 // partition prefixes are four hex digits

	magic0, magic1 = 'B', 'B'
)

// Header flags.
const (
	FlagSeq       uint8 = 1 << 0 // every record carries its own 8-byte sequence
	FlagHeartbeat uint8 = 1 << 1 // no records; FirstSeq is the next sequence to be sent
	FlagEOS       uint8 = 1 << 2 // end of stream: the publisher stops; FirstSeq as for a heartbeat

	knownFlags = FlagSeq | FlagHeartbeat | FlagEOS
)

// Header is the fixed part of a batch frame.
type Header struct {
	Flags      uint8
	Shard      uint16
	Shards     uint16 // number of shards the publisher runs
	Partition  uint32
	Partitions uint32 // number of partitions over all shards
	Count      uint32 // records in the frame
	Publisher  uint64
	Epoch      uint64
	FirstSeq   uint64 // sequence of the first record (or of the next one, for a heartbeat/EOS)
	BodyLen    uint32
	CRC        uint32 // CRC-32 (IEEE) of the body
}

// A FormatError reports a malformed frame and the byte offset where
// decoding stopped making sense.
type FormatError struct {
	Offset int
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("malformed frame at offset %d: %s", e.Offset, e.Reason)
}

// ErrTooLarge is returned by the encoder when a record does not fit in
// the wire format (topic over 255 bytes or record over 65535 bytes).
var ErrTooLarge = errors.New("record too large for the wire format")

func bad(off int, format string, args ...any) error {
	return &FormatError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// PutHeader writes h into the first HeaderLen bytes of b.
func PutHeader(b []byte, h *Header) {
	_ = b[HeaderLen-1]
	b[0], b[1], b[2], b[3] = magic0, magic1, Version, h.Flags
	le := binary.LittleEndian
	le.PutUint16(b[4:], HeaderLen)
	le.PutUint16(b[6:], h.Shard)
	le.PutUint16(b[8:], h.Shards)
	le.PutUint16(b[10:], 0)
	le.PutUint32(b[12:], h.Partition)
	le.PutUint32(b[16:], h.Partitions)
	le.PutUint32(b[20:], h.Count)
	le.PutUint64(b[24:], h.Publisher)
	le.PutUint64(b[32:], h.Epoch)
	le.PutUint64(b[40:], h.FirstSeq)
	le.PutUint32(b[48:], h.BodyLen)
	le.PutUint32(b[52:], h.CRC)
}

// ParseHeader reads and checks the header of frame. It returns the header
// and the offset at which the body starts. It does not check the CRC.
func ParseHeader(frame []byte) (h Header, body int, err error) {
	if len(frame) < HeaderLen {
		return h, 0, bad(0, "frame of %d bytes is shorter than the %d-byte header", len(frame), HeaderLen)
	}
	if frame[0] != magic0 || frame[1] != magic1 {
		return h, 0, bad(0, "bad magic %#02x%02x, want \"BB\"", frame[0], frame[1])
	}
	if frame[2] != Version {
		return h, 0, bad(2, "unsupported version %d (this reader knows %d)", frame[2], Version)
	}
	h.Flags = frame[3]
	if h.Flags&^knownFlags != 0 {
		return h, 0, bad(3, "unknown flags %#02x", h.Flags&^knownFlags)
	}
	le := binary.LittleEndian
	hl := int(le.Uint16(frame[4:]))
	if hl < HeaderLen || hl > len(frame) {
		return h, 0, bad(4, "header length %d outside [%d, %d]", hl, HeaderLen, len(frame))
	}
	h.Shard = le.Uint16(frame[6:])
	h.Shards = le.Uint16(frame[8:])
	h.Partition = le.Uint32(frame[12:])
	h.Partitions = le.Uint32(frame[16:])
	h.Count = le.Uint32(frame[20:])
	h.Publisher = le.Uint64(frame[24:])
	h.Epoch = le.Uint64(frame[32:])
	h.FirstSeq = le.Uint64(frame[40:])
	h.BodyLen = le.Uint32(frame[48:])
	h.CRC = le.Uint32(frame[52:])
	if int64(h.BodyLen) != int64(len(frame)-hl) {
		return h, 0, bad(48, "body length %d but %d bytes follow the header", h.BodyLen, len(frame)-hl)
	}
	if h.Flags&(FlagHeartbeat|FlagEOS) != 0 && h.Count != 0 {
		return h, 0, bad(20, "heartbeat/EOS frame claims %d records", h.Count)
	}
	if h.FirstSeq == 0 && (h.Count > 0 || h.Flags&(FlagHeartbeat|FlagEOS) != 0) && h.Flags&FlagSeq == 0 {
		return h, 0, bad(40, "first sequence 0 (sequences start at 1)")
	}
	return h, hl, nil
}

// Encoder builds one frame at a time in a buffer it owns (or is given).
// The zero value is ready to use after Reset.
type Encoder struct {
	buf      []byte
	hdr      Header
	explicit bool
}

// Reset starts a new frame in dst[:0] (dst may be nil) with header h; the
// count, body length and CRC are filled in by Finish.
func (e *Encoder) Reset(dst []byte, h Header) {
	e.hdr = h
	e.hdr.Count = 0
	e.explicit = h.Flags&FlagSeq != 0
	if cap(dst) < HeaderLen {
		dst = make([]byte, HeaderLen, 64<<10)
	}
	e.buf = dst[:HeaderLen]
}

// Len is the size of the frame so far, in bytes.
func (e *Encoder) Len() int { return len(e.buf) }

// Count is the number of records appended since Reset.
func (e *Encoder) Count() int { return int(e.hdr.Count) }

// Append encodes r at the end of the frame. Only Topic, Payload, Kind,
// SendTS, SourceTS and (for FlagSeq frames) Seq are taken from r; the rest
// is in the header.
func (e *Encoder) Append(r *Record) error {
	var err error
	e.buf, err = AppendRecord(e.buf, r, e.explicit)
	if err == nil {
		e.hdr.Count++
	}
	return err
}

// Finish completes the header and returns the frame. The frame aliases the
// encoder's buffer until the next Reset.
func (e *Encoder) Finish() []byte {
	body := e.buf[HeaderLen:]
	e.hdr.BodyLen = uint32(len(body))
	e.hdr.CRC = crc32.ChecksumIEEE(body)
	PutHeader(e.buf, &e.hdr)
	return e.buf
}

// AppendRecord appends the wire form of r to dst.
func AppendRecord(dst []byte, r *Record, explicitSeq bool) ([]byte, error) {
	n := r.WireSize(explicitSeq)
	if len(r.Topic) == 0 || len(r.Topic) > MaxTopicLen || n > MaxRecordLen {
		return dst, ErrTooLarge
	}
	off := len(dst)
	if cap(dst)-off < n {
		nb := make([]byte, off, 2*cap(dst)+n)
		copy(nb, dst)
		dst = nb
	}
	dst = dst[:off+n]
	b := dst[off:]
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(n))
	b[2] = byte(len(r.Topic))
	b[3] = r.Kind
	le.PutUint64(b[4:], uint64(r.SendTS))
	le.PutUint64(b[12:], uint64(r.SourceTS))
	p := RecordFixedLen
	if explicitSeq {
		le.PutUint64(b[p:], r.Seq)
		p += 8
	}
	p += copy(b[p:], r.Topic)
	copy(b[p:], r.Payload)
	return dst, nil
}

// DecodeFrame checks frame and appends its records to dst, aliasing frame
// (no copy, no allocation once dst has room). Records get their Publisher,
// Epoch, Shard, Partition and, unless FlagSeq is set, Seq from the header.
// On error dst is returned unchanged in length: a frame is all or nothing.
func DecodeFrame(frame []byte, dst []Record) ([]Record, Header, error) {
	h, off, err := ParseHeader(frame)
	if err != nil {
		return dst, h, err
	}
	body := frame[off:]
	if crc := crc32.ChecksumIEEE(body); crc != h.CRC {
		return dst, h, bad(52, "body CRC %08x, header says %08x", crc, h.CRC)
	}
	explicit := h.Flags&FlagSeq != 0
	min := RecordFixedLen
	if explicit {
		min += 8
	}
	if uint64(h.Count)*uint64(min+1) > uint64(len(body)) {
		return dst, h, bad(20, "%d records cannot fit in a %d-byte body", h.Count, len(body))
	}
	start := len(dst)
	le := binary.LittleEndian
	pos := 0
	for i := uint32(0); i < h.Count; i++ {
		if len(body)-pos < 2 {
			return dst[:start], h, bad(off+pos, "record %d: truncated length", i)
		}
		n := int(le.Uint16(body[pos:]))
		if n < min+1 || n > len(body)-pos {
			return dst[:start], h, bad(off+pos, "record %d: length %d outside [%d, %d]", i, n, min+1, len(body)-pos)
		}
		b := body[pos : pos+n]
		tl := int(b[2])
		if tl == 0 || min+tl > n {
			return dst[:start], h, bad(off+pos+2, "record %d: topic length %d in a %d-byte record", i, tl, n)
		}
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
		} else {
			dst = append(dst, Record{})
		}
		r := &dst[len(dst)-1]
		r.Kind = b[3]
		r.SendTS = int64(le.Uint64(b[4:]))
		r.SourceTS = int64(le.Uint64(b[12:]))
		if explicit {
			r.Seq = le.Uint64(b[20:])
		} else {
			r.Seq = h.FirstSeq + uint64(i)
		}
		r.Topic = b[min : min+tl : min+tl]
		r.Payload = b[min+tl : n : n]
		r.Publisher, r.Epoch = h.Publisher, h.Epoch
		r.Shard, r.Partition = h.Shard, h.Partition
		pos += n
	}
	if pos != len(body) {
		return dst[:start], h, bad(off+pos, "%d bytes left after %d records", len(body)-pos, h.Count)
	}
	return dst, h, nil
}

// PartitionPrefix appends the subscription prefix of partition p ("p"
// and four lowercase hex digits) to dst. Every frame of partition p is sent
// as a two-frame ZeroMQ message [prefix][batch frame].
func PartitionPrefix(dst []byte, p uint32) []byte {
	const hex = "0123456789abcdef"
	return append(dst, 'p', hex[p>>12&0xF], hex[p>>8&0xF], hex[p>>4&0xF], hex[p&0xF])
}

// PrefixLen is the length of a partition prefix.
const PrefixLen = 5

// ParsePrefix returns the partition named by a prefix frame.
func ParsePrefix(b []byte) (uint32, bool) {
	if len(b) != PrefixLen || b[0] != 'p' {
		return 0, false
	}
	var p uint32
	for _, c := range b[1:] {
		switch {
		case c >= '0' && c <= '9':
			p = p<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			p = p<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return p, true
}
