package itch

import (
	"bytes"
	"testing"
)

// FuzzITCHDecode: any bytes either fail Check or decode and re-encode to the
// same bytes; attribution never panics.
func FuzzITCHDecode(f *testing.F) {
	Generate(GenConfig{Symbols: 2, Messages: 60, Seed: 1}, func(m Message) error {
		f.Add(bytes.Clone(m))
		return nil
	})
	f.Add([]byte{})
	f.Add([]byte{'R'})
	var d Directory
	f.Fuzz(func(t *testing.T, b []byte) {
		dec, err := Decode(b)
		if err != nil {
			if Check(b) == nil {
				t.Fatalf("Decode failed, Check passed: %v", err)
			}
			return
		}
		out, err := Append(nil, &dec)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip %x → %x (%v)", b, out, err)
		}
		d.Symbol(Message(b))
	})
}

// FuzzITCHFileReader: framing never panics and offsets only move forward by
// what was consumed.
func FuzzITCHFileReader(f *testing.F) {
	var buf bytes.Buffer
	w := NewFileWriter(&buf)
	Generate(GenConfig{Messages: 20}, func(m Message) error { return w.Write(m) })
	w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte{0, 5, 'S'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewFileReader(bytes.NewReader(b))
		last := int64(-1)
		for {
			m, off, err := r.Next()
			if err != nil {
				return
			}
			if off <= last || off+2+int64(len(m)) > int64(len(b)) {
				t.Fatalf("offset %d after %d, message of %d in %d bytes", off, last, len(m), len(b))
			}
			last = off
		}
	})
}
