package itch

import "fmt"

// Attribution says whom a message is about.
type Attribution byte

const (
	Attributed  Attribution = iota // a stock: its own symbol or its locate's
	MarketWide                     // S, V, W: the whole market
	NoDirectory                    // a locate no Stock Directory message has named yet
)

// Directory maps the day's stock locates to symbols, learnt from Stock
// Directory (R) messages, so messages that name their stock only by
// locate (E, C, X, D, U, B) are attributed to it. The zero value is
// empty and ready; it is about 600 KiB, so keep one per feed.
type Directory struct {
	syms [1 << 16]struct {
		b [8]byte
		n uint8
	}
	known int
}

// Observe learns from m if it is a Stock Directory message.
func (d *Directory) Observe(m Message) {
	if m[0] != 'R' || len(m) < 19 {
		return
	}
	s := &d.syms[m.Locate()]
	if s.n == 0 {
		d.known++
	}
	sym := TrimSymbol(m[11:19])
	s.n = uint8(copy(s.b[:], sym))
	if s.n == 0 { // an all-blank symbol: keep the locate known
		s.b[0], s.n = ' ', 1
	}
}

// Known is how many locates the directory has names for.
func (d *Directory) Known() int { return d.known }

// Lookup returns the symbol of a locate, or nil.
func (d *Directory) Lookup(locate uint16) []byte {
	s := &d.syms[locate]
	return s.b[:s.n:s.n]
}

// Symbol observes m and returns the stock it is about: its own symbol
// field, else its locate's symbol from the directory. The result aliases
// m or d.
func (d *Directory) Symbol(m Message) ([]byte, Attribution) {
	d.Observe(m)
	l := layouts[m[0]]
	switch {
	case l != nil && l.StockOff >= 0:
		return TrimSymbol(m[l.StockOff : l.StockOff+8]), Attributed
	case m[0] == 'S' || m[0] == 'V' || m[0] == 'W':
		return nil, MarketWide
	}
	if s := d.Lookup(m.Locate()); len(s) > 0 {
		return s, Attributed
	}
	return nil, NoDirectory
}

// Problem is one message that could not be used, and where it was.
type Problem struct {
	File   string `json:"file,omitempty"`
	Offset int64  `json:"offset"`           // byte offset in the file (of the decompressed stream for gzip)
	Packet int64  `json:"packet,omitempty"` // in a capture: the packet's number, from 1 (Wireshark's frame number)
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	if p.Packet > 0 {
		return fmt.Sprintf("%s: packet %d: %s", p.File, p.Packet, p.Detail)
	}
	return fmt.Sprintf("%s: offset %d: %s", p.File, p.Offset, p.Detail)
}

// MaxProblems is how many problems Stats keeps in detail; all are counted.
const MaxProblems = 100

// Stats counts a day of messages by type and what was wrong with them.
type Stats struct {
	Messages     int64      // well-formed messages
	ByType       [256]int64 // well-formed messages per type byte
	Unknown      int64      // messages of a type ITCH 5.0 does not have
	BadLength    int64      // known types at the wrong length
	Unattributed int64      // well-formed messages whose locate no R message named
	Problems     []Problem  // the first MaxProblems bad messages
}

// Add records a problem, keeping the first MaxProblems in detail.
func (s *Stats) Add(p Problem) {
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, p)
	}
}

// Bad is how many messages were unusable.
func (s *Stats) Bad() int64 { return s.Unknown + s.BadLength }
