package itch

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// GenConfig sets up a synthetic, specification-valid ITCH 5.0 day for
// tests and for users testing their own feed handlers. Zero values are
// documented per field.
type GenConfig struct {
	Symbols  int    // distinct stocks (0: 8); at most 65535
	Messages int    // order-flow messages after the opening directory (0: 10000)
	Seed     uint64 // the same config and seed give the same messages
}

func (c GenConfig) withDefaults() GenConfig {
	if c.Symbols == 0 {
		c.Symbols = 8
	}
	if c.Messages == 0 {
		c.Messages = 10000
	}
	return c
}

// Validate checks c's values (zero values are defaults).
func (c GenConfig) Validate() error {
	c = c.withDefaults()
	if c.Symbols < 1 || c.Symbols > 65535 || c.Messages < 0 {
		return fmt.Errorf("gen: %d symbols, %d messages: want 1..65535 symbols", c.Symbols, c.Messages)
	}
	return nil
}

// Generate emits a day: system events (start of messages, market hours,
// end of messages), a Stock Directory message per stock, and order flow
// in which every ITCH 5.0 message type appears at least once; executions,
// cancels, deletes and replaces refer to live orders, so the day reads as
// a consistent book. Timestamps rise from 04:00 to 20:00. The message
// passed to emit is reused after emit returns.
func Generate(cfg GenConfig, emit func(Message) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	g := &gen{rng: rand.New(rand.NewPCG(cfg.Seed, 0x17c4)), emit: emit, ts: uint64(4 * time.Hour)}
	span := uint64(16*time.Hour) / uint64(cfg.Messages+4*cfg.Symbols+64)
	g.step = max(span, 1)
	g.sys('O')
	for i := 1; i <= cfg.Symbols; i++ {
		g.syms = append(g.syms, fmt.Sprintf("S%03d", i))
		g.directory(uint16(i))
	}
	// One of each administrative type, so a day always has every type.
	g.msg('H', 1, g.sym(1), 'T', ' ', "    ")
	g.msg('Y', 1, g.sym(1), '0')
	g.msg('L', 1, "MMID", g.sym(1), 'Y', 'N', 'A')
	g.msg('V', 0, uint64(3000_00000000), uint64(2800_00000000), uint64(2500_00000000))
	g.msg('K', 1, g.sym(1), uint32(34200), 'A', uint32(100000))
	g.msg('J', 1, g.sym(1), uint32(1000000), uint32(1050000), uint32(950000), uint32(1))
	g.msg('h', 1, g.sym(1), 'Q', 'H')
	g.msg('N', 1, g.sym(1), 'B')
	g.msg('O', 1, g.sym(1), 'Y', uint32(900000), uint32(1100000), uint32(1000000), uint64(g.ts), uint32(950000), uint32(1050000))
	g.sys('S')
	g.sys('Q')
	for n := 0; n < cfg.Messages; n++ {
		g.flow()
	}
	g.msg('W', 0, '1')
	g.msg('B', 1, g.match)
	g.msg('I', 1, uint64(1000), uint64(200), 'B', g.sym(1), uint32(1000000), uint32(1000100), uint32(1000050), 'C', 'L')
	g.msg('Q', 1, uint64(5000), g.sym(1), uint32(1000000), g.nextMatch(), 'C')
	g.sys('M')
	g.sys('E')
	g.sys('C')
	return g.err
}

type order struct {
	ref    uint64
	locate uint16
	shares uint32
	price  uint32
}

type gen struct {
	rng    *rand.Rand
	emit   func(Message) error
	err    error
	ts     uint64
	step   uint64
	track  uint16
	syms   []string
	ref    uint64
	match  uint64
	live   []order
	buf    []byte
	values []Value
}

func (g *gen) sym(locate uint16) string { return g.syms[locate-1] }
func (g *gen) nextMatch() uint64        { g.match++; return g.match }
func (g *gen) sys(code byte)            { g.msg('S', 0, code) }

func (g *gen) directory(locate uint16) {
	g.msg('R', locate, g.sym(locate), 'Q', 'N', uint32(100), 'N', 'C', "Z ", 'P', 'N', 'N', '1', 'N', uint32(0), 'N')
}

// msg builds one message from its fields in layout order: strings and
// bytes for alpha fields, integers for the rest.
func (g *gen) msg(t byte, locate uint16, vals ...any) {
	if g.err != nil {
		return
	}
	g.ts += g.step/2 + uint64(g.rng.Int64N(int64(g.step)+1))
	g.track++
	g.values = g.values[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			g.values = append(g.values, Value{Text: []byte(v)})
		case byte:
			g.values = append(g.values, Value{Text: []byte{v}})
		case rune: // an untyped character constant
			g.values = append(g.values, Value{Text: []byte{byte(v)}})
		case uint32:
			g.values = append(g.values, Value{Uint: uint64(v)})
		case uint64:
			g.values = append(g.values, Value{Uint: v})
		default:
			panic(fmt.Sprintf("gen: field type %T", v))
		}
	}
	d := Decoded{Header: Header{Type: t, Locate: locate, Tracking: g.track, Timestamp: g.ts}, Values: g.values}
	g.buf, g.err = Append(g.buf[:0], &d)
	if g.err == nil {
		g.err = g.emit(Message(g.buf))
	}
}

// flow emits one order-flow message: mostly adds while the book is thin,
// then a mix of executions, cancels, deletes, replaces and trades.
func (g *gen) flow() {
	r := g.rng.IntN(100)
	if len(g.live) < 4 || r < 40 {
		locate := uint16(1 + g.rng.IntN(len(g.syms)))
		g.ref++
		o := order{ref: g.ref, locate: locate, shares: uint32(100 * (1 + g.rng.IntN(10))), price: uint32(100000 + g.rng.IntN(900000))}
		side := "BS"[g.rng.IntN(2)]
		if r%5 == 0 {
			g.msg('F', locate, o.ref, side, o.shares, g.sym(locate), o.price, "MPID")
		} else {
			g.msg('A', locate, o.ref, side, o.shares, g.sym(locate), o.price)
		}
		g.live = append(g.live, o)
		return
	}
	i := g.rng.IntN(len(g.live))
	o := &g.live[i]
	switch {
	case r < 55:
		n := min(o.shares, 100)
		g.msg('E', o.locate, o.ref, n, g.nextMatch())
		o.shares -= n
	case r < 62:
		n := min(o.shares, 100)
		g.msg('C', o.locate, o.ref, n, g.nextMatch(), 'Y', o.price+100)
		o.shares -= n
	case r < 72:
		n := min(o.shares, 100)
		g.msg('X', o.locate, o.ref, n)
		o.shares -= n
	case r < 82:
		g.msg('D', o.locate, o.ref)
		o.shares = 0
	case r < 92:
		g.ref++
		g.msg('U', o.locate, o.ref, g.ref, o.shares, o.price+100)
		o.ref, o.price = g.ref, o.price+100
	default:
		g.msg('P', o.locate, uint64(0), 'B', uint32(100), g.sym(o.locate), o.price, g.nextMatch())
	}
	if o.shares == 0 {
		g.live[i] = g.live[len(g.live)-1]
		g.live = g.live[:len(g.live)-1]
	}
}
