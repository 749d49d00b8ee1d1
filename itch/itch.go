package itch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HeaderLen is the common header every ITCH 5.0 message starts with:
// type (1), stock locate (u16), tracking number (u16), timestamp (u48,
// nanoseconds since midnight).
const HeaderLen = 11

// Kind says how a field's bytes read.
type Kind byte

const (
	Alpha  Kind = 'a' // left-justified, space-padded ASCII
	Uint   Kind = 'u' // big-endian unsigned integer
	Price4 Kind = '4' // u32 with 4 implied decimals
	Price8 Kind = '8' // u64 with 8 implied decimals
)

// Field is one field of a message layout after the common header.
type Field struct {
	Name string
	Off  int // from the start of the message (the type byte)
	Len  int
	Kind Kind
}

// Layout describes one message type.
type Layout struct {
	Type   byte
	Name   string
	Len    int     // total length, type byte included
	Fields []Field // after the common header
	// StockOff is the offset of the 8-byte stock symbol, or -1 for a
	// message that names its stock only by locate (E, C, X, D, U, B) or
	// none (S, V, W: market-wide).
	StockOff int
}

// specs is the ITCH 5.0 specification's message table, one field per
// word: name:KINDLEN with a the alpha kind (c is alpha 1), u unsigned,
// 4/8 prices of 4 or 8 bytes. Offsets follow from the order; the total
// lengths are checked against the specification's in the tests.
var specs = []struct {
	typ        byte
	name, spec string
}{
	{'S', "System Event", "event_code:c"},
	{'R', "Stock Directory", "stock:a8 market_category:c financial_status:c round_lot_size:u4 round_lots_only:c issue_classification:c issue_sub_type:a2 authenticity:c short_sale_threshold:c ipo_flag:c luld_tier:c etp_flag:c etp_leverage_factor:u4 inverse_indicator:c"},
	{'H', "Stock Trading Action", "stock:a8 trading_state:c reserved:c reason:a4"},
	{'Y', "Reg SHO Short Sale Price Test Restriction", "stock:a8 reg_sho_action:c"},
	{'L', "Market Participant Position", "mpid:a4 stock:a8 primary_market_maker:c market_maker_mode:c participant_state:c"},
	{'V', "MWCB Decline Level", "level1:88 level2:88 level3:88"},
	{'W', "MWCB Status", "breached_level:c"},
	{'K', "IPO Quoting Period Update", "stock:a8 release_time:u4 release_qualifier:c ipo_price:44"},
	{'J', "LULD Auction Collar", "stock:a8 reference_price:44 upper_price:44 lower_price:44 extension:u4"},
	{'h', "Operational Halt", "stock:a8 market_code:c halt_action:c"},
	{'A', "Add Order", "order_ref:u8 side:c shares:u4 stock:a8 price:44"},
	{'F', "Add Order with MPID", "order_ref:u8 side:c shares:u4 stock:a8 price:44 attribution:a4"},
	{'E', "Order Executed", "order_ref:u8 executed_shares:u4 match:u8"},
	{'C', "Order Executed with Price", "order_ref:u8 executed_shares:u4 match:u8 printable:c execution_price:44"},
	{'X', "Order Cancel", "order_ref:u8 canceled_shares:u4"},
	{'D', "Order Delete", "order_ref:u8"},
	{'U', "Order Replace", "original_ref:u8 new_ref:u8 shares:u4 price:44"},
	{'P', "Trade (non-cross)", "order_ref:u8 side:c shares:u4 stock:a8 price:44 match:u8"},
	{'Q', "Cross Trade", "shares:u8 stock:a8 cross_price:44 match:u8 cross_type:c"},
	{'B', "Broken Trade", "match:u8"},
	{'I', "Net Order Imbalance Indicator", "paired_shares:u8 imbalance_shares:u8 imbalance_direction:c stock:a8 far_price:44 near_price:44 current_reference_price:44 cross_type:c price_variation:c"},
	{'N', "Retail Price Improvement Indicator", "stock:a8 interest_flag:c"},
	{'O', "DLCR Price Discovery", "stock:a8 open_eligibility:c min_price:44 max_price:44 near_execution_price:44 near_execution_time:u8 lower_collar:44 upper_collar:44"},
}

var layouts [256]*Layout

// Types lists every message type in specification order.
var Types []byte

func init() {
	for _, s := range specs {
		l := &Layout{Type: s.typ, Name: s.name, StockOff: -1}
		off := HeaderLen
		for _, w := range strings.Fields(s.spec) {
			name, k, _ := strings.Cut(w, ":")
			f := Field{Name: name, Off: off}
			switch {
			case k == "c":
				f.Kind, f.Len = Alpha, 1
			default:
				n, err := strconv.Atoi(k[1:])
				if err != nil {
					panic("itch: bad layout " + w)
				}
				f.Kind, f.Len = Kind(k[0]), n
			}
			if f.Kind == Price4 || f.Kind == Price8 {
				f.Len = int(f.Kind - '0')
			}
			if name == "stock" {
				l.StockOff = off
			}
			l.Fields = append(l.Fields, f)
			off += f.Len
		}
		l.Len = off
		layouts[s.typ] = l
		Types = append(Types, s.typ)
	}
}

// LayoutOf returns the layout of message type t, or nil if ITCH 5.0 has
// no such type.
func LayoutOf(t byte) *Layout { return layouts[t] }

// Len returns the total length of message type t, or 0 for an unknown type.
func Len(t byte) int {
	if l := layouts[t]; l != nil {
		return l.Len
	}
	return 0
}

// Errors of Check; errors.Is tells them apart.
var (
	ErrEmpty   = errors.New("empty message")
	ErrUnknown = errors.New("unknown message type")
	ErrLength  = errors.New("wrong length for its type")
)

// Check says whether b is exactly one well-formed message: a known type
// at its specification length.
func Check(b []byte) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	l := layouts[b[0]]
	if l == nil {
		return fmt.Errorf("%w %s", ErrUnknown, TypeName(b[0]))
	}
	if len(b) != l.Len {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrLength, TypeName(b[0]), len(b), l.Len)
	}
	return nil
}

// TypeName formats a type byte for messages: 'A' or 0x1f.
func TypeName(t byte) string {
	if t > ' ' && t < 0x7f {
		return "'" + string(rune(t)) + "'"
	}
	return fmt.Sprintf("0x%02x", t)
}

// Message is a view of one message's bytes. Its accessors assume Check
// passed (at least the header's 11 bytes).
type Message []byte

func (m Message) Type() byte        { return m[0] }
func (m Message) Locate() uint16    { return binary.BigEndian.Uint16(m[1:]) }
func (m Message) Tracking() uint16  { return binary.BigEndian.Uint16(m[3:]) }
func (m Message) Layout() *Layout   { return layouts[m[0]] }
func (m Message) Timestamp() uint64 { return uint48(m[5:]) }

func uint48(b []byte) uint64 {
	_ = b[5]
	return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
}

func putUint48(b []byte, v uint64) {
	_ = b[5]
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// Stock returns the message's own 8-byte symbol with trailing spaces
// trimmed, or nil if its type carries none.
func (m Message) Stock() []byte {
	l := layouts[m[0]]
	if l == nil || l.StockOff < 0 {
		return nil
	}
	return TrimSymbol(m[l.StockOff : l.StockOff+8])
}

// TrimSymbol drops the space padding of an alpha field.
func TrimSymbol(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}

// Uint reads field f as an unsigned integer (any kind: an alpha field
// reads as its big-endian bytes).
func (m Message) Uint(f *Field) uint64 {
	var v uint64
	for _, c := range m[f.Off : f.Off+f.Len] {
		v = v<<8 | uint64(c)
	}
	return v
}

// Get returns the field of m's layout by name, for tools and tests.
func (m Message) Get(name string) (Field, bool) {
	if l := layouts[m[0]]; l != nil {
		for _, f := range l.Fields {
			if f.Name == name {
				return f, true
			}
		}
	}
	return Field{}, false
}

// Header is the common header, decoded.
type Header struct {
	Type      byte
	Locate    uint16
	Tracking  uint16
	Timestamp uint64 // ns since midnight; 48 bits on the wire
}

// Decoded is a message taken apart field by field: Values[i] belongs to
// Layout.Fields[i]; alpha fields keep their padded bytes in Text.
type Decoded struct {
	Header
	Values []Value
}

// Value is one decoded field.
type Value struct {
	Uint uint64 // integer and price fields
	Text []byte // alpha fields, as on the wire (padded)
}

// Decode takes m apart; it fails exactly when Check does.
func Decode(b []byte) (Decoded, error) {
	if err := Check(b); err != nil {
		return Decoded{}, err
	}
	m := Message(b)
	d := Decoded{Header: Header{Type: m.Type(), Locate: m.Locate(), Tracking: m.Tracking(), Timestamp: m.Timestamp()}}
	for i := range m.Layout().Fields {
		f := &m.Layout().Fields[i]
		if f.Kind == Alpha {
			d.Values = append(d.Values, Value{Text: b[f.Off : f.Off+f.Len]})
		} else {
			d.Values = append(d.Values, Value{Uint: m.Uint(f)})
		}
	}
	return d, nil
}

// Append encodes d onto dst. Alpha values are space-padded or cut to
// their field's width; integers are cut to theirs; the timestamp to 48
// bits.
func Append(dst []byte, d *Decoded) ([]byte, error) {
	l := layouts[d.Type]
	if l == nil {
		return dst, fmt.Errorf("%w %s", ErrUnknown, TypeName(d.Type))
	}
	if len(d.Values) != len(l.Fields) {
		return dst, fmt.Errorf("%s takes %d fields, got %d", TypeName(d.Type), len(l.Fields), len(d.Values))
	}
	off := len(dst)
	dst = append(dst, make([]byte, l.Len)...)
	b := dst[off:]
	b[0] = d.Type
	binary.BigEndian.PutUint16(b[1:], d.Locate)
	binary.BigEndian.PutUint16(b[3:], d.Tracking)
	putUint48(b[5:], d.Timestamp)
	for i, f := range l.Fields {
		v := d.Values[i]
		if f.Kind == Alpha {
			n := copy(b[f.Off:f.Off+f.Len], v.Text)
			for j := f.Off + n; j < f.Off+f.Len; j++ {
				b[j] = ' '
			}
			continue
		}
		u := v.Uint
		for j := f.Off + f.Len - 1; j >= f.Off; j-- {
			b[j] = byte(u)
			u >>= 8
		}
	}
	return dst, nil
}
