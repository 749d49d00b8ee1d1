package moldudp64

import (
	"bytes"
	"testing"
)

// FuzzParse: a packet that parses re-encodes to the same bytes; nothing
// panics.
func FuzzParse(f *testing.F) {
	s := MakeSession("FUZZ")
	f.Add(AppendPacket(nil, s, 1, [][]byte{[]byte("abc"), []byte("de")}))
	f.Add(AppendHeartbeat(nil, s, 3))
	f.Add(AppendEnd(nil, s, 3))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, msgs, err := Parse(b, nil)
		if err != nil {
			return
		}
		var out []byte
		switch {
		case h.End():
			out = AppendEnd(nil, h.Session, h.Seq)
		default:
			out = AppendPacket(nil, h.Session, h.Seq, msgs)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip %x → %x", b, out)
		}
		if r, err := ParseRequest(b); err == nil && !bytes.Equal(AppendRequest(nil, r), b) {
			t.Fatalf("request round trip %x", b)
		}
	})
}
