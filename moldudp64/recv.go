package moldudp64

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ReceiverConfig sets up a Receiver. Zero values are documented per field.
type ReceiverConfig struct {
	Lines []Line // the A line, and optionally the B line; required
	// Rewind is the request server, HOST:PORT (empty: gaps on every line
	// are lost after Wait).
	Rewind string
	// Wait is how long a line may be silent before a gap it has not
	// reached is taken as missing on it too; a gap every line has passed
	// is requested (or, without Rewind, given up) at once, and none waits
	// longer than 50 Waits for a line that is alive but behind (0: 20ms).
	Wait time.Duration
	// RequestTimeout is how long a request waits for its answer before it
	// is sent again (0: 200ms); Retries how often (0: 3) before the gap is
	// given up as lost.
	RequestTimeout time.Duration
	Retries        int
	// Idle ends the session as lost if no line has sent anything, not
	// even a heartbeat, for this long after the first packet (0: never).
	Idle time.Duration
	// Start is the first sequence number wanted: a late joiner with a
	// rewind server sets 1 to have the session from its start (0: from
	// the first packet seen; earlier ones count as before_join).
	Start   uint64
	RcvBuf  int // socket receive buffer, bytes (0: 32 MiB; forced past net.core.rmem_max when root)
	MaxHeld int // messages held behind a gap before it is given up (0: 1M)
}

// Validate checks c's values (zero values are defaults; Lines is
// required).
func (c ReceiverConfig) Validate() error {
	if len(c.Lines) == 0 || len(c.Lines) > 2 {
		return fmt.Errorf("%d lines: want 1 or 2", len(c.Lines))
	}
	return nil
}

// ReceiverStats counts a Receiver's session.
type ReceiverStats struct {
	Session    string      `json:"session"`
	Next       uint64      `json:"next_sequence"`
	BeforeJoin uint64      `json:"before_join"` // sequence numbers before the first one seen
	Delivered  int64       `json:"delivered"`
	Gaps       int64       `json:"gaps"`      // gaps missing on every line after Wait
	Requests   int64       `json:"requests"`  // retransmission requests sent
	Recovered  int64       `json:"recovered"` // messages delivered from retransmissions
	Lost       int64       `json:"lost"`      // sequence numbers given up: never delivered
	Malformed  int64       `json:"malformed_packets"`
	OtherSess  int64       `json:"other_session_packets"`
	Lines      []LineStats `json:"lines"`
	Ended      bool        `json:"ended"`        // the end of session arrived
	Idle       bool        `json:"idle_timeout"` // no packet for ReceiverConfig.Idle: given up
	RcvBuf     int         `json:"rcvbuf_bytes"` // the smallest socket receive buffer the kernel granted, usable bytes
}

type rxPkt struct {
	line int
	b    []byte
	buf  *[]byte
}

// Receiver joins one or two lines of a MoldUDP64 session, arbitrates
// them, requests what both lines miss, and delivers every message once,
// in sequence. Next belongs to one goroutine; Stats and Close are safe
// from any.
type Receiver struct {
	cfg   ReceiverConfig
	conns []*net.UDPConn
	rw    *net.UDPConn
	rwTo  *net.UDPAddr
	pkts  chan rxPkt
	pool  sync.Pool
	seq   *Sequencer
	msgs  [][]byte
	wg    sync.WaitGroup
	done  chan struct{}
	once  sync.Once

	holes      map[uint64]*hole
	lastCheck  time.Time
	checkEvery time.Duration
	lastPkt    time.Time
	firstPkt   time.Time
	lineLast   [2]time.Time    // last packet per line
	queued     [3]atomic.Int64 // packets read from a line's socket, not yet processed
	idled      bool
	joined     bool      // the first packets' window has been settled
	joinAt     time.Time // when it settles
	joinBuf    []rxPkt

	mu sync.Mutex
	st ReceiverStats
}

// NewReceiver joins the lines.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 20 * time.Millisecond
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 200 * time.Millisecond
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.RcvBuf <= 0 {
		cfg.RcvBuf = 32 << 20
	}
	r := &Receiver{cfg: cfg, pkts: make(chan rxPkt, 4096), seq: NewSequencer(cfg.Start), done: make(chan struct{})}
	r.seq.MaxHeld = cfg.MaxHeld
	r.holes = map[uint64]*hole{}
	r.checkEvery = max(min(cfg.Wait, cfg.RequestTimeout)/4, time.Millisecond)
	// Jumbo-frame sized: a larger datagram is cut short and counted as
	// malformed; 4096 queued buffers stay within ~37 MiB.
	r.pool.New = func() any { b := make([]byte, 9216); return &b }
	for _, l := range cfg.Lines {
		c, got, err := listenGroup(l, cfg.RcvBuf)
		if err != nil {
			r.Close()
			return nil, err
		}
		if r.st.RcvBuf == 0 || got < r.st.RcvBuf {
			r.st.RcvBuf = got
		}
		r.conns = append(r.conns, c)
	}
	if cfg.Rewind != "" {
		a, err := net.ResolveUDPAddr("udp4", cfg.Rewind)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("rewind=%s: %v", cfg.Rewind, err)
		}
		if r.rw, err = net.ListenUDP("udp4", &net.UDPAddr{}); err != nil {
			r.Close()
			return nil, fmt.Errorf("request socket: %v", err)
		}
		setRcvBuf(r.rw, cfg.RcvBuf)
		r.rwTo = a
	}
	for i, c := range r.conns {
		r.wg.Add(1)
		go r.read(i, c)
	}
	if r.rw != nil {
		r.wg.Add(1)
		go r.read(LineRewind, r.rw)
	}
	return r, nil
}

func (r *Receiver) read(line int, c *net.UDPConn) {
	defer r.wg.Done()
	for {
		bp := r.pool.Get().(*[]byte)
		n, err := c.Read(*bp)
		if err != nil {
			r.pool.Put(bp)
			select {
			case <-r.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.queued[line].Add(1)
		select {
		case r.pkts <- rxPkt{line: line, b: (*bp)[:n], buf: bp}:
		case <-r.done:
			return
		}
	}
}

// Next blocks until it has delivered at least one message (deliver is
// called for each, in sequence order; msg is valid during the call
// only), and returns nil; or returns io.EOF once the session has ended
// and nothing is missing, or the context's error.
func (r *Receiver) Next(ctx context.Context, deliver func(seq uint64, msg []byte)) error {
	delivered := 0
	dv := func(q uint64, m []byte) { delivered++; deliver(q, m) }
	defer r.sync()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if r.seq.Done() || (r.idled && r.seq.Held() == 0) {
			if delivered > 0 {
				return nil
			}
			return io.EOF
		}
		if !r.joinAt.IsZero() && !time.Now().Before(r.joinAt) {
			r.settleJoin(dv)
		}
		r.checkGap(time.Now(), dv)
		if delivered > 0 && len(r.pkts) == 0 {
			return nil
		}
		timer.Reset(r.wakeIn(time.Now()))
		select {
		case <-ctx.Done():
			if delivered > 0 {
				return nil
			}
			return ctx.Err()
		case p := <-r.pkts:
			r.arrive(p, time.Now(), dv)
		case <-timer.C:
			if r.cfg.Idle > 0 && !r.lastPkt.IsZero() && time.Since(r.lastPkt) > r.cfg.Idle {
				// The sender is gone: what is missing now will not come.
				r.seq.GiveUp(dv)
				r.idled = true
			}
		}
	}
}

// arrive takes a packet. The first packets are held for Wait and then
// taken lowest sequence first: the lines race, and the B line's copy of
// the session's first packet may come after the A line's second; the
// sequence starts at the lowest one seen in that window, not at whichever
// line won the race.
func (r *Receiver) arrive(p rxPkt, now time.Time, dv func(uint64, []byte)) {
	if r.joined {
		r.packet(p, dv)
		return
	}
	if r.joinAt.IsZero() {
		r.joinAt = now.Add(r.cfg.Wait)
	}
	r.joinBuf = append(r.joinBuf, p)
	if len(r.joinBuf) >= cap(r.pkts) {
		r.settleJoin(dv)
	}
}

func (r *Receiver) settleJoin(dv func(uint64, []byte)) {
	r.joined, r.joinAt = true, time.Time{}
	seqOf := func(p rxPkt) uint64 {
		if len(p.b) < HeaderLen {
			return 0
		}
		return binary.BigEndian.Uint64(p.b[10:])
	}
	sort.SliceStable(r.joinBuf, func(i, j int) bool { return seqOf(r.joinBuf[i]) < seqOf(r.joinBuf[j]) })
	for _, p := range r.joinBuf {
		r.packet(p, dv)
	}
	r.joinBuf = nil
}

func (r *Receiver) packet(p rxPkt, dv func(uint64, []byte)) {
	defer r.pool.Put(p.buf)
	r.queued[p.line].Add(-1)
	h, msgs, err := Parse(p.b, r.msgs[:0])
	r.msgs = msgs
	if err != nil {
		r.mu.Lock()
		r.st.Malformed++
		r.mu.Unlock()
		r.seq.Lines[p.line].Malformed++
		return
	}
	if r.seq.Session != (Session{}) && h.Session != r.seq.Session {
		r.mu.Lock()
		r.st.OtherSess++
		r.mu.Unlock()
		r.seq.Lines[p.line].OtherSess++
		return
	}
	r.lastPkt = time.Now()
	if r.firstPkt.IsZero() {
		r.firstPkt = r.lastPkt
	}
	if p.line < len(r.lineLast) {
		r.lineLast[p.line] = r.lastPkt
	}
	if p.line == LineRewind {
		before := r.seq.Lines[LineRewind].Delivered
		r.seq.Packet(p.line, &h, msgs, dv)
		r.mu.Lock()
		r.st.Recovered += r.seq.Lines[LineRewind].Delivered - before
		r.mu.Unlock()
		return
	}
	r.seq.Packet(p.line, &h, msgs, dv)
}

// hole is one missing range's request state, by its first sequence.
type hole struct {
	to      uint64
	seen    time.Time // first noticed
	reqAt   time.Time // last requested
	tries   int
	counted bool
}

// checkGap requests every missing range older than Wait (both lines
// missed it), re-requests it after RequestTimeout, and gives the first
// one up after Retries (at once without a rewind server). Ranges are
// requested together, not one after the other, so a burst of gaps costs
// one round trip.
func (r *Receiver) checkGap(now time.Time, dv func(uint64, []byte)) {
	from, to := r.seq.Gap()
	if from == to {
		clear(r.holes)
		return
	}
	if now.Sub(r.lastCheck) < r.checkEvery && r.holes[from] != nil {
		return
	}
	r.lastCheck = now
	for k := range r.holes {
		if k < from {
			delete(r.holes, k)
		}
	}
	giveUp := false
	r.seq.Holes(func(a, b uint64) {
		h := r.holes[a]
		if h == nil || h.to != b {
			h = &hole{to: b, seen: now}
			if old := r.holes[a]; old != nil {
				h.seen, h.counted = old.seen, old.counted
			}
			r.holes[a] = h
		}
		if !r.missingEverywhere(b, now) && now.Sub(h.seen) < 50*r.cfg.Wait {
			return
		}
		if !h.counted {
			h.counted = true
			r.mu.Lock()
			r.st.Gaps++
			r.mu.Unlock()
		}
		if r.rw == nil || (h.tries >= r.cfg.Retries && now.Sub(h.reqAt) >= r.cfg.RequestTimeout) {
			giveUp = giveUp || a == from
			return
		}
		if h.reqAt.IsZero() || now.Sub(h.reqAt) >= r.cfg.RequestTimeout {
			for q := a; q < b; {
				n := min(b-q, 0xFFFE)
				r.rw.WriteToUDP(AppendRequest(nil, Request{Session: r.seq.Session, Seq: q, Count: uint16(n)}), r.rwTo)
				q += n
				r.mu.Lock()
				r.st.Requests++
				r.mu.Unlock()
			}
			h.reqAt = now
			h.tries++
		}
	})
	if giveUp {
		delete(r.holes, from)
		r.seq.GiveUp(dv)
		r.lastCheck = time.Time{} // look at the next hole now
	}
}

// missingEverywhere says no line can still bring [.., end): each has
// carried something past it, or has been silent for Wait (down, or
// never up). A line that is merely behind (the lines race; a loaded box
// reads one socket before the other) is waited for.
func (r *Receiver) missingEverywhere(end uint64, now time.Time) bool {
	for i := range r.conns {
		if r.seq.LineNext(i) >= end {
			continue
		}
		if last := r.lineLast[i]; !last.IsZero() && now.Sub(last) < r.cfg.Wait {
			return false
		}
		if r.lineLast[i].IsZero() && now.Sub(r.firstPkt) < r.cfg.Wait {
			return false
		}
		if r.queued[i].Load() > 0 || inQueue(r.conns[i]) > 0 {
			return false // not silent: read but not yet processed, or not yet read
		}
	}
	return true
}

// inQueue is how many bytes wait in c's receive queue.
func inQueue(c *net.UDPConn) int {
	n := 0
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
	}
	return n
}

// wakeIn is when checkGap next has something to do.
func (r *Receiver) wakeIn(now time.Time) time.Duration {
	d := time.Second
	if !r.joinAt.IsZero() {
		d = max(r.joinAt.Sub(now), time.Millisecond)
	}
	if r.cfg.Idle > 0 {
		d = min(d, r.cfg.Idle)
	}
	if from, to := r.seq.Gap(); from != to {
		d = r.checkEvery
	}
	return d
}

func (r *Receiver) sync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Session = r.seq.Session.String()
	r.st.Next = r.seq.Next()
	r.st.BeforeJoin = r.seq.BeforeJoin
	r.st.Ended = r.seq.Ended
	r.st.Idle = r.idled
	r.st.Lost = int64(r.seq.Lost) // given up here, at the end, or forced by MaxHeld
	r.st.Lines = r.st.Lines[:0]
	var d int64
	for i, l := range r.seq.Lines {
		d += l.Delivered
		if i < len(r.conns) || (i == LineRewind && r.rw != nil) {
			r.st.Lines = append(r.st.Lines, l.LineStats)
		}
	}
	r.st.Delivered = d
}

// Stats returns a snapshot (as of the last Next).
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Lines = append([]LineStats(nil), r.st.Lines...)
	return st
}

// Close leaves the groups and stops the readers.
func (r *Receiver) Close() error {
	r.once.Do(func() {
		close(r.done)
		for _, c := range r.conns {
			c.Close()
		}
		if r.rw != nil {
			r.rw.Close()
		}
		r.wg.Wait()
	})
	return nil
}
