package moldudp64

import (
	"math"
	"slices"
)

// Line indices of a Sequencer: the A and B feeds, and retransmissions.
const (
	LineA      = 0
	LineB      = 1
	LineRewind = 2
)

// LineStats counts one line. A line's gaps are its own sequence jumps; the
// messages of those gaps end up recovered (from the other line or a
// retransmission) or lost, which the Sequencer settles as delivery moves
// past them.
type LineStats struct {
	Name       string `json:"line"`
	Packets    int64  `json:"packets"`
	Heartbeats int64  `json:"heartbeats"`
	Messages   int64  `json:"messages"`   // messages this line carried
	Delivered  int64  `json:"delivered"`  // of them, first copies: delivered from this line
	Duplicates int64  `json:"duplicates"` // of them, copies of messages already had (dropped)
	Gaps       int64  `json:"gaps"`       // times this line skipped sequence numbers
	Missed     int64  `json:"missed"`     // messages inside those gaps
	Recovered  int64  `json:"recovered"`  // of the missed, delivered from elsewhere
	Lost       int64  `json:"lost"`       // of the missed, never delivered
	Malformed  int64  `json:"malformed"`  // packets that did not parse (counted by the reader)
	OtherSess  int64  `json:"other_session"`
}

type span struct{ from, to, lost uint64 }

type line struct {
	LineStats
	next uint64 // this line's expected sequence; 0 before its first packet
	open []span // its gaps that delivery has not yet moved past
}

// Sequencer turns the packets of one MoldUDP64 session, from one or two
// lines plus retransmissions, into messages delivered once each and in
// sequence order. The first copy of a sequence number wins; later copies
// are counted as duplicates. Messages after a gap are held until the gap
// is filled or given up (GiveUp), so delivery never reorders.
type Sequencer struct {
	Session    Session
	started    bool
	next       uint64 // next sequence to deliver
	highest    uint64 // one past the highest sequence any line announced
	held       map[uint64][]byte
	minHeld    uint64
	Lines      [3]line
	BeforeJoin uint64 // sequence numbers before the first one seen (not requested)
	Lost       uint64 // sequence numbers given up
	lostSpans  []span // the last given-up ranges, to settle line gaps found late
	Ended      bool   // an end-of-session packet arrived
	MaxHeld    int    // messages held behind a gap before the oldest gap is given up (0: 1<<20)
	Forced     uint64 // messages given up because MaxHeld was reached
}

// NewSequencer returns a Sequencer that starts at the first sequence it
// sees (start 0) or at start (messages before the first seen one are then
// a gap to recover).
func NewSequencer(start uint64) *Sequencer {
	s := &Sequencer{held: map[uint64][]byte{}, minHeld: math.MaxUint64}
	if start > 0 {
		s.started, s.next, s.highest = true, start, start
	}
	s.Lines[0].Name, s.Lines[1].Name, s.Lines[2].Name = "A", "B", "rewind"
	return s
}

// Next is the next sequence number to deliver.
func (s *Sequencer) Next() uint64 { return s.next }

// Packet takes one parsed packet from line l and calls deliver for every
// message it makes deliverable, in order. deliver's msg aliases either
// msgs or the sequencer's copy; it is valid only during the call.
func (s *Sequencer) Packet(l int, h *Header, msgs [][]byte, deliver func(seq uint64, msg []byte)) {
	ln := &s.Lines[l]
	ln.Packets++
	if !s.started {
		s.started, s.next, s.highest, s.Session = true, h.Seq, h.Seq, h.Session
		s.BeforeJoin = h.Seq - min(h.Seq, 1)
	}
	if s.Session == (Session{}) {
		s.Session = h.Session
	}
	n := uint64(len(msgs))
	switch {
	case h.End():
		s.Ended = true
		ln.Heartbeats++
	case h.Heartbeat():
		ln.Heartbeats++
	}
	ln.Messages += int64(n)
	if l != LineRewind {
		if ln.next == 0 {
			ln.next = max(h.Seq, s.next)
		}
		if h.Seq > ln.next {
			ln.Gaps++
			ln.Missed += int64(h.Seq - ln.next)
			ln.open = append(ln.open, span{from: ln.next, to: h.Seq, lost: s.lostIn(ln.next, h.Seq)})
		}
		ln.next = max(ln.next, h.Seq+n)
	}
	s.highest = max(s.highest, h.Seq+n)
	for i, m := range msgs {
		q := h.Seq + uint64(i)
		switch {
		case q < s.next:
			ln.Duplicates++
		case q == s.next:
			ln.Delivered++
			deliver(q, m)
			s.next++
			s.drain(deliver)
		default:
			if _, ok := s.held[q]; ok {
				ln.Duplicates++
				continue
			}
			ln.Delivered++
			s.held[q] = append([]byte(nil), m...)
			s.minHeld = min(s.minHeld, q)
		}
	}
	if max := s.maxHeld(); len(s.held) > max {
		from, to := s.Gap()
		s.Forced += to - from
		s.GiveUp(deliver)
	}
	s.settle()
}

func (s *Sequencer) maxHeld() int {
	if s.MaxHeld > 0 {
		return s.MaxHeld
	}
	return 1 << 20
}

// drain delivers held messages that have become next.
func (s *Sequencer) drain(deliver func(uint64, []byte)) {
	if len(s.held) == 0 || s.minHeld != s.next {
		return
	}
	for {
		m, ok := s.held[s.next]
		if !ok {
			break
		}
		delete(s.held, s.next)
		deliver(s.next, m)
		s.next++
	}
	// The next held sequence: over the held keys, not by counting up from
	// next, which a sequence number far ahead (a corrupt or hostile
	// packet) would make a loop of up to 2^64 steps.
	s.minHeld = math.MaxUint64
	for q := range s.held {
		if q >= s.next {
			s.minHeld = min(s.minHeld, q)
		}
	}
}

// Gap is the missing range [from, to) that delivery waits on; from == to
// when nothing is missing.
func (s *Sequencer) Gap() (from, to uint64) {
	if len(s.held) > 0 {
		return s.next, s.minHeld
	}
	return s.next, max(s.highest, s.next)
}

// Held is how many messages wait behind the gap.
func (s *Sequencer) Held() int { return len(s.held) }

// GiveUp declares the current gap lost and delivers what was held behind
// it up to the next gap.
func (s *Sequencer) GiveUp(deliver func(uint64, []byte)) uint64 {
	from, to := s.Gap()
	if from == to {
		return 0
	}
	s.Lost += to - from
	sp := span{from: from, to: to}
	if len(s.lostSpans) >= 1024 {
		s.lostSpans = s.lostSpans[1:]
	}
	s.lostSpans = append(s.lostSpans, sp)
	for i := range s.Lines {
		for j := range s.Lines[i].open {
			o := &s.Lines[i].open[j]
			o.lost += overlap(o.from, o.to, from, to)
		}
	}
	s.next = to
	s.drain(deliver)
	s.settle()
	return to - from
}

func overlap(a0, a1, b0, b1 uint64) uint64 {
	lo, hi := max(a0, b0), min(a1, b1)
	if hi > lo {
		return hi - lo
	}
	return 0
}

func (s *Sequencer) lostIn(from, to uint64) uint64 {
	var n uint64
	for _, sp := range s.lostSpans {
		n += overlap(from, to, sp.from, sp.to)
	}
	return n
}

// settle moves line gaps that delivery has passed into recovered / lost.
func (s *Sequencer) settle() {
	for i := range s.Lines {
		ln := &s.Lines[i]
		k := 0
		for _, o := range ln.open {
			if o.to > s.next {
				break
			}
			ln.Lost += int64(o.lost)
			ln.Recovered += int64(o.to - o.from - o.lost)
			k++
		}
		ln.open = ln.open[k:]
	}
}

// Done says the session ended and nothing is missing or held.
func (s *Sequencer) Done() bool {
	from, to := s.Gap()
	return s.Ended && from == to
}

// Holes calls fn for each missing range [from, to) between the next
// sequence to deliver and the highest one any line announced, in order.
// It sorts the held sequences (at most MaxHeld), so callers pace how often
// they ask; it never walks the window itself, which a corrupt sequence
// number can make 2^64 long.
func (s *Sequencer) Holes(fn func(from, to uint64)) {
	end := max(s.highest, s.next)
	held := make([]uint64, 0, len(s.held))
	for q := range s.held {
		if q >= s.next && q < end {
			held = append(held, q)
		}
	}
	slices.Sort(held)
	q := s.next
	for _, h := range held {
		if h > q {
			fn(q, h)
		}
		q = h + 1
	}
	if q < end {
		fn(q, end)
	}
}

// LineNext is the sequence number line l expects next: one past the
// highest it has carried (0 before its first packet).
func (s *Sequencer) LineNext(l int) uint64 { return s.Lines[l].next }
