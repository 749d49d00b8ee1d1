package feed

import (
	"encoding/binary"
	"fmt"
)

// Record is one market-data message with the stamps the engine adds.
//
// A decoded Record aliases the frame it came from: Topic and Payload point
// into that frame and stay valid only as long as the frame does.
type Record struct {
	Topic     []byte // symbol, 1..255 bytes
	Payload   []byte // opaque to the engine; see MarketMsg for the synthetic layout
	Publisher uint64 // publisher id: stable across restarts of the same publisher
	Epoch     uint64 // publisher incarnation (start time in ns): a restart changes it
	Seq       uint64 // contiguous per (publisher, epoch, partition), from 1
	SendTS    int64  // ns since the Unix epoch, taken when published
	SourceTS  int64  // ns since the Unix epoch, the original event time
	Partition uint32
	Shard     uint16
	Kind      byte // message type, ITCH-like: 'A' add, 'E' execute, 'X' cancel, 'P' trade, ...
}

// WireSize is the number of bytes r takes inside a frame.
func (r *Record) WireSize(explicitSeq bool) int {
	n := RecordFixedLen + len(r.Topic) + len(r.Payload)
	if explicitSeq {
		n += 8
	}
	return n
}

// String formats r for logs and tests; it allocates.
func (r *Record) String() string {
	return fmt.Sprintf("%s pub=%d shard=%d part=%d seq=%d kind=%c send=%d src=%d payload=%dB",
		r.Topic, r.Publisher, r.Shard, r.Partition, r.Seq, r.Kind, r.SendTS, r.SourceTS, len(r.Payload))
}

// Message kinds used by the synthetic generator. They follow the ITCH 5.0
// letters so a capture reads naturally next to a real feed.
const (
	KindAdd     byte = 'A' // add order
	KindExecute byte = 'E' // order executed (a trade against a resting order)
	KindCancel  byte = 'X' // order cancel
	KindDelete  byte = 'D' // order delete
	KindTrade   byte = 'P' // non-displayable trade
	KindQuote   byte = 'Q' // quote update (not ITCH; used by the plain generator)
)

// MarketMsgLen is the number of payload bytes MarketMsg occupies; payloads
// may be longer (padding), never shorter, to be parsed as a MarketMsg.
const MarketMsgLen = 21

// MarketMsg is the fixed prefix of a synthetic record's payload:
//
//	0  u64 order reference
//	8  u64 price in 1e-4 currency units
//	16 u32 shares
//	20 u8  side, 'B' or 'S'
//
// all little-endian. The rest of the payload is filler.
type MarketMsg struct {
	OrderRef uint64
	Price    uint64
	Shares   uint32
	Side     byte
}

// Put writes m into the first MarketMsgLen bytes of p.
func (m *MarketMsg) Put(p []byte) {
	_ = p[MarketMsgLen-1]
	binary.LittleEndian.PutUint64(p[0:], m.OrderRef)
	binary.LittleEndian.PutUint64(p[8:], m.Price)
	binary.LittleEndian.PutUint32(p[16:], m.Shares)
	p[20] = m.Side
}

// ParseMarketMsg reads the MarketMsg at the start of p; ok is false if p
// is too short.
func ParseMarketMsg(p []byte) (m MarketMsg, ok bool) {
	if len(p) < MarketMsgLen {
		return m, false
	}
	m.OrderRef = binary.LittleEndian.Uint64(p[0:])
	m.Price = binary.LittleEndian.Uint64(p[8:])
	m.Shares = binary.LittleEndian.Uint32(p[16:])
	m.Side = p[20]
	return m, true
}
