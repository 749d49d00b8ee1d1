package moldudp64

import (
	"bytes"
	"testing"
)

// FuzzMoldPacket: a packet that parses re-encodes to the same bytes; nothing
// panics.
func FuzzMoldPacket(f *testing.F) {
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

// FuzzMoldSequencer: any interleaving of packets on A, B and rewind delivers
// each sequence number at most once, in order, and accounts for every
// one: delivered + lost + held == the window seen.
func FuzzMoldSequencer(f *testing.F) {
	f.Add([]byte{0, 1, 3, 1, 1, 3, 2, 4, 2, 0, 9, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewSequencer(0)
		s.MaxHeld = 64
		var last uint64
		var delivered uint64
		dv := func(q uint64, m []byte) {
			if q <= last && delivered > 0 {
				t.Fatalf("seq %d after %d", q, last)
			}
			last = q
			delivered++
		}
		for i := 0; i+2 < len(b); i += 3 {
			line := int(b[i] % 3)
			seq := 1 + uint64(b[i+1])
			n := int(b[i+2] % 8)
			if b[i+2] == 0xff {
				s.GiveUp(dv)
				continue
			}
			msgs := make([][]byte, n)
			for j := range msgs {
				msgs[j] = []byte{byte(seq + uint64(j))}
			}
			h := Header{Seq: seq, Count: uint16(n)}
			s.Packet(line, &h, msgs, dv)
		}
		for from, to := s.Gap(); from != to; from, to = s.Gap() {
			s.GiveUp(dv)
		}
		start := s.BeforeJoin + 1
		if s.Next() > start && delivered+s.Lost != s.Next()-start {
			t.Fatalf("delivered %d + lost %d ≠ %d..%d", delivered, s.Lost, start, s.Next())
		}
		for _, l := range s.Lines[:2] {
			if l.Missed != l.Recovered+l.Lost {
				t.Fatalf("line %s: missed %d ≠ recovered %d + lost %d", l.Name, l.Missed, l.Recovered, l.Lost)
			}
		}
	})
}
