package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// SourceConfig configures a replay Source. Zero values are documented
// defaults: the zero config plays each file once, as fast as the consumer
// takes it, every record, stopping at the first damage.
type SourceConfig struct {
	// Files are played in order (a rotated set plays as one day). Required.
	// The Source reads them; the caller closes them.
	Files []*Reader
	// Speed is a multiple of the original pacing (SourceTS gaps): 1 replays
	// in real time, 10 ten times faster. 0 means as fast as possible.
	Speed float64
	// Rate, if positive, paces at this many records per second instead,
	// ignoring timestamps. Speed and Rate are exclusive.
	Rate float64
	// Loop is how many times the files are played; 0 means once, negative
	// means until the context ends.
	Loop int
	// From and To select records with From <= SourceTS < To (ns since the
	// Unix epoch); 0 leaves that side open. Chunks wholly outside are
	// skipped without being read.
	From, To int64
	// Symbols, if set, keeps only records with these topics. Chunks that
	// hold none of them are skipped after reading only their dictionary.
	Symbols []string
	// SkipCorrupt carries on past damaged chunks and torn tails (reporting
	// each through OnSkip and in Stats) instead of failing.
	SkipCorrupt bool
	// MaxSleep caps any single pause of a paced replay (a gap in the
	// original timeline, like a night between two days). 0 means no cap.
	MaxSleep time.Duration
	// Batch caps the records one Next returns. 0 means 1024.
	Batch int
	// Prefetch is how many chunks are read and decompressed ahead of the
	// publisher, on their own goroutine. 0 means 4.
	Prefetch int
	// OnSkip, if set, is called (on the goroutine calling Next) for each
	// damaged part skipped with SkipCorrupt.
	OnSkip func(file string, p Problem)
}

// SourceStats counts what a Source has done. Fields are read atomically.
type SourceStats struct {
	Records        int64 // handed to the consumer
	WireBytes      int64 // their wire sizes
	SkippedWindow  int64 // records outside From/To
	SkippedSymbols int64 // records of other symbols
	SkippedCorrupt int64 // records in skipped damaged chunks (known from their headers)
	CorruptChunks  int64 // damaged chunks skipped
	TornBytes      int64 // bytes of torn tails and unreadable stretches skipped
	Loops          int64 // completed passes over the files
	Done           int64 // records accounted for (handed out or skipped), for progress
	Total          int64 // records in the selected chunks times the loops (-1: looping forever)
}

// Source replays capture files as a feed.Source. Records keep their
// original SourceTS (and Kind, Topic, Payload); a publisher stamps the rest.
// Only its Stats and Progress methods are safe to call from other goroutines.
type Source struct {
	cfg     SourceConfig
	plan    []planned
	symbols map[string]bool

	ch    chan *loaded
	free  chan *loaded
	stop  chan struct{}
	once  sync.Once
	start sync.Once

	cur   *loaded
	pos   int
	pacer feed.Pacer
	// speed pacing
	pacing      bool
	t0          time.Time
	e0, hi, sft int64
	anchored    bool

	records, wire, skipWin, skipSym, skipBad, badChunks, torn, loops, done atomic.Int64
	total                                                                  int64
}

type planned struct {
	r    *Reader
	info ChunkInfo
}

// loaded is a decoded chunk handed from the prefetcher to Next.
type loaded struct {
	chunk     Chunk
	recs      []feed.Record
	file      string
	accounted int64 // records of the chunk (handed out + skipped)
	skipWin   int64
	skipSym   int64
	problem   *Problem
	err       error
	loopStart bool
	loopEnd   bool
	eof       bool
}

// NewSource checks cfg and the files. Damage found when the files were
// opened (a torn tail, a damaged chunk header) is an error unless
// SkipCorrupt is set.
func NewSource(cfg SourceConfig) (*Source, error) {
	if len(cfg.Files) == 0 {
		return nil, errors.New("replay: no files to replay")
	}
	if cfg.Speed < 0 || math.IsNaN(cfg.Speed) || math.IsInf(cfg.Speed, 0) || cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("replay: speed %v and rate %v must be positive numbers", cfg.Speed, cfg.Rate)
	}
	if cfg.Speed > 0 && cfg.Rate > 0 {
		return nil, errors.New("replay: speed and rate are exclusive")
	}
	if cfg.To != 0 && cfg.To <= cfg.From {
		return nil, fmt.Errorf("replay: empty time window [%d, %d)", cfg.From, cfg.To)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1024
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 4
	}
	s := &Source{cfg: cfg, stop: make(chan struct{}), pacer: feed.Pacer{Rate: cfg.Rate}}
	if len(cfg.Symbols) > 0 {
		s.symbols = map[string]bool{}
		for _, sym := range cfg.Symbols {
			s.symbols[sym] = true
		}
	}
	var perLoop int64
	for _, r := range cfg.Files {
		if err := r.Err(); err != nil && !cfg.SkipCorrupt {
			return nil, err
		}
		for _, c := range r.Chunks() {
			if (cfg.From != 0 && c.LastTS < cfg.From) || (cfg.To != 0 && c.FirstTS >= cfg.To) {
				s.skipWin.Add(int64(c.Records)) // counted once, not per loop
				continue
			}
			s.plan = append(s.plan, planned{r, c})
			perLoop += int64(c.Records)
		}
	}
	loops := int64(max(cfg.Loop, 1))
	s.total = perLoop * loops
	if cfg.Loop < 0 {
		s.total = -1
	}
	s.ch = make(chan *loaded, cfg.Prefetch)
	s.free = make(chan *loaded, cfg.Prefetch+2)
	for i := 0; i < cfg.Prefetch+2; i++ {
		s.free <- &loaded{}
	}
	return s, nil
}

// Close stops the prefetcher. The Source cannot be used after.
func (s *Source) Close() {
	s.once.Do(func() { close(s.stop) })
}

// Stats returns the counters.
func (s *Source) Stats() SourceStats {
	return SourceStats{
		Records: s.records.Load(), WireBytes: s.wire.Load(), SkippedWindow: s.skipWin.Load(),
		SkippedSymbols: s.skipSym.Load(), SkippedCorrupt: s.skipBad.Load(), CorruptChunks: s.badChunks.Load(),
		TornBytes: s.torn.Load(), Loops: s.loops.Load(), Done: s.done.Load(), Total: s.total,
	}
}

// prefetch reads and decodes the planned chunks in order, loop after loop.
func (s *Source) prefetch() {
	var keepTopic []bool
	from, to := s.cfg.From, s.cfg.To
	if to == 0 {
		to = math.MaxInt64
	}
	send := func(l *loaded) bool {
		select {
		case s.ch <- l:
			return true
		case <-s.stop:
			return false
		}
	}
	get := func() *loaded {
		select {
		case l := <-s.free:
			return l
		case <-s.stop:
			return nil
		}
	}
	// Damage found at open time is reported once, before the first record.
	if s.cfg.SkipCorrupt {
		for _, r := range s.cfg.Files {
			for _, p := range r.Problems() {
				l := get()
				if l == nil {
					return
				}
				l.reset()
				p := p
				l.file, l.problem = r.Name(), &p
				if !send(l) {
					return
				}
			}
		}
	}
	for loop := 0; s.cfg.Loop < 0 || loop < max(s.cfg.Loop, 1); loop++ {
		for i, pc := range s.plan {
			l := get()
			if l == nil {
				return
			}
			l.reset()
			l.file, l.loopStart, l.loopEnd = pc.r.Name(), i == 0, i == len(s.plan)-1
			l.accounted = int64(pc.info.Records)
			var keep func(uint16, int64) bool
			if s.symbols != nil {
				if err := pc.r.ReadDict(pc.info, &l.chunk); err != nil {
					l.err = err
					if !send(l) {
						return
					}
					continue
				}
				keepTopic = keepTopic[:0]
				any := false
				for _, t := range l.chunk.Topics() {
					k := s.symbols[string(t)]
					keepTopic = append(keepTopic, k)
					any = any || k
				}
				if !any {
					l.skipSym = int64(pc.info.Records)
					if !send(l) {
						return
					}
					continue
				}
			}
			if err := pc.r.ReadChunk(pc.info, &l.chunk); err != nil {
				l.err = err
				if !send(l) {
					return
				}
				continue
			}
			windowed := (s.cfg.From != 0 && pc.info.FirstTS < from) || (s.cfg.To != 0 && pc.info.LastTS >= to)
			switch {
			case s.symbols != nil:
				keep = func(ti uint16, ts int64) bool {
					if !keepTopic[ti] {
						l.skipSym++
						return false
					}
					if ts < from || ts >= to {
						l.skipWin++
						return false
					}
					return true
				}
			case windowed:
				keep = func(_ uint16, ts int64) bool {
					if ts < from || ts >= to {
						l.skipWin++
						return false
					}
					return true
				}
			}
			var err error
			l.recs, _, err = l.chunk.Decode(l.recs[:0], keep)
			if err != nil {
				l.err, l.skipWin, l.skipSym = err, 0, 0
			}
			if !send(l) {
				return
			}
		}
		if len(s.plan) == 0 {
			break
		}
	}
	l := get()
	if l == nil {
		return
	}
	l.reset()
	l.eof = true
	send(l)
}

func (l *loaded) reset() {
	clear(l.recs)
	*l = loaded{chunk: l.chunk, recs: l.recs[:0]}
}

// Pending reports whether Next would return without waiting.
func (s *Source) Pending() bool {
	if s.cur != nil && s.pos < len(s.cur.recs) {
		return s.due(time.Now(), 1) > 0
	}
	return len(s.ch) > 0 && s.cfg.Speed == 0 && s.cfg.Rate == 0
}

// Next appends the next records that are due (never more than one
// chunk's worth) to b.
func (s *Source) Next(ctx context.Context, b *feed.Batch) error {
	s.start.Do(func() { go s.prefetch() })
	for {
		if s.cur != nil && s.pos >= len(s.cur.recs) {
			// The consumer is done with the records of the previous call.
			s.free <- s.cur
			s.cur = nil
		}
		if s.cur == nil {
			var l *loaded
			select {
			case l = <-s.ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := s.take(l); err != nil {
				return err
			}
			if l.eof {
				s.free <- l
				s.Close()
				return io.EOF
			}
			s.cur, s.pos = l, 0
			continue
		}
		now := time.Now()
		n := s.due(now, min(s.cfg.Batch, len(s.cur.recs)-s.pos))
		if n == 0 {
			if err := s.wait(ctx, now); err != nil {
				return err
			}
			continue
		}
		recs := s.cur.recs[s.pos : s.pos+n]
		b.Recs = append(b.Recs, recs...)
		s.pos += n
		s.pacer.Sent(n)
		var w int64
		for i := range recs {
			w += int64(recs[i].WireSize(false))
		}
		s.records.Add(int64(n))
		s.wire.Add(w)
		s.done.Add(int64(n))
		return nil
	}
}

// take accounts for a loaded chunk: skips, damage, loop boundaries.
func (s *Source) take(l *loaded) error {
	if l.problem != nil {
		p := l.problem
		if p.Records > 0 {
			s.skipBad.Add(p.Records)
		}
		s.torn.Add(p.Bytes)
		if p.Kind == KindCorrupt {
			s.badChunks.Add(1)
		}
		if s.cfg.OnSkip != nil {
			s.cfg.OnSkip(l.file, *p)
		}
		l.problem = nil
		return nil
	}
	if l.err != nil {
		var e *Error
		if !s.cfg.SkipCorrupt {
			s.Close()
			return l.err
		}
		p := Problem{Chunk: int64(l.chunk.Info.Number), Records: l.accounted, Kind: KindCorrupt, Offset: l.chunk.Info.Offset,
			Bytes: l.chunk.Info.Size(), Detail: l.err.Error()}
		if errors.As(l.err, &e) {
			p.Offset, p.Kind, p.Detail = e.Offset, e.Kind, e.Detail
		}
		s.skipBad.Add(l.accounted)
		s.badChunks.Add(1)
		s.done.Add(l.accounted)
		if s.cfg.OnSkip != nil {
			s.cfg.OnSkip(l.file, p)
		}
		l.err = nil
	} else {
		s.skipWin.Add(l.skipWin)
		s.skipSym.Add(l.skipSym)
		s.done.Add(l.skipWin + l.skipSym)
	}
	if l.loopStart {
		s.anchored = false // each pass starts on its own timeline
	}
	if l.loopEnd {
		s.loops.Add(1)
	}
	return nil
}

// due returns how many of the next want records may go out at now.
func (s *Source) due(now time.Time, want int) int {
	switch {
	case s.cfg.Rate > 0:
		if !s.pacing {
			s.pacing = true
			s.pacer.Start(now)
		}
		n, _ := s.pacer.Due(now, want)
		return n
	case s.cfg.Speed > 0:
		recs := s.cur.recs[s.pos:]
		n := 0
		for n < want {
			ts := recs[n].SourceTS
			eff, sft := s.effective(ts)
			if !s.anchored {
				s.anchored, s.t0, s.e0, s.hi, s.sft = true, now, eff, ts, 0
				n++
				continue
			}
			if s.dueAt(eff).After(now) {
				break
			}
			if ts > s.hi {
				s.hi, s.sft = ts, sft
			}
			n++
		}
		return n
	}
	return want
}

// effective maps an original timestamp onto the replay's timeline: never
// backwards (shards interleave in a recording) and with every gap longer
// than MaxSleep cut to it. It returns the mapped time and the total cut
// so far if the record is sent.
func (s *Source) effective(ts int64) (eff, sft int64) {
	if !s.anchored {
		return ts, 0
	}
	if ts <= s.hi {
		return s.hi - s.sft, s.sft
	}
	sft = s.sft
	if s.cfg.MaxSleep > 0 {
		if limit := int64(float64(s.cfg.MaxSleep) * s.cfg.Speed); ts-s.hi > limit {
			sft += ts - s.hi - limit
		}
	}
	return ts - sft, sft
}

func (s *Source) dueAt(eff int64) time.Time {
	return s.t0.Add(time.Duration(float64(eff-s.e0) / s.cfg.Speed))
}

// wait sleeps until the next record is due (at least 50µs: finer sleeps
// cost more than they save), or ctx ends.
func (s *Source) wait(ctx context.Context, now time.Time) error {
	var d time.Duration
	switch {
	case s.cfg.Rate > 0:
		_, d = s.pacer.Due(now, 1)
	case s.cfg.Speed > 0:
		eff, _ := s.effective(s.cur.recs[s.pos].SourceTS)
		d = s.dueAt(eff).Sub(now)
	}
	d = max(d, 50*time.Microsecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
