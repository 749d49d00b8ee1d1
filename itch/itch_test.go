package itch

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The specification's total lengths (TotalView-ITCH 5.0, section 4),
// written out independently of the layout table.
var specLens = map[byte]int{
	'S': 12, 'R': 39, 'H': 25, 'Y': 20, 'L': 26, 'V': 35, 'W': 12, 'K': 28, 'J': 35, 'h': 21,
	'A': 36, 'F': 40, 'E': 31, 'C': 36, 'X': 23, 'D': 19, 'U': 35, 'P': 44, 'Q': 40, 'B': 19,
	'I': 50, 'N': 20, 'O': 48,
}

func TestLayoutLengths(t *testing.T) {
	if len(Types) != len(specLens) {
		t.Fatalf("%d types, want %d", len(Types), len(specLens))
	}
	for typ, want := range specLens {
		l := LayoutOf(typ)
		if l == nil {
			t.Errorf("%c: no layout", typ)
			continue
		}
		if l.Len != want {
			t.Errorf("%c %s: %d bytes, want %d", typ, l.Name, l.Len, want)
		}
		end := HeaderLen
		for _, f := range l.Fields {
			if f.Off != end {
				t.Errorf("%c %s: field %s at %d, want %d", typ, l.Name, f.Name, f.Off, end)
			}
			end += f.Len
		}
	}
	for t2 := 0; t2 < 256; t2++ {
		if _, ok := specLens[byte(t2)]; !ok && LayoutOf(byte(t2)) != nil {
			t.Errorf("%c has a layout the specification does not", t2)
		}
	}
}

// Stock offsets where the specification puts the symbol, and none where
// it names the stock by locate only.
func TestStockOffsets(t *testing.T) {
	want := map[byte]int{'R': 11, 'H': 11, 'Y': 11, 'L': 15, 'K': 11, 'J': 11, 'h': 11, 'A': 24, 'F': 24,
		'P': 24, 'Q': 19, 'I': 28, 'N': 11, 'O': 11}
	for _, typ := range Types {
		off, ok := want[typ]
		if !ok {
			off = -1
		}
		if got := LayoutOf(typ).StockOff; got != off {
			t.Errorf("%c: stock at %d, want %d", typ, got, off)
		}
	}
}

func TestCheck(t *testing.T) {
	f := func(b []byte, want error) {
		t.Helper()
		if err := Check(b); !errors.Is(err, want) && !(err == nil && want == nil) {
			t.Errorf("Check(%q) = %v, want %v", b, err, want)
		}
	}
	f(nil, ErrEmpty)
	f([]byte("z0123456789"), ErrUnknown)
	f(make([]byte, 19), ErrUnknown) // type 0
	d := append([]byte{'D'}, make([]byte, 18)...)
	f(d, nil)
	f(d[:18], ErrLength)
	f(append(d, 0), ErrLength)
}

// A message hand-built from the specification's field table (Add Order:
// type, locate, tracking, timestamp, ref, side, shares, stock, price).
func TestAddOrderFields(t *testing.T) {
	b := []byte{'A', 0, 7, 0, 3, 0, 0, 0x0b, 0xeb, 0xc2, 0x00, // ts 51,200,000,000 ns? see below
		0, 0, 0, 0, 0, 0, 0x30, 0x39, 'B', 0, 0, 0x01, 0xf4, 'A', 'A', 'P', 'L', ' ', ' ', ' ', ' ', 0, 0x18, 0x6a, 0x10}
	if err := Check(b); err != nil {
		t.Fatal(err)
	}
	m := Message(b)
	if m.Locate() != 7 || m.Tracking() != 3 || m.Timestamp() != 0x0bebc200 {
		t.Errorf("header %d %d %d", m.Locate(), m.Tracking(), m.Timestamp())
	}
	if string(m.Stock()) != "AAPL" {
		t.Errorf("stock %q", m.Stock())
	}
	get := func(name string) uint64 {
		f, ok := m.Get(name)
		if !ok {
			t.Fatalf("no field %s", name)
		}
		return m.Uint(&f)
	}
	if get("order_ref") != 12345 || get("shares") != 500 || get("price") != 1600016 || get("side") != 'B' {
		t.Errorf("fields ref %d shares %d price %d side %c", get("order_ref"), get("shares"), get("price"), get("side"))
	}
}

func TestDirectoryAttribution(t *testing.T) {
	var d Directory
	var msgs [][]byte
	if err := Generate(GenConfig{Symbols: 5, Messages: 3000, Seed: 9}, func(m Message) error {
		msgs = append(msgs, bytes.Clone(m))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Order refs map to the stock of their Add, so E/C/X/D/U attribution
	// can be checked against the order book the generator built.
	refSym := map[uint64]string{}
	seen := map[byte]int{}
	for _, b := range msgs {
		m := Message(b)
		if err := Check(b); err != nil {
			t.Fatal(err)
		}
		seen[m.Type()]++
		sym, a := d.Symbol(m)
		switch m.Type() {
		case 'S', 'V', 'W':
			if a != MarketWide {
				t.Errorf("%c attributed %v", m.Type(), a)
			}
			continue
		case 'A', 'F':
			f, _ := m.Get("order_ref")
			refSym[m.Uint(&f)] = string(sym)
		case 'E', 'C', 'X', 'D':
			f, _ := m.Get("order_ref")
			if want := refSym[m.Uint(&f)]; string(sym) != want {
				t.Errorf("%c ref %d: %q, want %q", m.Type(), m.Uint(&f), sym, want)
			}
		case 'U':
			f, _ := m.Get("original_ref")
			nf, _ := m.Get("new_ref")
			if want := refSym[m.Uint(&f)]; string(sym) != want {
				t.Errorf("U: %q, want %q", sym, want)
			}
			refSym[m.Uint(&nf)] = string(sym)
		}
		if a != Attributed || len(sym) == 0 {
			t.Errorf("%c locate %d: %q %v", m.Type(), m.Locate(), sym, a)
		}
	}
	for _, typ := range Types {
		if seen[typ] == 0 {
			t.Errorf("generated day has no %c message", typ)
		}
	}
	if d.Known() != 5 {
		t.Errorf("directory knows %d locates, want 5", d.Known())
	}
	var fresh Directory
	if _, a := fresh.Symbol(Message(append([]byte{'D', 0, 9}, make([]byte, 16)...))); a != NoDirectory {
		t.Errorf("unknown locate attributed %v", a)
	}
}

func TestFileFraming(t *testing.T) {
	var buf bytes.Buffer
	w := NewFileWriter(&buf)
	var want [][]byte
	Generate(GenConfig{Messages: 200}, func(m Message) error {
		want = append(want, bytes.Clone(m))
		return w.Write(m)
	})
	w.Flush()
	raw := buf.Bytes()
	r := NewFileReader(bytes.NewReader(raw))
	off := int64(0)
	for i := 0; ; i++ {
		m, at, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d messages, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if at != off || !bytes.Equal(m, want[i]) {
			t.Fatalf("message %d at %d (want %d): %x, want %x", i, at, off, m, want[i])
		}
		off += 2 + int64(len(m))
	}
	// Cut inside the last message: the error says where that message began.
	r = NewFileReader(bytes.NewReader(raw[:len(raw)-3]))
	var err error
	for err == nil {
		_, _, err = r.Next()
	}
	if !errors.Is(err, ErrTruncated) || !bytes.Contains([]byte(err.Error()), []byte("offset")) {
		t.Fatalf("truncated file: %v", err)
	}
}

func TestRoundTripEveryType(t *testing.T) {
	n := 0
	Generate(GenConfig{Messages: 2000, Seed: 3}, func(m Message) error {
		d, err := Decode(m)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Append(nil, &d)
		if err != nil || !bytes.Equal(out, m) {
			t.Fatalf("%c: %x → %x (%v)", m.Type(), m, out, err)
		}
		n++
		return nil
	})
	if n < 2000 {
		t.Fatalf("%d messages", n)
	}
}
