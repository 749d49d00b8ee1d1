package exchange

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/moldudp64"
)

// Topics of messages that name no stock.
const (
	MarketTopic = "$MARKET"  // S, V, W: system events and market-wide circuit breakers
	LocatePfx   = "$LOCATE." // + locate: a locate no Stock Directory message named (counted as unattributed)
)

// Validate checks c's values (zero values are defaults; Inputs is
// required).
func (c Config) Validate() error {
	if len(c.Inputs) == 0 {
		return errors.New("no inputs")
	}
	for _, in := range c.Inputs {
		if in.Kind == None {
			return fmt.Errorf("%s: not an ITCH 5.0 file, pcap or pcapng", in.Path)
		}
	}
	return nil
}

// ErrNoDay marks the error for an ITCH file whose name carries no date
// and that was given no day (Config.Day, or date= on the input); ErrStrict
// marks the error for the bad message that stopped a Strict source. Match
// them with errors.Is; a command adds how its user gives the day or turns
// Strict off.
var (
	ErrNoDay  = errors.New("no trading day")
	ErrStrict = errors.New("stopped by Strict")
)

// markedError reads msg and matches kind under errors.Is.
type markedError struct {
	msg  string
	kind error
}

func (e *markedError) Error() string        { return e.msg }
func (e *markedError) Is(target error) bool { return target == e.kind }

var marketTopic, blankTopic = []byte(MarketTopic), []byte("$BLANK")

// Config sets up a Source. The zero value of every field but Inputs is
// usable.
type Config struct {
	Inputs []Input // detected (Detect) files, played one after the other
	// Day is the trading day the ITCH timestamps count from (only its
	// date is used). Zero: from a NASDAQ file name (01302019.NASDAQ_ITCH50),
	// else from a capture's first packet.
	Day time.Time
	Loc *time.Location // the feed's time zone (nil: America/New_York)
	// Speed paces by the messages' timestamps: 1 original, 10 ten times
	// faster; 0 (and Rate 0): as fast as the engine takes them.
	Speed float64
	Rate  float64 // records per second, ignoring timestamps (instead of Speed)
	// Symbols keeps only these stocks (all, if empty); MarketTopic may be
	// listed. From/To keep source times in [From, To) (ns, 0: open).
	Symbols  []string
	From, To int64
	// FromTOD/ToTOD keep ITCH times of day in [FromTOD, ToTOD) (0: open),
	// for a window given before the day is known (a capture's).
	FromTOD, ToTOD time.Duration
	Loop           int  // play the inputs this many times (0: once; negative: until stopped)
	Strict         bool // stop at the first unknown type or wrong length instead of counting it
	// OnProblem is called for each bad message or packet (all are
	// counted in Stats either way).
	OnProblem func(itch.Problem)
	Records   int64 // stop after this many records (0: no limit)
}

// Stats is what a Source has read so far.
type Stats struct {
	Records        int64            `json:"records"` // published
	Bytes          int64            `json:"bytes"`   // ITCH bytes of the published records
	Messages       int64            `json:"messages"`
	ByType         map[string]int64 `json:"by_type"`
	Unknown        int64            `json:"unknown_type"`
	BadLength      int64            `json:"wrong_length"`
	Unattributed   int64            `json:"unattributed"`
	SkippedSymbols int64            `json:"skipped_symbols"`
	SkippedWindow  int64            `json:"skipped_window"`
	Loops          int64            `json:"loops"`
	FirstTS        int64            `json:"first_ts"`
	LastTS         int64            `json:"last_ts"`
	Day            string           `json:"day"`
	Problems       []itch.Problem   `json:"problems,omitempty"`
	Capture        *CaptureStats    `json:"capture,omitempty"`
	Symbols        int              `json:"symbols"` // distinct topics published
}

// Bad is how many messages were unusable.
func (s *Stats) Bad() int64 { return s.Unknown + s.BadLength }

type pos struct{ off, pkt, ts int64 }

type msgReader interface {
	next() ([]byte, pos, error)
	close() error
}

type fileReader struct {
	f  *os.File
	zr *gzip.Reader
	fr *itch.FileReader
}

func openITCH(in Input) (*fileReader, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	r := &fileReader{f: f}
	var src io.Reader = f
	if in.Gzip {
		if r.zr, err = gzip.NewReader(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip: %v", in.Path, err)
		}
		src = r.zr
	}
	r.fr = itch.NewFileReader(src)
	return r, nil
}

func (r *fileReader) next() ([]byte, pos, error) {
	m, off, err := r.fr.Next()
	return m, pos{off: off}, err
}

func (r *fileReader) close() error { return r.f.Close() }

// Source is a feed.Source of exchange messages.
type Source struct {
	cfg    Config
	loc    *time.Location
	keep   map[string]bool
	cur    msgReader
	pcap   *pcapReader
	idx    int
	loops  int64
	day0   int64 // midnight of the trading day, ns since the Unix epoch; 0 until known
	dir    itch.Directory
	st     Stats
	mu     sync.Mutex
	snap   Stats
	pacer  feed.Pacer
	start  time.Time
	first  int64 // source time of the first paced record
	held   bool  // rec holds a record not yet due
	rec    heldRec
	left   int64
	ended  bool
	locBuf []byte
	// Counted per record without allocating; Stats turns them into maps.
	byType   [256]int64
	symCount map[string]*int64
}

type heldRec struct {
	msg   []byte
	topic []byte
	ts    int64
}

// NewSource opens the first input; an input that cannot be opened is an
// error now rather than mid-replay.
func NewSource(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, loc: cfg.Loc, left: cfg.Records}
	if s.loc == nil {
		var err error
		if s.loc, err = time.LoadLocation("America/New_York"); err != nil {
			return nil, err
		}
	}
	if len(cfg.Symbols) > 0 {
		s.keep = map[string]bool{}
		for _, sym := range cfg.Symbols {
			s.keep[sym] = true
		}
	}
	s.symCount = map[string]*int64{}
	if err := s.open(0); err != nil {
		return nil, err
	}
	s.pacer.Rate = cfg.Rate
	return s, nil
}

func (s *Source) open(i int) error {
	in := s.cfg.Inputs[i]
	s.idx = i
	s.pcap = nil
	s.dir = itch.Directory{} // locates are per day, per file
	switch in.Kind {
	case ITCH:
		r, err := openITCH(in)
		if err != nil {
			return err
		}
		s.cur = r
	default:
		r, err := openPcap(in, s.problem)
		if err != nil {
			return err
		}
		s.cur, s.pcap = r, r
	}
	if in.TZ != "" {
		s.loc, _ = time.LoadLocation(in.TZ) // checked by ParseInput
	}
	if in.Date != "" {
		t, _ := time.Parse("2006-01-02", in.Date)
		s.setDay(t.Year(), t.Month(), t.Day())
	} else if !s.cfg.Day.IsZero() {
		s.setDay(s.cfg.Day.Year(), s.cfg.Day.Month(), s.cfg.Day.Day())
	} else if y, m, d, ok := DateFromName(in.Path); ok {
		s.setDay(y, m, d)
	} else if in.Kind == ITCH {
		return &markedError{fmt.Sprintf("%s: no trading day: name the file like MMDDYYYY.NASDAQ_ITCH50 or give the day", in.Path), ErrNoDay}
	} else {
		s.day0 = 0 // from the first packet
	}
	return nil
}

func (s *Source) setDay(y int, m time.Month, d int) {
	t := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	s.day0 = t.UnixNano()
	s.st.Day = t.Format("2006-01-02")
}

func (s *Source) problem(p itch.Problem) {
	s.st.Problems = appendProblem(s.st.Problems, p)
	if s.cfg.OnProblem != nil {
		s.cfg.OnProblem(p)
	}
}

func appendProblem(ps []itch.Problem, p itch.Problem) []itch.Problem {
	if len(ps) < itch.MaxProblems {
		ps = append(ps, p)
	}
	return ps
}

// Close releases the current input.
func (s *Source) Close() error {
	if s.cur != nil {
		err := s.cur.close()
		s.cur = nil
		return err
	}
	return nil
}

// Stats returns a snapshot; safe from any goroutine.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.snap
	st.ByType = map[string]int64{}
	for k, v := range s.snap.ByType {
		st.ByType[k] = v
	}
	st.Problems = append([]itch.Problem(nil), s.snap.Problems...)
	return st
}

// TopSymbols returns the n busiest topics, most records first. Call it
// after the source is done (it reads the live map).
func (s *Source) TopSymbols(n int) []SymCount {
	var out []SymCount
	for k, v := range s.symCount {
		out = append(out, SymCount{k, *v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Records != out[j].Records {
			return out[i].Records > out[j].Records
		}
		return out[i].Symbol < out[j].Symbol
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// SymCount is one topic's record count.
type SymCount struct {
	Symbol  string `json:"symbol"`
	Records int64  `json:"records"`
}

func (s *Source) publishStats() {
	s.mu.Lock()
	s.st.Symbols = len(s.symCount)
	s.snap = s.st
	s.snap.ByType = map[string]int64{}
	for t, n := range s.byType {
		if n > 0 {
			s.snap.ByType[string(rune(t))] = n
		}
	}

	s.snap.Problems = s.st.Problems[:len(s.st.Problems):len(s.st.Problems)]
	if s.pcap != nil {
		c := s.pcap.st
		c.Lines = append([]moldudp64.LineStats(nil), c.Lines...)
		s.snap.Capture = &c
	}
	s.mu.Unlock()
}

// Pending reports whether a record is ready without waiting.
func (s *Source) Pending() bool {
	if s.held {
		return s.due(s.rec.ts, time.Now())
	}
	return !s.ended && s.cfg.Speed == 0 && s.cfg.Rate == 0
}

func (s *Source) due(ts int64, now time.Time) bool {
	switch {
	case s.cfg.Rate > 0:
		return s.pacer.Pending(now)
	case s.cfg.Speed > 0:
		return !now.Before(s.wallAt(ts))
	}
	return true
}

func (s *Source) wallAt(ts int64) time.Time {
	return s.start.Add(time.Duration(float64(ts-s.first) / s.cfg.Speed))
}

// Next appends up to a batch of due records.
func (s *Source) Next(ctx context.Context, b *feed.Batch) error {
	defer s.publishStats()
	for b.Len() < 1024 {
		if !s.held {
			ok, err := s.read()
			if err != nil {
				if err == io.EOF && b.Len() > 0 {
					return nil
				}
				return err
			}
			if !ok {
				continue
			}
		}
		paced := s.cfg.Rate > 0 || s.cfg.Speed > 0
		var now time.Time
		if paced { // the clock only for a paced replay: it costs more than the rest of a record
			now = time.Now()
		}
		if s.start.IsZero() {
			s.start, s.first = now, s.rec.ts
			s.pacer.Start(now)
		}
		if paced && !s.due(s.rec.ts, now) {
			if b.Len() > 0 {
				return nil
			}
			var wait time.Duration
			if s.cfg.Rate > 0 {
				_, wait = s.pacer.Due(now, 1)
			} else {
				wait = s.wallAt(s.rec.ts).Sub(now)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		r := b.Add()
		r.Topic = b.Bytes(len(s.rec.topic))
		copy(r.Topic, s.rec.topic)
		r.Payload = b.Bytes(len(s.rec.msg))
		copy(r.Payload, s.rec.msg)
		r.Kind = s.rec.msg[0]
		r.SourceTS = s.rec.ts
		s.held = false
		s.pacer.Sent(1)
		s.st.Records++
		s.st.Bytes += int64(len(s.rec.msg))
		if c := s.symCount[string(s.rec.topic)]; c != nil { // no allocation for a known topic
			*c++
		} else {
			n := int64(1)
			s.symCount[string(s.rec.topic)] = &n
		}
		if s.left > 0 {
			if s.left--; s.left == 0 {
				s.ended = true
			}
		}
		if s.ended {
			return nil
		}
	}
	return nil
}

// read takes the next message into s.rec; ok false means it was skipped.
func (s *Source) read() (bool, error) {
	if s.ended {
		return false, io.EOF
	}
	m, p, err := s.cur.next()
	if err == io.EOF {
		s.cur.close()
		s.cur = nil
		next := s.idx + 1
		if next == len(s.cfg.Inputs) {
			s.loops++
			s.st.Loops = s.loops
			if s.cfg.Loop >= 0 && s.loops >= int64(max(s.cfg.Loop, 1)) {
				s.ended = true
				return false, io.EOF
			}
			next = 0
		}
		if err := s.open(next); err != nil {
			return false, err
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	in := s.cfg.Inputs[s.idx]
	if cerr := itch.Check(m); cerr != nil {
		if len(m) > 0 && itch.LayoutOf(m[0]) != nil {
			s.st.BadLength++
		} else {
			s.st.Unknown++
		}
		pr := itch.Problem{File: in.Path, Offset: p.off, Packet: p.pkt, Detail: cerr.Error()}
		s.problem(pr)
		if s.cfg.Strict {
			return false, &markedError{pr.String(), ErrStrict}
		}
		return false, nil
	}
	s.st.Messages++
	s.byType[m[0]]++
	if s.day0 == 0 {
		t := time.Unix(0, p.ts).In(s.loc)
		s.setDay(t.Year(), t.Month(), t.Day())
	}
	ts := s.day0 + int64(itch.Message(m).Timestamp())
	sym, a := s.dir.Symbol(itch.Message(m))
	switch a {
	case itch.MarketWide:
		sym = marketTopic
	case itch.NoDirectory:
		s.st.Unattributed++
		s.locBuf = fmt.Appendf(s.locBuf[:0], "%s%d", LocatePfx, itch.Message(m).Locate())
		sym = s.locBuf
	}
	if len(sym) == 0 { // an all-blank symbol
		sym = blankTopic
	}
	if s.keep != nil && !s.keep[string(sym)] {
		s.st.SkippedSymbols++
		return false, nil
	}
	tod := time.Duration(itch.Message(m).Timestamp())
	if (s.cfg.From != 0 && ts < s.cfg.From) || (s.cfg.To != 0 && ts >= s.cfg.To) ||
		(s.cfg.FromTOD != 0 && tod < s.cfg.FromTOD) || (s.cfg.ToTOD != 0 && tod >= s.cfg.ToTOD) {
		s.st.SkippedWindow++
		return false, nil
	}
	if s.st.FirstTS == 0 {
		s.st.FirstTS = ts
	}
	s.st.LastTS = ts
	s.rec = heldRec{msg: m, topic: sym, ts: ts}
	s.held = true
	return true, nil
}
