package exchange

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/moldudp64"
)

// MoldScheme prefixes a live MoldUDP64 source.
const MoldScheme = "moldudp64://"

// LiveConfig is a parsed moldudp64:// source. Zero values are documented
// per field.
type LiveConfig struct {
	Receiver moldudp64.ReceiverConfig
	Day      time.Time      // date=: the trading day (zero: today in Loc)
	Loc      *time.Location // tz= (nil: America/New_York)
	Records  int64          // stop after this many records (0: no limit)
}

// Validate checks c's values (zero values are defaults; the receiver
// needs its lines).
func (c LiveConfig) Validate() error {
	if c.Records < 0 {
		return fmt.Errorf("records %d must not be negative", c.Records)
	}
	return c.Receiver.Validate()
}

func parseLine(s, nic, what string) (moldudp64.Line, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().Is4() || !ap.Addr().IsMulticast() || ap.Port() == 0 {
		return moldudp64.Line{}, fmt.Errorf("%s %q: want an IPv4 multicast GROUP:PORT", what, s)
	}
	return moldudp64.Line{Group: ap, NIC: nic}, nil
}

func parseDur(q url.Values, k string, dst *time.Duration) error {
	if v := q.Get(k); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s=%q: want a positive duration", k, v)
		}
		*dst = d
	}
	return nil
}

// ParseLive reads moldudp64://GROUP:PORT?nic=eth1&b=GROUP2:PORT2&bnic=eth2
// parseLines reads line A from addr and nic=, and line B from b= (on bnic=,
// by default A's NIC): the A/B spelling the receiver and sender share.
func parseLines(addr string, q url.Values) ([]moldudp64.Line, error) {
	a, err := parseLine(addr, q.Get("nic"), "line A")
	if err != nil {
		return nil, err
	}
	lines := []moldudp64.Line{a}
	if v := q.Get("b"); v != "" {
		nic := q.Get("bnic")
		if nic == "" {
			nic = a.NIC
		}
		b, err := parseLine(v, nic, "b (line B)")
		if err != nil {
			return nil, err
		}
		lines = append(lines, b)
	}
	return lines, nil
}

// &rewind=HOST:PORT&wait=20ms&timeout=200ms&retries=3&idle=5s&start=1&date=D&tz=Z.
func ParseLive(spec string) (LiveConfig, error) {
	var c LiveConfig
	rest, ok := strings.CutPrefix(spec, MoldScheme)
	if !ok {
		return c, fmt.Errorf("%s: want %sGROUP:PORT[?nic=...]", spec, MoldScheme)
	}
	addr, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return c, fmt.Errorf("%s: %v", spec, err)
	}
	wrap := func(err error) (LiveConfig, error) { return c, fmt.Errorf("%s: %v", spec, err) }
	rc := &c.Receiver
	if rc.Lines, err = parseLines(addr, q); err != nil {
		return wrap(err)
	}
	if len(rc.Lines) == 2 && rc.Lines[1].Group == rc.Lines[0].Group {
		return wrap(fmt.Errorf("b=%s is line A", q.Get("b")))
	}
	if v := q.Get("rewind"); v != "" {
		if _, err := netip.ParseAddrPort(v); err != nil {
			return wrap(fmt.Errorf("rewind=%q: want the request server's IPv4 HOST:PORT", v))
		}
		rc.Rewind = v
	}
	for k, d := range map[string]*time.Duration{"wait": &rc.Wait, "timeout": &rc.RequestTimeout, "idle": &rc.Idle} {
		if err := parseDur(q, k, d); err != nil {
			return wrap(err)
		}
	}
	if v := q.Get("start"); v != "" {
		if rc.Start, err = strconv.ParseUint(v, 10, 64); err != nil || rc.Start < 1 {
			return wrap(fmt.Errorf("start=%q: want a sequence number ≥ 1", v))
		}
	}
	if v := q.Get("retries"); v != "" {
		if rc.Retries, err = strconv.Atoi(v); err != nil || rc.Retries < 1 {
			return wrap(fmt.Errorf("retries=%q: want a count ≥ 1", v))
		}
	}
	c.Loc, _ = time.LoadLocation("America/New_York")
	if v := q.Get("tz"); v != "" {
		if c.Loc, err = time.LoadLocation(v); err != nil {
			return wrap(fmt.Errorf("tz=%q: %v", v, err))
		}
	}
	if v := q.Get("date"); v != "" {
		if c.Day, err = time.ParseInLocation("2006-01-02", v, c.Loc); err != nil {
			return wrap(fmt.Errorf("date=%q: want YYYY-MM-DD", v))
		}
	}
	for k := range q {
		switch k {
		case "nic", "b", "bnic", "rewind", "wait", "timeout", "retries", "idle", "date", "tz", "start":
		default:
			return wrap(fmt.Errorf("unknown option %q", k))
		}
	}
	return c, nil
}

// LiveStats is a live source's counters: the feed's, and what its ITCH
// messages held.
type LiveStats struct {
	moldudp64.ReceiverStats
	Records      int64            `json:"records"`
	ByType       map[string]int64 `json:"by_type"`
	Unknown      int64            `json:"unknown_type"`
	BadLength    int64            `json:"wrong_length"`
	Unattributed int64            `json:"unattributed"`
	Problems     []itch.Problem   `json:"problems,omitempty"`
}

// Live is a feed.Source of a live MoldUDP64 feed of ITCH 5.0 messages.
type Live struct {
	cfg   LiveConfig
	rx    *moldudp64.Receiver
	day0  int64
	dir   itch.Directory
	mu    sync.Mutex
	st    LiveStats
	left  int64
	bytes []byte
	where string
}

// NewLive joins the feed.
func NewLive(cfg LiveConfig) (*Live, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Loc == nil {
		loc, err := time.LoadLocation("America/New_York")
		if err != nil {
			return nil, err
		}
		cfg.Loc = loc
	}
	rx, err := moldudp64.NewReceiver(cfg.Receiver)
	if err != nil {
		return nil, err
	}
	l := &Live{cfg: cfg, rx: rx, left: cfg.Records, where: cfg.Receiver.Lines[0].String()}
	day := cfg.Day
	if day.IsZero() {
		day = time.Now().In(cfg.Loc)
	}
	l.day0 = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, cfg.Loc).UnixNano()
	l.st.ByType = map[string]int64{}
	return l, nil
}

// Next appends what the feed delivers next: at least one record, or an
// error (io.EOF at the end of the session).
func (l *Live) Next(ctx context.Context, b *feed.Batch) error {
	for {
		if l.cfg.Records > 0 && l.left <= 0 {
			return io.EOF
		}
		if err := l.next(ctx, b); err != nil || b.Len() > 0 {
			return err
		}
		// Every message delivered was skipped (not ITCH): wait for more.
	}
}

func (l *Live) next(ctx context.Context, b *feed.Batch) error {
	return l.rx.Next(ctx, func(seq uint64, m []byte) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if cerr := itch.Check(m); cerr != nil {
			if len(m) > 0 && itch.LayoutOf(m[0]) != nil {
				l.st.BadLength++
			} else {
				l.st.Unknown++
			}
			l.st.Problems = appendProblem(l.st.Problems, itch.Problem{File: l.where, Offset: int64(seq), Detail: "sequence " + strconv.FormatUint(seq, 10) + ": " + cerr.Error()})
			return
		}
		if l.cfg.Records > 0 && l.left <= 0 {
			return
		}
		l.left--
		msg := itch.Message(m)
		sym, a := l.dir.Symbol(msg)
		switch a {
		case itch.MarketWide:
			sym = marketTopic
		case itch.NoDirectory:
			l.st.Unattributed++
			l.bytes = fmt.Appendf(l.bytes[:0], "%s%d", LocatePfx, msg.Locate())
			sym = l.bytes
		}
		if len(sym) == 0 {
			sym = blankTopic
		}
		r := b.Add()
		r.Topic = b.Bytes(len(sym))
		copy(r.Topic, sym)
		r.Payload = b.Bytes(len(m))
		copy(r.Payload, m)
		r.Kind = m[0]
		r.SourceTS = l.day0 + int64(msg.Timestamp())
		l.st.Records++
		l.st.ByType[string(m[:1])]++
	})
}

// Stats returns a snapshot; safe from any goroutine.
func (l *Live) Stats() LiveStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	st.ReceiverStats = l.rx.Stats()
	st.ByType = map[string]int64{}
	for k, v := range l.st.ByType {
		st.ByType[k] = v
	}
	st.Problems = append([]itch.Problem(nil), l.st.Problems...)
	return st
}

// Close leaves the feed.
func (l *Live) Close() error { return l.rx.Close() }

// SenderSpec is a parsed --mold udp://GROUP:PORT?... destination.
type SenderSpec struct {
	Sender moldudp64.SenderConfig
	Linger time.Duration // keep answering requests this long after the end (default 2s)
}

// ParseSender reads udp://GROUP:PORT?nic=eth1&b=GROUP2:PORT2&bnic=eth2
// &rewind=HOST:PORT&session=NAME&ttl=N&heartbeat=1s&linger=2s, plus the
// test options test-drop-a=F, test-drop-b=F (fractions of packets left
// out) and test-drop-seed=S.
func ParseSender(spec string) (SenderSpec, error) {
	s := SenderSpec{Linger: 2 * time.Second}
	rest, ok := strings.CutPrefix(spec, "udp://")
	if !ok {
		return s, fmt.Errorf("%s: want udp://GROUP:PORT[?nic=...&b=GROUP2:PORT2&rewind=HOST:PORT]", spec)
	}
	addr, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return s, fmt.Errorf("%s: %v", spec, err)
	}
	wrap := func(err error) (SenderSpec, error) { return s, fmt.Errorf("%s: %v", spec, err) }
	sc := &s.Sender
	if sc.Lines, err = parseLines(addr, q); err != nil {
		return wrap(err)
	}
	sc.Rewind = q.Get("rewind")
	sc.Session = moldudp64.MakeSession(q.Get("session"))
	if q.Get("session") == "" {
		sc.Session = moldudp64.MakeSession(time.Now().Format("20060102") + "B")
	}
	if v := q.Get("ttl"); v != "" {
		if sc.TTL, err = strconv.Atoi(v); err != nil || sc.TTL < 1 || sc.TTL > 255 {
			return wrap(fmt.Errorf("ttl=%q: want 1..255", v))
		}
	}
	for k, d := range map[string]*time.Duration{"heartbeat": &sc.Heartbeat, "linger": &s.Linger} {
		if err := parseDur(q, k, d); err != nil {
			return wrap(err)
		}
	}
	for i, k := range []string{"test-drop-a", "test-drop-b"} {
		if v := q.Get(k); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f >= 1 {
				return wrap(fmt.Errorf("%s=%q: want a fraction in [0, 1)", k, v))
			}
			sc.Drop[i] = f
		}
	}
	if v := q.Get("test-drop-seed"); v != "" {
		if sc.DropSeed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return wrap(fmt.Errorf("test-drop-seed=%q: want an integer", v))
		}
	}
	for k := range q {
		switch k {
		case "nic", "b", "bnic", "rewind", "session", "ttl", "heartbeat", "linger", "test-drop-a", "test-drop-b", "test-drop-seed":
		default:
			return wrap(fmt.Errorf("unknown option %q", k))
		}
	}
	return s, nil
}

// SendMold sends every record of src (its payload: the original ITCH
// message) as MoldUDP64, at the source's own pacing, then ends the
// session and lingers for retransmission requests.
func SendMold(ctx context.Context, src feed.Source, snd *moldudp64.Sender, linger time.Duration) (int64, error) {
	var b feed.Batch
	var msgs [][]byte
	var n int64
	for {
		b.Reset()
		err := src.Next(ctx, &b)
		msgs = msgs[:0]
		for i := range b.Recs {
			msgs = append(msgs, b.Recs[i].Payload)
		}
		if len(msgs) > 0 {
			if serr := snd.Send(msgs); serr != nil {
				return n, serr
			}
			n += int64(len(msgs))
		}
		if p, ok := src.(feed.Pender); !ok || !p.Pending() {
			if serr := snd.Flush(); serr != nil {
				return n, serr
			}
		}
		if err == io.EOF {
			return n, snd.End(ctx, linger)
		}
		if err != nil {
			if ctx.Err() != nil {
				snd.Flush()
				return n, nil
			}
			return n, err
		}
	}
}
