package upstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// Kind is the kind stamped on upstream records unless configured:
// 'M' (message) is not an ITCH 5.0 letter, so it cannot be mistaken for one.
const Kind byte = 'M'

// Config configures a Source. Zero values are documented defaults.
type Config struct {
	// Endpoint is the upstream PUB: tcp://HOST:PORT, tcp://DEV;HOST:PORT,
	// tcp://SRCIP;HOST:PORT or ipc://PATH (see zmqx.ParseEndpoint). Required.
	Endpoint string
	// Topics are the ZeroMQ prefix subscriptions sent upstream (the
	// upstream filters; the Source checks again, as libzmq's SUB does). Empty
	// subscribes to everything.
	Topics []string
	// Kind is stamped on every record; the [topic][payload] shape carries
	// no message type. 0 means Kind ('M').
	Kind byte
	// Records ends the source (io.EOF) after that many records. 0 means never.
	Records int64
	// Heartbeat: after this long with nothing received, send the upstream a
	// ZMTP PING (libzmq ≥ 4.2 answers with a PONG). 0 means 1s; negative
	// disables PINGs and the silence check, for peers that do not know PING.
	Heartbeat time.Duration
	// Timeout closes and redials a connection on which nothing, not even a
	// PONG, arrived for this long: the way to notice a box that vanished
	// without a TCP reset. 0 means 5s. Unused when Heartbeat is negative.
	Timeout time.Duration
	// Retry is the first redial delay after a failed connect, doubled per
	// failure up to 2s. 0 means 100ms.
	Retry time.Duration
	// Queue is how many received messages may wait for Next. When it is
	// full the reader stops reading, and TCP pushes back on the upstream
	// (whose own high-water mark then decides what is lost). 0 means 4096.
	Queue int
	// Chunk caps the records one Next returns. 0 means 256.
	Chunk int
	// IdleExit ends the source (io.EOF) once no message has arrived for
	// this long (since the last one, or since the first Next if none came)
	// and none is waiting.
	// A ZeroMQ feed has no end-of-stream of its own, so this is how a run
	// over a finite feed ends by itself. 0 means never.
	IdleExit time.Duration
	// Conn holds socket and guard options for the upstream connection.
	Conn zmqx.Options
	// Logf receives connects, disconnects and dropped messages (at most
	// one line per second for drops). nil discards them.
	Logf func(format string, args ...any)
}

func (c Config) withDefaults() Config {
	if c.Kind == 0 {
		c.Kind = Kind
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Retry == 0 {
		c.Retry = 100 * time.Millisecond
	}
	if c.Queue == 0 {
		c.Queue = 4096
	}
	if c.Chunk == 0 {
		c.Chunk = 256
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Validate reports the first unusable field, naming it.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

// validate is Validate that also returns the parsed endpoint.
func (c Config) validate() (zmqx.Endpoint, error) {
	if c.Endpoint == "" {
		return zmqx.Endpoint{}, errors.New("upstream endpoint is required")
	}
	ep, err := zmqx.ParseEndpoint(c.Endpoint)
	if err != nil {
		return ep, fmt.Errorf("upstream %w", err)
	}
	return ep, c.checkFields()
}

// checkFields checks everything but the endpoint.
func (c Config) checkFields() error {
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	for _, t := range c.Topics {
		if len(t) > feed.MaxTopicLen {
			return fmt.Errorf("upstream topic subscription %.20q… is %d bytes; topics are at most %d", t, len(t), feed.MaxTopicLen)
		}
	}
	d := c.withDefaults()
	switch {
	case d.Records < 0:
		return fmt.Errorf("upstream records %d must not be negative", c.Records)
	case d.Heartbeat > 0 && d.Timeout <= d.Heartbeat:
		return fmt.Errorf("upstream timeout %v must be longer than the heartbeat %v", d.Timeout, d.Heartbeat)
	case d.Retry < 0:
		return fmt.Errorf("upstream retry %v must not be negative", c.Retry)
	case d.Queue < 1 || d.Chunk < 1:
		return fmt.Errorf("upstream queue %d and chunk %d must be positive", c.Queue, c.Chunk)
	case d.IdleExit < 0:
		return fmt.Errorf("upstream idle exit %v must not be negative", c.IdleExit)
	}
	return nil
}

// MaxBody is the most topic and payload bytes one upstream message
// may carry: a record's fixed fields and the sequence that worker frames
// add must fit in feed.MaxRecordLen.
const MaxBody = feed.MaxRecordLen - feed.RecordFixedLen - 8

// Scheme is the prefix that marks an upstream source spelling.
const Scheme = "zmq+"

// Parse parses the spelling of an upstream source:
//
//	zmq+tcp://HOST:PORT[?OPTIONS]       also zmq+tcp://DEV;HOST:PORT, zmq+ipc://PATH
//
// OPTIONS are URL query parameters (values percent-encoded where needed):
//
//	topic=PFX      subscribe to topics starting with PFX; repeat for more
//	               (default: everything)
//	kind=C         the one-character kind stamped on records (default M)
//	heartbeat=D    PING after D of silence, or off (default 1s)
//	timeout=D      redial after D with nothing received (default 5s)
//	idle-exit=D    end the source after D with nothing received (default: never)
//
// The spelling is cut at the first '?', so an ipc path cannot contain one.
func Parse(spec string) (Config, error) {
	var c Config
	rest, ok := strings.CutPrefix(spec, Scheme)
	if !ok {
		return c, fmt.Errorf("upstream %q: want %stcp://HOST:PORT or %sipc://PATH", spec, Scheme, Scheme)
	}
	ep, query, _ := strings.Cut(rest, "?")
	if _, err := zmqx.ParseEndpoint(ep); err != nil {
		return c, fmt.Errorf("upstream %q: %w", spec, err)
	}
	c.Endpoint = ep
	q, err := url.ParseQuery(query)
	if err != nil {
		return c, fmt.Errorf("upstream %q: options: %w", spec, err)
	}
	// In key order, so the error for two bad options is always the same one.
	for _, key := range slices.Sorted(maps.Keys(q)) {
		vals := q[key]
		last := vals[len(vals)-1]
		switch key {
		case "topic":
			c.Topics = append(c.Topics, vals...)
		case "kind":
			if len(last) != 1 || last[0] < 0x21 || last[0] > 0x7e {
				return c, fmt.Errorf("upstream %q: kind=%q: want one printable ASCII character", spec, last)
			}
			c.Kind = last[0]
		case "heartbeat":
			if last == "off" {
				c.Heartbeat = -1
				break
			}
			d, err := time.ParseDuration(last)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("upstream %q: heartbeat=%q: want a positive duration (1s) or off", spec, last)
			}
			c.Heartbeat = d
		case "timeout":
			d, err := time.ParseDuration(last)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("upstream %q: timeout=%q: want a positive duration (5s)", spec, last)
			}
			c.Timeout = d
		case "idle-exit":
			d, err := time.ParseDuration(last)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("upstream %q: idle-exit=%q: want a positive duration (5s)", spec, last)
			}
			c.IdleExit = d
		default:
			return c, fmt.Errorf("upstream %q: unknown option %q (want topic, kind, heartbeat, timeout or idle-exit)", spec, key)
		}
	}
	if err := c.checkFields(); err != nil { // the endpoint is checked above
		return c, fmt.Errorf("upstream %q: %w", spec, err)
	}
	return c, nil
}

// Stats counts what a Source received and what it dropped.
type Stats struct {
	Endpoint  string `json:"endpoint"`
	Connected bool   `json:"connected"`
	Connects  int64  `json:"connects"`          // completed handshakes; more than 1 means reconnects
	Received  int64  `json:"messages_received"` // data messages read, good or bad
	Records   int64  `json:"records"`           // records handed to the publisher
	Malformed int64  `json:"malformed"`         // not [topic][payload] or [topic][payload][8-byte ts > 0]
	BadTopic  int64  `json:"bad_topic"`         // empty topic or over 255 bytes
	TooLarge  int64  `json:"too_large"`         // record over 65535 bytes on the wire
	Filtered  int64  `json:"filtered"`          // matched no subscription (a peer that ignores them)
	Silent    int64  `json:"silent_disconnects"`
	// ActiveSeconds is the time from the first record received to the
	// last, and ActiveRPS the rate over it: a feed's own rate, not
	// averaged over the time bbox waited for it to start or to end.
	ActiveSeconds float64 `json:"active_seconds"`
	ActiveRPS     float64 `json:"active_records_per_second"`
	IdleExit      bool    `json:"idle_exit,omitempty"` // the source ended after IdleExit without messages
}

// Dropped is the number of messages dropped as unusable.
func (s Stats) Dropped() int64 { return s.Malformed + s.BadTopic + s.TooLarge }

// Source is a feed.Source (and feed.Pender) that subscribes to a ZeroMQ
// PUB sending [topic][payload] messages, optionally [topic][payload][ts]
// with ts the event time as 8 bytes little-endian int64 ns since the Unix
// epoch. Each message becomes one record: its SourceTS is ts, or the
// receive time without one. Messages of any other shape, with an empty or
// over-long topic, or too big for the wire format are counted and dropped.
// The connection is made on the first Next and redialled whenever it
// fails or falls silent; what the upstream sends while it is down is lost,
// as with any ZeroMQ SUB.
//
// Next and Pending must be called from one goroutine; Stats and Close from
// any.
type Source struct {
	cfg  Config
	ep   zmqx.Endpoint
	subs [][]byte
	ch   chan upMsg
	n    int64 // records returned, owned by the Next goroutine

	idle      *time.Timer  // the idle-exit clock, owned by the Next goroutine
	lastHeard atomic.Int64 // when the last message arrived (ns), or the first Next
	// Receive times (ns) of the first and last record handed on, for Stats.
	firstRecv, lastRecv atomic.Int64
	idleExited          atomic.Bool

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}

	connected                               atomic.Bool
	connects, received, records             atomic.Int64
	malformed, badTopic, tooLarge, filtered atomic.Int64
	silent                                  atomic.Int64
	lastDropLog                             time.Time // reader goroutine only
}

type upMsg struct {
	topic, payload []byte
	ts             int64
	recv           int64 // when it was read (ns), for the active rate
}

// New checks cfg; the first Next connects.
func New(cfg Config) (*Source, error) {
	ep, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	u := &Source{cfg: cfg, ep: ep, ch: make(chan upMsg, cfg.Queue), done: make(chan struct{})}
	for _, t := range cfg.Topics {
		u.subs = append(u.subs, []byte(t))
	}
	if len(u.subs) == 0 {
		u.subs = [][]byte{{}}
	}
	return u, nil
}

// errUpstreamClosed is returned by Next after Close.
var errUpstreamClosed = errors.New("upstream source closed")

// Next waits for at least one message and returns it with every message
// already waiting, up to Chunk. Records alias the received frames.
func (u *Source) Next(ctx context.Context, b *feed.Batch) error {
	if u.cfg.Records > 0 && u.n >= u.cfg.Records {
		return io.EOF
	}
	u.once.Do(u.start)
	want := u.cfg.Chunk
	if u.cfg.Records > 0 {
		want = int(min(int64(want), u.cfg.Records-u.n))
	}
	m, err := u.wait(ctx)
	if err != nil {
		return err
	}
	got := 0
	if u.firstRecv.Load() == 0 {
		u.firstRecv.Store(m.recv)
	}
	for {
		u.lastRecv.Store(m.recv)
		r := b.Add()
		r.Topic, r.Payload, r.SourceTS, r.Kind = m.topic, m.payload, m.ts, u.cfg.Kind
		if got++; got == want {
			break
		}
		select {
		case m = <-u.ch:
			continue
		default:
		}
		break
	}
	u.n += int64(got)
	u.records.Add(int64(got))
	if u.cfg.Records > 0 && u.n >= u.cfg.Records {
		u.cancel() // done: disconnect now rather than read what nobody takes
	}
	return nil
}

// wait returns the next message; with IdleExit, io.EOF once none has
// arrived for that long and none is waiting.
func (u *Source) wait(ctx context.Context) (upMsg, error) {
	d := u.cfg.IdleExit
	var idle <-chan time.Time
	if d > 0 {
		u.lastHeard.CompareAndSwap(0, time.Now().UnixNano())
		if u.idle == nil {
			u.idle = time.NewTimer(d)
		}
		u.idle.Reset(d - u.sinceHeard())
		idle = u.idle.C
	}
	for {
		select {
		case m := <-u.ch:
			return m, nil
		case <-ctx.Done():
			return upMsg{}, ctx.Err()
		case <-u.done:
			return upMsg{}, errUpstreamClosed
		case <-idle:
		}
		// A message that arrived meanwhile restarts the clock, and one
		// already queued goes first: only a quiet upstream ends the feed.
		if quiet := u.sinceHeard(); quiet < d || len(u.ch) > 0 {
			u.idle.Reset(d - quiet)
			continue
		}
		u.idleExited.Store(true)
		u.cfg.Logf("upstream %s: nothing received for %v: the feed has ended", u.ep.Raw, d)
		u.cancel()
		return upMsg{}, io.EOF
	}
}

func (u *Source) sinceHeard() time.Duration {
	return time.Duration(time.Now().UnixNano() - u.lastHeard.Load())
}

// Pending reports whether Next would return at once with records: the
// publisher flushes its frames when it is false (smart batching).
func (u *Source) Pending() bool {
	return (u.cfg.Records == 0 || u.n < u.cfg.Records) && len(u.ch) > 0
}

// Stats returns the counters; safe from any goroutine.
func (u *Source) Stats() Stats {
	st := Stats{
		Endpoint: u.ep.Raw, Connected: u.connected.Load(), Connects: u.connects.Load(),
		Received: u.received.Load(), Records: u.records.Load(),
		Malformed: u.malformed.Load(), BadTopic: u.badTopic.Load(), TooLarge: u.tooLarge.Load(),
		Filtered: u.filtered.Load(), Silent: u.silent.Load(), IdleExit: u.idleExited.Load(),
	}
	if first, last := u.firstRecv.Load(), u.lastRecv.Load(); first > 0 && last > first {
		st.ActiveSeconds = float64(last-first) / 1e9
		st.ActiveRPS = float64(st.Records) / st.ActiveSeconds
	}
	return st
}

// Close disconnects and stops the reader; Next then fails. Safe to call
// more than once, and before the first Next.
func (u *Source) Close() error {
	u.once.Do(func() { close(u.done) }) // never started: nothing to stop
	if u.cancel != nil {
		u.cancel()
	}
	<-u.done
	return nil
}

func (u *Source) start() {
	ctx, cancel := context.WithCancel(context.Background())
	u.cancel = cancel
	go u.run(ctx)
}

// run dials, reads and redials until ctx ends.
func (u *Source) run(ctx context.Context) {
	defer close(u.done)
	logf := func(f string, a ...any) { u.cfg.Logf("upstream %s: "+f, append([]any{u.ep.Raw}, a...)...) }
	zmqx.Redial(ctx, u.ep, zmq4.Sub, u.cfg.Conn, u.cfg.Retry, logf, func(peer *zmqx.Peer) bool {
		u.serve(ctx, peer)
		return false
	})
}

// serve subscribes and reads one connection until it fails or ctx ends
// (Redial closes the peer then, and after serve returns).
func (u *Source) serve(ctx context.Context, peer *zmqx.Peer) {
	for _, s := range u.subs {
		if err := peer.Subscribe(s); err != nil {
			u.cfg.Logf("upstream %s: subscribe: %v (reconnecting)", u.ep.Raw, err)
			return
		}
	}
	u.connects.Add(1)
	u.connected.Store(true)
	defer u.connected.Store(false)
	u.cfg.Logf("upstream %s: connected, subscribed to %s", u.ep.Raw, u.subsString())

	// The watchdog is the connection's only writer from here on (PONGs for
	// the upstream's PINGs, our own PINGs); this goroutine only reads.
	var waiting atomic.Int64 // when the pending RecvMsg started (ns); 0: not in RecvMsg
	var silent atomic.Bool
	stop := make(chan struct{})
	wdone := make(chan struct{})
	go u.watch(ctx, peer, &waiting, &silent, stop, wdone)
	defer func() { close(stop); <-wdone }()

	// One clock read per message: the receive time stamps the record and,
	// since handling it takes next to no time, also starts the next wait.
	now := time.Now().UnixNano()
	for {
		waiting.Store(now)
		msg, err := peer.RecvMsg()
		now = time.Now().UnixNano()
		waiting.Store(0)
		if err != nil {
			if ctx.Err() == nil && !silent.Load() {
				u.cfg.Logf("upstream %s: lost: %v (reconnecting)", u.ep.Raw, err)
			}
			return
		}
		if msg.IsCommand() {
			continue // PONG or a command zmq4 passes up: liveness only
		}
		u.received.Add(1)
		u.lastHeard.Store(now)
		m, class, why := parseUpstream(msg.Frames, now)
		m.recv = now
		if class != upOK {
			u.drop(class, why)
			continue
		}
		if !u.subscribed(m.topic) {
			u.filtered.Add(1)
			continue
		}
		select {
		case u.ch <- m:
		default:
			// The queue is full: wait for Next, then restart the clock, or
			// the time spent here would count as upstream silence.
			select {
			case u.ch <- m:
			case <-ctx.Done():
				return
			}
			now = time.Now().UnixNano()
		}
	}
}

// watch answers the upstream's PINGs, PINGs a quiet upstream and closes a
// connection that stays silent past Timeout, until stop is closed.
func (u *Source) watch(ctx context.Context, peer *zmqx.Peer, waiting *atomic.Int64, silent *atomic.Bool, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	hb, to := u.cfg.Heartbeat, u.cfg.Timeout
	tick := 100 * time.Millisecond
	if hb > 0 {
		tick = min(tick, hb/4)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var lastPing int64
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return // Redial closes the peer, which ends the reader
		case <-peer.Pinged():
		case <-t.C:
		}
		if err := peer.ServicePings(); err != nil {
			peer.Close()
			return
		}
		since := waiting.Load()
		if hb <= 0 || since == 0 {
			continue // off, or the reader is busy rather than waiting
		}
		now := time.Now().UnixNano()
		idle := time.Duration(now - since)
		switch {
		case idle >= to:
			silent.Store(true)
			u.silent.Add(1)
			u.cfg.Logf("upstream %s: nothing received for %v, not even a PONG (reconnecting)", u.ep.Raw, idle.Round(time.Millisecond))
			peer.Close()
			return
		case idle >= hb && time.Duration(now-lastPing) >= hb:
			// ZMTP 3.1 PING: TTL 0 (no deadline imposed on the peer), no context.
			if err := peer.Ping(0); err != nil {
				peer.Close()
				return
			}
			lastPing = now
		}
	}
}

func (u *Source) subscribed(topic []byte) bool {
	for _, s := range u.subs {
		if bytes.HasPrefix(topic, s) {
			return true
		}
	}
	return false
}

func (u *Source) subsString() string {
	if len(u.subs) == 1 && len(u.subs[0]) == 0 {
		return "everything"
	}
	var b strings.Builder
	for i, s := range u.subs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", s)
	}
	return b.String()
}

func (u *Source) drop(class upClass, why string) {
	switch class {
	case upMalformed:
		u.malformed.Add(1)
	case upBadTopic:
		u.badTopic.Add(1)
	case upTooLarge:
		u.tooLarge.Add(1)
	}
	// One line per second at most: a broken upstream must not flood the log.
	if now := time.Now(); now.Sub(u.lastDropLog) >= time.Second {
		u.lastDropLog = now
		st := u.Stats()
		u.cfg.Logf("upstream %s: dropped message %d: %s (%d dropped so far: %d malformed, %d bad topic, %d too large)",
			u.ep.Raw, st.Received, why, st.Dropped(), st.Malformed, st.BadTopic, st.TooLarge)
	}
}

// upClass says whether an upstream message is usable, and if not, why.
type upClass int

const (
	upOK        upClass = iota
	upMalformed         // wrong number of frames or a bad timestamp frame
	upBadTopic          // empty or longer than feed.MaxTopicLen
	upTooLarge          // the record would exceed feed.MaxRecordLen
)

// parseUpstream turns one received message into a record's parts. recv is
// the receive time, used as the source time when the message has none.
// The returned slices alias frames.
func parseUpstream(frames [][]byte, recv int64) (upMsg, upClass, string) {
	m := upMsg{ts: recv}
	switch {
	case len(frames) == 2:
	case len(frames) == 3 && len(frames[2]) == 8:
		m.ts = int64(binary.LittleEndian.Uint64(frames[2]))
		if m.ts <= 0 {
			return m, upMalformed, fmt.Sprintf("timestamp frame holds %d, want ns since the Unix epoch", m.ts)
		}
	case len(frames) == 3:
		return m, upMalformed, fmt.Sprintf("third frame of %d bytes, want an 8-byte timestamp", len(frames[2]))
	default:
		return m, upMalformed, fmt.Sprintf("message of %s, want [topic][payload] or [topic][payload][timestamp]", words.Count(len(frames), "frame", "frames"))
	}
	m.topic, m.payload = frames[0], frames[1]
	if len(m.topic) == 0 || len(m.topic) > feed.MaxTopicLen {
		return m, upBadTopic, fmt.Sprintf("topic of %d bytes, want 1..%d", len(m.topic), feed.MaxTopicLen)
	}
	// MaxBody leaves room for the 8-byte sequence that worker
	// frames add, so a record accepted here also fits every frame it
	// travels in later.
	if n := len(m.topic) + len(m.payload); n > MaxBody {
		return m, upTooLarge, fmt.Sprintf("topic and payload of %d bytes, the wire format carries at most %d", n, MaxBody)
	}
	return m, upOK, ""
}
