package moldudp64

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

var contextBG = context.Background()

// SenderConfig sets up a Sender. Zero values are documented per field.
type SenderConfig struct {
	Session Session // the session name in every packet (zero: ten zero bytes)
	Lines   []Line  // one or two (A, B) lines carrying the same packets; required
	TTL     int     // multicast TTL (0: 1, this subnet)
	// Rewind is the request server's UDP address, HOST:PORT (empty: no
	// retransmissions).
	Rewind    string
	Heartbeat time.Duration // heartbeat when idle this long (0: 1s)
	History   int           // messages kept for retransmission (0: 4M)
	// Drop leaves out this fraction of packets on line i, chosen by
	// DropSeed: for tests of the receiving side (0: none). Heartbeats and
	// the end of session are never dropped.
	Drop     [2]float64
	DropSeed uint64
	Logf     func(format string, args ...any) // nil discards
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	Session       string  `json:"session"`
	Messages      int64   `json:"messages"`
	Packets       int64   `json:"packets"`
	Heartbeats    int64   `json:"heartbeats"`
	Lines         []int64 `json:"packets_per_line"`
	Dropped       []int64 `json:"test_dropped_packets_per_line,omitempty"`
	DroppedBoth   int64   `json:"test_dropped_messages_on_every_line"` // messages no line carried: what a receiver without rewind must report lost
	Requests      int64   `json:"rewind_requests"`
	Retransmitted int64   `json:"rewind_messages"`
	Unavailable   int64   `json:"rewind_unavailable"` // requested messages outside the history (or not yet sent)
	Rewind        string  `json:"rewind,omitempty"`
}

// Sender sends messages as MoldUDP64 packets on one or two multicast
// lines and answers retransmission requests. Send and End belong to one
// goroutine; Stats and Close are safe from any.
type Sender struct {
	cfg   SenderConfig
	conns []*net.UDPConn
	dsts  []*net.UDPAddr
	rw    *net.UDPConn
	rng   *rand.Rand

	mu       sync.Mutex // seq, history, socket writes
	seq      uint64     // next sequence number
	hist     [][]byte   // retransmission history: sequence histBase+i at hist[i]
	histBase uint64
	chunk    []byte // the history chunk being filled
	pending  [][]byte
	pendLen  int // PacketLen(pending)
	pktBuf   []byte
	last     time.Time
	st       SenderStats

	stop chan struct{}
	wg   sync.WaitGroup
	shut atomic.Bool
}

// Validate checks c's values (zero values are defaults; Lines is
// required).
func (c SenderConfig) Validate() error {
	switch {
	case len(c.Lines) == 0 || len(c.Lines) > 2:
		return fmt.Errorf("%d lines: want 1 or 2", len(c.Lines))
	case c.Drop[0] < 0 || c.Drop[0] > 1 || c.Drop[1] < 0 || c.Drop[1] > 1:
		return fmt.Errorf("drop fractions %v: want each in [0, 1]", c.Drop)
	}
	return nil
}

// NewSender opens the lines' sockets and the request server.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.History <= 0 {
		cfg.History = 1 << 22
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Sender{cfg: cfg, seq: 1, histBase: 1, stop: make(chan struct{}),
		rng: rand.New(rand.NewPCG(cfg.DropSeed, 0x6d6f6c64))}
	s.st.Session = cfg.Session.String()
	s.st.Lines = make([]int64, len(cfg.Lines))
	if cfg.Drop != [2]float64{} {
		s.st.Dropped = make([]int64, len(cfg.Lines))
	}
	for _, l := range cfg.Lines {
		c, dst, err := dialGroup(l, cfg.TTL)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.conns, s.dsts = append(s.conns, c), append(s.dsts, dst)
	}
	if cfg.Rewind != "" {
		a, err := net.ResolveUDPAddr("udp4", cfg.Rewind)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("rewind=%s: %v", cfg.Rewind, err)
		}
		if s.rw, err = net.ListenUDP("udp4", a); err != nil {
			s.Close()
			return nil, fmt.Errorf("request server on %s: %v", cfg.Rewind, err)
		}
		s.st.Rewind = s.rw.LocalAddr().String()
		s.wg.Add(1)
		go s.serve()
	}
	s.last, s.pendLen = time.Now(), HeaderLen
	s.wg.Add(1)
	go s.heartbeats()
	return s, nil
}

// RewindAddr is the request server's bound address ("" if none).
func (s *Sender) RewindAddr() string {
	if s.rw == nil {
		return ""
	}
	return s.rw.LocalAddr().String()
}

// Send queues messages into packets, sending each packet as it fills;
// Flush sends the last partial one. Messages are copied.
func (s *Sender) Send(msgs [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if len(m) > MaxPayload-HeaderLen-2 {
			return fmt.Errorf("message of %d bytes does not fit a packet", len(m))
		}
		if s.pendLen+2+len(m) > MaxPayload {
			if err := s.flushLocked(); err != nil {
				return err
			}
		}
		s.pending = append(s.pending, s.keep(m))
		s.pendLen += 2 + len(m)
	}
	return nil
}

// keep stores a copy of a message sent next in the history (the oldest
// half is dropped when it is full) and returns the copy.
func (s *Sender) keep(m []byte) []byte {
	if len(s.hist) >= s.cfg.History {
		half := len(s.hist) / 2
		s.histBase += uint64(half)
		s.hist = append(s.hist[:0:0], s.hist[half:]...)
	}
	// Copies go into 1 MiB chunks, not one allocation each; a chunk is
	// freed once the history no longer refers to any of its messages.
	if cap(s.chunk)-len(s.chunk) < len(m) {
		s.chunk = make([]byte, 0, max(1<<20, len(m)))
	}
	off := len(s.chunk)
	s.chunk = append(s.chunk, m...)
	c := s.chunk[off:len(s.chunk):len(s.chunk)]
	s.hist = append(s.hist, c)
	return c
}

// Flush sends the partly filled packet, if any.
func (s *Sender) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Sender) flushLocked() error {
	if len(s.pending) == 0 {
		return nil
	}
	s.pktBuf = AppendPacket(s.pktBuf[:0], s.cfg.Session, s.seq, s.pending)
	n := len(s.pending)
	s.seq += uint64(n)
	s.pending, s.pendLen = s.pending[:0], HeaderLen
	sent := 0
	for i, c := range s.conns {
		if s.cfg.Drop[i] > 0 && s.rng.Float64() < s.cfg.Drop[i] {
			s.st.Dropped[i]++
			continue
		}
		if _, err := c.WriteToUDP(s.pktBuf, s.dsts[i]); err != nil {
			return fmt.Errorf("sending to %s: %v", s.cfg.Lines[i], err)
		}
		s.st.Lines[i]++
		sent++
	}
	if sent == 0 {
		s.st.DroppedBoth += int64(n)
	}
	s.st.Packets++
	s.st.Messages += int64(n)
	s.last = time.Now()
	return nil
}

func (s *Sender) sendAll(b []byte) {
	for i, c := range s.conns {
		c.WriteToUDP(b, s.dsts[i])
	}
}

func (s *Sender) heartbeats() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Heartbeat / 4)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if time.Since(s.last) >= s.cfg.Heartbeat && len(s.pending) == 0 {
			s.sendAll(AppendHeartbeat(nil, s.cfg.Session, s.seq))
			s.st.Heartbeats++
			s.last = time.Now()
		}
		s.mu.Unlock()
	}
}

// End flushes, announces the end of the session (three times, as a lost
// end packet would leave receivers waiting), and keeps answering
// requests for linger.
func (s *Sender) End(ctx context.Context, linger time.Duration) error {
	if err := s.Flush(); err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		s.mu.Lock()
		s.sendAll(AppendEnd(nil, s.cfg.Session, s.seq))
		s.last = time.Now()
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(linger):
	}
	return nil
}

// serve answers retransmission requests with unicast packets of the
// requested messages that are still in the history.
func (s *Sender) serve() {
	defer s.wg.Done()
	buf := make([]byte, 2048)
	var out []byte
	var msgs [][]byte
	for {
		n, from, err := s.rw.ReadFromUDP(buf)
		if err != nil {
			if s.shut.Load() {
				return
			}
			continue
		}
		r, err := ParseRequest(buf[:n])
		if err != nil || r.Session != s.cfg.Session || r.Count == 0 || r.Count == EndOfSession {
			continue
		}
		s.mu.Lock()
		s.st.Requests++
		// Messages sent so far: [1, s.seq); in history: [histBase, histBase+len(hist)).
		want0, want1 := r.Seq, r.Seq+uint64(r.Count)
		first, end := max(want0, s.histBase), min(want1, s.histBase+uint64(len(s.hist)), s.seq)
		if end < first {
			end = first
		}
		s.st.Unavailable += int64(want1 - want0 - (end - first))
		for q := first; q < end; {
			msgs = msgs[:0]
			start := q
			for ; q < end; q++ {
				m := s.hist[q-s.histBase]
				if PacketLen(msgs)+2+len(m) > MaxPayload {
					break
				}
				msgs = append(msgs, m)
			}
			out = AppendPacket(out[:0], s.cfg.Session, start, msgs)
			s.rw.WriteToUDP(out, from)
			s.st.Retransmitted += int64(len(msgs))
		}
		s.mu.Unlock()
	}
}

// Stats returns a snapshot.
func (s *Sender) Stats() SenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Lines = append([]int64(nil), s.st.Lines...)
	st.Dropped = append([]int64(nil), s.st.Dropped...)
	return st
}

// Close stops the heartbeats and the request server and closes the
// sockets.
func (s *Sender) Close() error {
	if s.shut.Swap(true) {
		return nil
	}
	close(s.stop)
	if s.rw != nil {
		s.rw.Close()
	}
	s.wg.Wait()
	for _, c := range s.conns {
		c.Close()
	}
	return nil
}
