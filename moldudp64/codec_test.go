package moldudp64

import (
	"bytes"
	"errors"
	"testing"
)

func TestPacketRoundTrip(t *testing.T) {
	s := MakeSession("TEST01")
	msgs := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte{7}, 300)}
	b := AppendPacket(nil, s, 42, msgs)
	if len(b) != PacketLen(msgs) || len(b) != 20+2+5+2+2+300 {
		t.Fatalf("len %d", len(b))
	}
	h, got, err := Parse(b, nil)
	if err != nil || h.Session != s || h.Seq != 42 || h.Count != 3 || len(got) != 3 {
		t.Fatalf("%+v %d %v", h, len(got), err)
	}
	for i := range msgs {
		if !bytes.Equal(got[i], msgs[i]) {
			t.Errorf("message %d: %x", i, got[i])
		}
	}
	if s.String() != "TEST01" {
		t.Errorf("session %q", s.String())
	}
	f := func(b []byte, want error) {
		t.Helper()
		if _, _, err := Parse(b, nil); !errors.Is(err, want) {
			t.Errorf("Parse(%x): %v, want %v", b, err, want)
		}
	}
	f(b[:19], ErrShort)
	f(b[:len(b)-1], ErrBlocks)
	f(append(b, 0), ErrTrailing)
	f(b[:21], ErrBlocks)
	hb := AppendHeartbeat(nil, s, 9)
	if h, m, err := Parse(hb, nil); err != nil || !h.Heartbeat() || h.Seq != 9 || len(m) != 0 {
		t.Errorf("heartbeat %+v %v", h, err)
	}
	end := AppendEnd(nil, s, 10)
	if h, _, err := Parse(end, nil); err != nil || !h.End() || h.Messages() != 0 {
		t.Errorf("end %+v %v", h, err)
	}
	r := Request{Session: s, Seq: 5, Count: 7}
	if got, err := ParseRequest(AppendRequest(nil, r)); err != nil || got != r {
		t.Errorf("request %+v %v", got, err)
	}
	if _, err := ParseRequest(hb[:19]); !errors.Is(err, ErrRequest) {
		t.Errorf("short request: %v", err)
	}
}
