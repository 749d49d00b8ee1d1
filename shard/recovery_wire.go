package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The recovery protocol (docs/wire.md section 9): a client sends one-frame
// requests on a DEALER socket; the server answers each with zero or more
// DATA messages [reply header][original batch frame] and one END message
// [reply header]. All integers little-endian.

// Sizes of the recovery protocol's fixed parts.
const (
	RecoveryReqLen = 48
	RecoveryRepLen = 56
)

// Reply message types.
const (
	RepData = 1
	RepEnd  = 2
)

// RecoveryStatus is an END message's status.
type RecoveryStatus uint16

// END statuses: what the server could answer.
const (
	// RecOK: every record from From up to ServedTo was sent (ServedTo may
	// be below From+Count when the per-request cap cut the reply short;
	// ask again from ServedTo).
	RecOK RecoveryStatus = 0
	// RecPartial: records before FirstAvailable are no longer (or never
	// were) held; what was sent starts at ServedFrom = FirstAvailable.
	RecPartial RecoveryStatus = 1
	// RecUnknownStream: the publisher id or epoch is not one this server
	// holds.
	RecUnknownStream RecoveryStatus = 2
	// RecUnknownPartition: no such partition.
	RecUnknownPartition RecoveryStatus = 3
	// RecBadRequest: the request was malformed (counted; nothing sent).
	RecBadRequest RecoveryStatus = 4
	// RecBusy: over the per-peer request rate; ask again later.
	RecBusy RecoveryStatus = 5
)

func (s RecoveryStatus) String() string {
	switch s {
	case RecOK:
		return "ok"
	case RecPartial:
		return "not available before first_available"
	case RecUnknownStream:
		return "unknown publisher or epoch"
	case RecUnknownPartition:
		return "unknown partition"
	case RecBadRequest:
		return "bad request"
	case RecBusy:
		return "busy (rate limited)"
	}
	return fmt.Sprintf("status %d", uint16(s))
}

// RecoveryRequest asks for Count records of one partition from From.
type RecoveryRequest struct {
	ID        uint64 // echoed in every reply message
	Publisher uint64
	Epoch     uint64
	Partition uint32
	Count     uint32
	From      uint64
}

var reqMagic = [4]byte{'B', 'B', 'R', 'Q'}
var repMagic = [4]byte{'B', 'B', 'R', 'P'}

// AppendRecoveryRequest encodes r.
func AppendRecoveryRequest(dst []byte, r *RecoveryRequest) []byte {
	var b [RecoveryReqLen]byte
	copy(b[0:4], reqMagic[:])
	b[4] = 1
	binary.LittleEndian.PutUint64(b[8:], r.ID)
	binary.LittleEndian.PutUint64(b[16:], r.Publisher)
	binary.LittleEndian.PutUint64(b[24:], r.Epoch)
	binary.LittleEndian.PutUint32(b[32:], r.Partition)
	binary.LittleEndian.PutUint32(b[36:], r.Count)
	binary.LittleEndian.PutUint64(b[40:], r.From)
	return append(dst, b[:]...)
}

// errBadRecovery is the cause of every malformed recovery message.
var errBadRecovery = errors.New("malformed recovery message")

// ParseRecoveryRequest decodes a request frame; the ID is returned even
// for a bad request when the frame is long enough to hold it.
func ParseRecoveryRequest(b []byte) (RecoveryRequest, error) {
	var r RecoveryRequest
	if len(b) >= 16 {
		r.ID = binary.LittleEndian.Uint64(b[8:])
	}
	switch {
	case len(b) != RecoveryReqLen:
		return r, fmt.Errorf("%w: request of %d bytes, want %d", errBadRecovery, len(b), RecoveryReqLen)
	case [4]byte(b[0:4]) != reqMagic:
		return r, fmt.Errorf("%w: request magic %q, want BBRQ", errBadRecovery, b[0:4])
	case b[4] != 1:
		return r, fmt.Errorf("%w: request version %d, want 1", errBadRecovery, b[4])
	case b[5] != 0 || b[6] != 0 || b[7] != 0:
		return r, fmt.Errorf("%w: request reserved bytes not zero", errBadRecovery)
	}
	r.Publisher = binary.LittleEndian.Uint64(b[16:])
	r.Epoch = binary.LittleEndian.Uint64(b[24:])
	r.Partition = binary.LittleEndian.Uint32(b[32:])
	r.Count = binary.LittleEndian.Uint32(b[36:])
	r.From = binary.LittleEndian.Uint64(b[40:])
	if r.Count == 0 || r.From == 0 {
		return r, fmt.Errorf("%w: count %d from %d (want both ≥ 1)", errBadRecovery, r.Count, r.From)
	}
	return r, nil
}

// RecoveryReply is a reply message's header (frame 1).
type RecoveryReply struct {
	Type   uint8 // RepData or RepEnd
	Status RecoveryStatus
	ID     uint64
	// END only: the oldest sequence held for the partition (0: none), the
	// next sequence it will use, the range the DATA messages covered
	// [ServedFrom, ServedTo), and what was sent.
	FirstAvailable, NextSeq, ServedFrom, ServedTo uint64
	Frames, Records                               uint32
}

// AppendRecoveryReply encodes r.
func AppendRecoveryReply(dst []byte, r *RecoveryReply) []byte {
	var b [RecoveryRepLen]byte
	copy(b[0:4], repMagic[:])
	b[4] = 1
	b[5] = r.Type
	binary.LittleEndian.PutUint16(b[6:], uint16(r.Status))
	binary.LittleEndian.PutUint64(b[8:], r.ID)
	binary.LittleEndian.PutUint64(b[16:], r.FirstAvailable)
	binary.LittleEndian.PutUint64(b[24:], r.NextSeq)
	binary.LittleEndian.PutUint64(b[32:], r.ServedFrom)
	binary.LittleEndian.PutUint64(b[40:], r.ServedTo)
	binary.LittleEndian.PutUint32(b[48:], r.Frames)
	binary.LittleEndian.PutUint32(b[52:], r.Records)
	return append(dst, b[:]...)
}

// ParseRecoveryReply decodes a reply header.
func ParseRecoveryReply(b []byte) (RecoveryReply, error) {
	var r RecoveryReply
	switch {
	case len(b) != RecoveryRepLen:
		return r, fmt.Errorf("%w: reply header of %d bytes, want %d", errBadRecovery, len(b), RecoveryRepLen)
	case [4]byte(b[0:4]) != repMagic:
		return r, fmt.Errorf("%w: reply magic %q, want BBRP", errBadRecovery, b[0:4])
	case b[4] != 1:
		return r, fmt.Errorf("%w: reply version %d, want 1", errBadRecovery, b[4])
	case b[5] != RepData && b[5] != RepEnd:
		return r, fmt.Errorf("%w: reply type %d", errBadRecovery, b[5])
	}
	r.Type = b[5]
	r.Status = RecoveryStatus(binary.LittleEndian.Uint16(b[6:]))
	r.ID = binary.LittleEndian.Uint64(b[8:])
	r.FirstAvailable = binary.LittleEndian.Uint64(b[16:])
	r.NextSeq = binary.LittleEndian.Uint64(b[24:])
	r.ServedFrom = binary.LittleEndian.Uint64(b[32:])
	r.ServedTo = binary.LittleEndian.Uint64(b[40:])
	r.Frames = binary.LittleEndian.Uint32(b[48:])
	r.Records = binary.LittleEndian.Uint32(b[52:])
	return r, nil
}
