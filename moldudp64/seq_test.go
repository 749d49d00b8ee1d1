package moldudp64

import (
	"fmt"
	"testing"
)

// feed sends messages [from, to) as one-message packets on line l,
// skipping the sequence numbers in drop.
func feedLine(s *Sequencer, l int, from, to uint64, drop map[uint64]bool, got *[]uint64) {
	for q := from; q < to; q++ {
		if drop[q] {
			continue
		}
		h := Header{Seq: q, Count: 1}
		s.Packet(l, &h, [][]byte{[]byte(fmt.Sprint(q))}, func(seq uint64, m []byte) {
			if string(m) != fmt.Sprint(seq) {
				panic("message does not match its sequence")
			}
			*got = append(*got, seq)
		})
	}
}

func inOrder(t *testing.T, got []uint64, from uint64, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("delivered %d, want %d", len(got), n)
	}
	for i, q := range got {
		if q != from+uint64(i) {
			t.Fatalf("delivery %d is seq %d", i, q)
		}
	}
}

func TestArbitrationOneLineDrops(t *testing.T) {
	s := NewSequencer(0)
	var got []uint64
	// A and B interleaved per packet, A missing 3..5: B fills it.
	for q := uint64(1); q <= 10; q++ {
		feedLine(s, LineA, q, q+1, map[uint64]bool{3: true, 4: true, 5: true}, &got)
		feedLine(s, LineB, q, q+1, nil, &got)
	}
	inOrder(t, got, 1, 10)
	a, b := s.Lines[LineA], s.Lines[LineB]
	if a.Gaps != 1 || a.Missed != 3 || a.Recovered != 3 || a.Lost != 0 || s.Lost != 0 {
		t.Errorf("A %+v lost %d", a, s.Lost)
	}
	if a.Delivered+b.Delivered != 10 || a.Duplicates+b.Duplicates != 7 {
		t.Errorf("A %+v B %+v", a, b)
	}
}

func TestGapOnBothLinesRewindAndLoss(t *testing.T) {
	s := NewSequencer(0)
	var got []uint64
	drop := map[uint64]bool{4: true, 5: true, 8: true}
	feedLine(s, LineA, 1, 11, drop, &got)
	feedLine(s, LineB, 1, 11, drop, &got)
	if from, to := s.Gap(); from != 4 || to != 6 || s.Held() != 4 {
		t.Fatalf("gap %d..%d held %d", from, to, s.Held())
	}
	inOrder(t, got, 1, 3)
	// The rewind server sends 4 and 5; 8 stays missing.
	feedLine(s, LineRewind, 4, 6, nil, &got)
	inOrder(t, got, 1, 7)
	if from, to := s.Gap(); from != 8 || to != 9 {
		t.Fatalf("gap %d..%d", from, to)
	}
	if n := s.GiveUp(func(q uint64, m []byte) { got = append(got, q) }); n != 1 {
		t.Fatalf("gave up %d", n)
	}
	if len(got) != 9 || s.Lost != 1 || s.Next() != 11 {
		t.Fatalf("got %v lost %d next %d", got, s.Lost, s.Next())
	}
	for _, l := range []int{LineA, LineB} {
		ln := s.Lines[l]
		if ln.Gaps != 2 || ln.Missed != 3 || ln.Recovered != 2 || ln.Lost != 1 {
			t.Errorf("line %s %+v", ln.Name, ln)
		}
	}
	if s.Lines[LineRewind].Delivered != 2 {
		t.Errorf("rewind %+v", s.Lines[LineRewind])
	}
}

func TestHeartbeatRevealsTailGap(t *testing.T) {
	s := NewSequencer(0)
	var got []uint64
	feedLine(s, LineA, 1, 4, nil, &got)
	h := Header{Seq: 7}
	s.Packet(LineA, &h, nil, nil)
	if from, to := s.Gap(); from != 4 || to != 7 {
		t.Fatalf("gap %d..%d", from, to)
	}
	e := Header{Seq: 7, Count: EndOfSession}
	s.Packet(LineA, &e, nil, nil)
	if s.Done() {
		t.Fatal("done with a gap open")
	}
	s.GiveUp(nil)
	if !s.Done() || s.Lost != 3 || s.Lines[LineA].Lost != 3 {
		t.Fatalf("done %v lost %d %+v", s.Done(), s.Lost, s.Lines[LineA])
	}
}

func TestLateJoinAndMaxHeld(t *testing.T) {
	s := NewSequencer(0)
	s.MaxHeld = 4
	var got []uint64
	feedLine(s, LineA, 100, 101, nil, &got)
	if s.BeforeJoin != 99 {
		t.Errorf("before join %d", s.BeforeJoin)
	}
	feedLine(s, LineA, 103, 110, nil, &got)
	if s.Forced != 2 || s.Lost != 2 || len(got) != 8 {
		t.Errorf("forced %d lost %d got %v", s.Forced, s.Lost, got)
	}
}

// A late joiner that wants the session from 1 sees the messages before
// its first packet as a gap to recover, not as before_join.
func TestStartFromOne(t *testing.T) {
	s := NewSequencer(1)
	var got []uint64
	feedLine(s, LineA, 50, 60, nil, &got)
	if from, to := s.Gap(); from != 1 || to != 50 || len(got) != 0 || s.BeforeJoin != 0 {
		t.Fatalf("gap %d..%d got %d before %d", from, to, len(got), s.BeforeJoin)
	}
	feedLine(s, LineRewind, 1, 50, nil, &got)
	inOrder(t, got, 1, 59)
}

// TestFarAheadSequence: a packet numbered far ahead (corrupt, or a
// hostile sender) is held like any other; giving up the gap before it and
// listing the holes take time in what is held, not in the distance (the
// old walk from next counted up to it: FuzzPcapSource hung on one).
func TestFarAheadSequence(t *testing.T) {
	s := NewSequencer(0)
	var got []uint64
	feedLine(s, LineA, 1, 3, nil, &got)             // 1, 2 delivered
	feedLine(s, LineA, 5, 6, nil, &got)             // 5 held: a gap 3..4
	feedLine(s, LineA, 1<<62, 1<<62+1, nil, &got)   // far ahead, held
	feedLine(s, LineA, 1<<62+5, 1<<62+6, nil, &got) // and past it
	var holes [][2]uint64
	s.Holes(func(from, to uint64) { holes = append(holes, [2]uint64{from, to}) })
	want := [][2]uint64{{3, 5}, {6, 1 << 62}, {1<<62 + 1, 1<<62 + 5}}
	if fmt.Sprint(holes) != fmt.Sprint(want) {
		t.Fatalf("holes %v, want %v", holes, want)
	}
	if lost := s.GiveUp(func(q uint64, _ []byte) { got = append(got, q) }); lost != 2 {
		t.Fatalf("gave up %d, want the 2 before seq 5", lost)
	}
	if from, to := s.Gap(); from != 6 || to != 1<<62 || fmt.Sprint(got) != "[1 2 5]" {
		t.Fatalf("gap [%d, %d), delivered %v: want [6, 2^62) next and 1 2 5", from, to, got)
	}
}
