package shard

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// RecoveryLimits bound what one recovery client can take. Zero values are
// the documented defaults.
type RecoveryLimits struct {
	// MaxReplyBytes caps the frame bytes one request is answered with; the
	// END message's ServedTo says where to ask again. 0 means 8 MiB.
	MaxReplyBytes int
	// Rate is the requests per second one connection may make (a token
	// bucket with Burst); over it a request is answered RecBusy. 0 means 200.
	Rate float64
	// Burst is the bucket's size. 0 means 50.
	Burst int
	// QueueBytes bounds a connection's queued replies; a client that does
	// not read them makes the server stop reading its requests, and is cut
	// at WriteTimeout. 0 means 32 MiB.
	QueueBytes int
	// MaxPeers bounds concurrent recovery connections per endpoint; more
	// are refused (counted). 0 means 64.
	MaxPeers int
	// WriteTimeout cuts a client whose socket takes nothing for this long.
	// 0 means 2s.
	WriteTimeout time.Duration
}

// Validate reports a limit that is negative (or not a number): each must
// be a positive bound, or 0 for its default.
func (l RecoveryLimits) Validate() error {
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"max reply bytes", l.MaxReplyBytes < 0}, {"rate", l.Rate < 0 || l.Rate != l.Rate}, {"burst", l.Burst < 0},
		{"queue bytes", l.QueueBytes < 0}, {"max peers", l.MaxPeers < 0}, {"write timeout", l.WriteTimeout < 0},
	} {
		if v.bad {
			return fmt.Errorf("recovery limits: %s must not be negative", v.name)
		}
	}
	return nil
}

func (l RecoveryLimits) withDefaults() RecoveryLimits {
	if l.MaxReplyBytes == 0 {
		l.MaxReplyBytes = 8 << 20
	}
	if l.Rate == 0 {
		l.Rate = 200
	}
	if l.Burst == 0 {
		l.Burst = 50
	}
	if l.QueueBytes == 0 {
		l.QueueBytes = 32 << 20
	}
	if l.MaxPeers == 0 {
		l.MaxPeers = 64
	}
	if l.WriteTimeout == 0 {
		l.WriteTimeout = 2 * time.Second
	}
	return l
}

// RecoveryStats counts what a recovery endpoint was asked and answered.
type RecoveryStats struct {
	Endpoint string `json:"endpoint"`
	Requests int64  `json:"requests"`
	// Records and Frames sent in DATA messages.
	Records int64 `json:"records_served"`
	Frames  int64 `json:"frames_served"`
	// Partial: requests reaching before the oldest record held.
	Partial int64 `json:"requests_partial"`
	// Unknown: requests for another publisher, epoch or partition.
	Unknown int64 `json:"requests_unknown"`
	// Bad: malformed requests (not one frame of the request layout).
	Bad int64 `json:"requests_bad"`
	// Busy: requests over a connection's rate, answered RecBusy.
	Busy int64 `json:"requests_rate_limited"`
	// Capped: requests answered short at MaxReplyBytes.
	Capped int64 `json:"requests_capped"`
	// PeersRefused: connections over MaxPeers; PeersCut: clients cut for
	// not reading their replies.
	PeersRefused int64 `json:"peers_refused"`
	PeersCut     int64 `json:"peers_cut"`
	Peers        int   `json:"peers"`
}

// RecoveryStore is what a recovery endpoint answers from: the publisher's
// rewind window, or a recorder's capture files (replay.Archive). Answer
// is called from the endpoint's connection goroutines, concurrently.
type RecoveryStore interface {
	// Answer sends the DATA messages for req (at most maxBytes of frames,
	// each a zmqx.Frame with the DATA header as Prefix and a batch frame
	// as Body, whose reference send takes over) through send, which
	// reports false once the client is gone, and returns the END message
	// (the ID is filled in by the caller).
	Answer(req *RecoveryRequest, maxBytes int, send func(*zmqx.Frame) bool) RecoveryReply
}

// RecoveryServer is a recovery endpoint serving a RecoveryStore (bbox
// record --serve); a Publisher makes its own.
type RecoveryServer struct{ s *recoveryServer }

// NewRecoveryServer binds ep and serves store on it.
func NewRecoveryServer(ep string, o zmqx.Options, store RecoveryStore, lim RecoveryLimits, logf func(string, ...any)) (*RecoveryServer, error) {
	e, err := zmqx.ParseEndpoint(ep)
	if err != nil {
		return nil, fmt.Errorf("recovery %w", err)
	}
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s, err := newRecoveryServer(e, o, store, lim, logf)
	if err != nil {
		return nil, err
	}
	return &RecoveryServer{s}, nil
}

// Endpoint is the bound endpoint; Stats its counters.
func (r *RecoveryServer) Endpoint() string     { return r.s.Endpoint() }
func (r *RecoveryServer) Stats() RecoveryStats { return r.s.Stats() }

// Close stops serving and waits for the connections to end.
func (r *RecoveryServer) Close() { r.s.close() }

// Linger waits, at most max, while clients are connected, or asked
// something in the last 500 ms: a subscriber catching up must not lose
// its archive because the recorder has reached the end of the stream.
func (r *RecoveryServer) Linger(max time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), max)
	defer cancel()
	r.s.linger(ctx, 500*time.Millisecond)
}

// DataHeader is the reply header of a DATA message for request id.
func DataHeader(id uint64) []byte {
	return AppendRecoveryReply(nil, &RecoveryReply{Type: RepData, ID: id})
}

// recoveryServer is one recovery endpoint: a ZMTP ROUTER-type listener
// (DEALER clients) whose connections each get a reader goroutine and a
// zmqx.Writer of their own, apart from the live stream's writers, so a
// greedy client waits on its own queue and nobody else's.
type recoveryServer struct {
	ln     *zmqx.Listener
	store  RecoveryStore
	lim    RecoveryLimits
	logf   func(string, ...any)
	peers  atomic.Int64
	live   sync.WaitGroup
	mu     sync.Mutex
	conns  map[*zmqx.Writer]struct{}
	closed bool

	requests, records, frames, partial, unknown, bad, busy, capped, refused, cut atomic.Int64
	lastReq                                                                      atomic.Int64 // ns
	left                                                                         broadcast    // a client went (linger)
}

// linger keeps the endpoint open, after the live stream has ended, while
// recovery clients are still connected (a subscriber reading the stream's
// tail finds its last gaps after the publisher is done, and one still
// fetching a long range may go quiet between requests for as long as the
// box is busy: it hangs up when it exits), and for quiet after the last
// request (a client whose connection broke dials again), never past ctx.
// How recently a connected client asked is no test: under load a
// subscriber decoding an 8 MiB answer, or handing recovered records over,
// asks nothing for longer than any fixed quiet.
func (s *recoveryServer) linger(ctx context.Context, quiet time.Duration) {
	for ctx.Err() == nil {
		left := s.left.wait() // before looking, so no departure is missed
		var quietEnd *time.Timer
		var wake <-chan time.Time
		if s.peers.Load() <= 0 {
			last := s.lastReq.Load()
			if last == 0 {
				return
			}
			d := quiet - time.Duration(time.Now().UnixNano()-last)
			if d <= 0 {
				return
			}
			quietEnd = time.NewTimer(d) // a later request moves it: looked at again then
			wake = quietEnd.C
		}
		select {
		case <-ctx.Done():
		case <-left:
		case <-wake:
		}
		if quietEnd != nil {
			quietEnd.Stop()
		}
	}
}

func newRecoveryServer(ep zmqx.Endpoint, o zmqx.Options, store RecoveryStore, lim RecoveryLimits, logf func(string, ...any)) (*recoveryServer, error) {
	o.Stats = nil // the live endpoint's counters stay the live endpoint's
	ln, err := zmqx.Listen(ep, o)
	if err != nil {
		return nil, fmt.Errorf("recovery %w", err)
	}
	s := &recoveryServer{ln: ln, store: store, lim: lim.withDefaults(), logf: logf, conns: map[*zmqx.Writer]struct{}{}}
	s.live.Add(1) // Serve, until close
	go func() { defer s.live.Done(); ln.Serve(zmq4.Router, s.add) }()
	return s, nil
}

// leave counts a client gone, waking linger.
func (s *recoveryServer) leave() {
	s.peers.Add(-1)
	s.left.signal()
}

// Endpoint is the bound endpoint (real port for port 0).
func (s *recoveryServer) Endpoint() string { return s.ln.Endpoint() }

func (s *recoveryServer) add(p *zmqx.Peer) {
	if s.peers.Add(1) > int64(s.lim.MaxPeers) {
		s.leave()
		s.refused.Add(1)
		p.Close()
		return
	}
	var w *zmqx.Writer
	w, err := zmqx.NewWriter(p, zmqx.WriterConfig{MaxBytes: s.lim.QueueBytes, Full: zmqx.FullBlock, WriteTimeout: s.lim.WriteTimeout,
		OnClose: func(ci zmqx.CloseInfo) {
			if ci.Reason == zmqx.Stuck {
				s.cut.Add(1)
				s.logf("recovery %s: client %s cut: %s", s.ln.Endpoint(), p.Remote, ci)
			}
		}})
	if err != nil {
		s.leave()
		p.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		w.Close(zmqx.Shutdown, "recovery endpoint closed")
		<-w.Done() // its goroutine is gone before close can return
		s.leave()
		return
	}
	s.conns[w] = struct{}{}
	s.live.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.live.Done()
		defer s.leave()
		s.serve(p, w)
		s.mu.Lock()
		delete(s.conns, w)
		s.mu.Unlock()
		<-w.Done()
	}()
}

// serve reads requests until the client goes, answering each in turn.
func (s *recoveryServer) serve(p *zmqx.Peer, w *zmqx.Writer) {
	tokens, last := float64(s.lim.Burst), time.Now()
	send := func(f *zmqx.Frame) bool {
		r := w.Send(f)
		f.Unref()
		return r == zmqx.Queued
	}
	end := func(rep RecoveryReply) bool {
		rep.Type = RepEnd
		return send(zmqx.NewFrame(nil, AppendRecoveryReply(nil, &rep), 0))
	}
	for {
		msg, err := p.RecvMsg()
		if err != nil {
			w.Close(zmqx.ReadCloseReason(err))
			return
		}
		if msg.IsCommand() {
			continue
		}
		s.requests.Add(1)
		now := time.Now()
		s.lastReq.Store(now.UnixNano())
		tokens = min(float64(s.lim.Burst), tokens+now.Sub(last).Seconds()*s.lim.Rate)
		last = now
		if len(msg.Frames) != 1 {
			s.bad.Add(1)
			if !end(RecoveryReply{Status: RecBadRequest}) {
				return
			}
			continue
		}
		req, err := ParseRecoveryRequest(msg.Frames[0])
		if err != nil {
			s.bad.Add(1)
			if !end(RecoveryReply{Status: RecBadRequest, ID: req.ID}) {
				return
			}
			continue
		}
		if tokens < 1 {
			s.busy.Add(1)
			if !end(RecoveryReply{Status: RecBusy, ID: req.ID}) {
				return
			}
			continue
		}
		tokens--
		gone := false
		rep := s.store.Answer(&req, s.lim.MaxReplyBytes, func(f *zmqx.Frame) bool {
			if gone {
				f.Unref()
				return false
			}
			gone = !send(f)
			return !gone
		})
		if gone {
			return
		}
		rep.ID = req.ID
		s.records.Add(int64(rep.Records))
		s.frames.Add(int64(rep.Frames))
		switch rep.Status {
		case RecPartial:
			s.partial.Add(1)
		case RecUnknownStream, RecUnknownPartition:
			s.unknown.Add(1)
		}
		if rep.Status <= RecPartial && rep.ServedTo < satAdd(req.From, uint64(req.Count)) && rep.ServedTo < rep.NextSeq {
			s.capped.Add(1)
		}
		if !end(rep) {
			return
		}
	}
}

// Stats snapshots the counters.
func (s *recoveryServer) Stats() RecoveryStats {
	return RecoveryStats{Endpoint: s.ln.Endpoint(), Requests: s.requests.Load(), Records: s.records.Load(), Frames: s.frames.Load(),
		Partial: s.partial.Load(), Unknown: s.unknown.Load(), Bad: s.bad.Load(), Busy: s.busy.Load(), Capped: s.capped.Load(),
		PeersRefused: s.refused.Load(), PeersCut: s.cut.Load(), Peers: int(max(s.peers.Load(), 0))}
}

// close stops accepting, closes every client and waits for their goroutines.
func (s *recoveryServer) close() {
	s.mu.Lock()
	s.closed = true
	ws := make([]*zmqx.Writer, 0, len(s.conns))
	for w := range s.conns {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	s.ln.Close()
	for _, w := range ws {
		w.Close(zmqx.Shutdown, "recovery endpoint closed")
	}
	s.live.Wait()
}

// satAdd is a + b, saturating at the largest uint64.
func satAdd(a, b uint64) uint64 {
	if c := a + b; c >= a {
		return c
	}
	return ^uint64(0)
}

// windowStore answers from a publisher's rewind window.
type windowStore struct {
	w          *rewind
	pub, epoch uint64
}

func (ws *windowStore) Answer(req *RecoveryRequest, maxBytes int, send func(*zmqx.Frame) bool) RecoveryReply {
	if req.Publisher != ws.pub || req.Epoch != ws.epoch {
		return RecoveryReply{Status: RecUnknownStream}
	}
	if int(req.Partition) >= len(ws.w.parts) {
		return RecoveryReply{Status: RecUnknownPartition}
	}
	to := satAdd(req.From, uint64(req.Count))
	fs, first, next := ws.w.lookup(req.Partition, req.From, to, maxBytes)
	rep := RecoveryReply{Status: RecOK, FirstAvailable: first, NextSeq: next, ServedFrom: req.From}
	switch {
	case first == 0 && req.From < next:
		// Sent, and no longer held at all.
		rep.Status, rep.ServedFrom = RecPartial, next
	case first != 0 && req.From < first:
		rep.Status, rep.ServedFrom = RecPartial, first
	}
	rep.ServedTo = rep.ServedFrom
	hdr := DataHeader(req.ID)
	for i, f := range fs {
		lo, hi := max(req.From, seqOf(f)), min(to, seqOf(f)+uint64(f.Records))
		rep.Records += uint32(hi - lo)
		rep.Frames++
		rep.ServedTo = hi
		if !send(replyFrame(hdr, f)) {
			for _, g := range fs[i+1:] {
				g.Unref()
			}
			return rep
		}
	}
	return rep
}

// seqOf is the first sequence of a held data frame, from its header.
func seqOf(f *frame) uint64 {
	// first_seq at offset 40 of the batch header (docs/wire.md section 2).
	b := f.Body
	return uint64(b[40]) | uint64(b[41])<<8 | uint64(b[42])<<16 | uint64(b[43])<<24 |
		uint64(b[44])<<32 | uint64(b[45])<<40 | uint64(b[46])<<48 | uint64(b[47])<<56
}
