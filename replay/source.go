package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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
	// Batch caps the records one Next returns. 0 (or negative) means 1024.
	Batch int
	// Prefetch is how many chunks are read and decompressed ahead of the
	// consumer. 0 (or negative) means 8.
	Prefetch int
	// Decoders is how many goroutines decompress chunks in parallel (the
	// order of records is kept). 0 means one per two CPUs, at least one:
	// the publisher and subscriber threads need the others.
	Decoders int
	// Preload decompresses every selected chunk into memory in NewSource,
	// before the replay starts (tcpreplay's --preload-pcap): the replay
	// then runs at memory speed and loops reuse the chunks. It needs about
	// the files' uncompressed size in RAM.
	Preload bool
	// OnSkip, if set, is called (on the goroutine calling Next) for each
	// damaged part skipped with SkipCorrupt (Source.Skipped keeps the
	// first of them).
	OnSkip func(file string, p Problem)
}

// Validate checks c's values (zero values are defaults).
func (c SourceConfig) Validate() error {
	switch {
	case len(c.Files) == 0:
		return errors.New("no files to replay")
	case c.Speed < 0 || math.IsNaN(c.Speed) || math.IsInf(c.Speed, 0) || c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("speed %v and rate %v must be positive numbers", c.Speed, c.Rate)
	case c.Speed > 0 && c.Rate > 0:
		return errors.New("speed and rate are exclusive")
	case c.To != 0 && c.To <= c.From:
		return fmt.Errorf("empty time window [%d, %d)", c.From, c.To)
	}
	return nil
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
	// Chunks valid on their own but out of place (docs/capture.md
	// section 6), skipped with SkipCorrupt.
	DuplicateChunks  int64 // copies of an earlier chunk
	SkippedDuplicate int64 // their records: played once, from the original, not twice
	OrderChunks      int64 // chunks whose number is out of order
	SkippedOrder     int64 // their records, not played
	MissingChunks    int64 // chunk numbers absent from the files
	Loops            int64 // completed passes over the files
	Done             int64 // records accounted for (handed out or skipped), for progress
	Total            int64 // records in the selected chunks times the loops (-1: looping forever)
	// Paced replays (Speed): recorded time, in ns of SourceTS after
	// MaxSleep cuts, of one pass over the selected chunks, and how much of
	// the current pass has been played; Passes is the number of passes
	// planned (-1: until stopped) and Pass the number started.
	PassSpan     int64
	Played       int64
	Passes       int64
	Pass         int64
	PreloadBytes int64 // uncompressed bytes held in memory by Preload
	PreloadTime  time.Duration
}

// Source replays capture files as a feed.Source. Records keep their
// original SourceTS (and Kind, Topic, Payload); a publisher stamps the rest.
// Only its Stats method is safe to call from other goroutines.
type Source struct {
	cfg     SourceConfig
	plan    []planned
	symbols map[string]bool

	ch      chan *loaded // decoded chunks, in order
	work    chan *loaded // chunks to decode
	free    chan *loaded
	stop    chan struct{}
	once    sync.Once
	start   sync.Once
	wg      sync.WaitGroup // the decoders and feed, until Close
	pre     []*loaded      // Preload: every item of one pass
	preIdx  int
	preLoop int

	cur   *loaded
	pos   int
	pacer feed.Pacer
	// speed pacing
	pacing      bool
	t0          time.Time
	e0, hi, sft int64
	anchored    bool

	records, wire, skipWin, skipSym, skipBad, badChunks, torn, loops, done atomic.Int64
	skipDup, dupChunks, skipOrder, orderChunks, missing, played, pass      atomic.Int64
	total, preBytes, passSpan, passRecords                                 int64
	preTime                                                                time.Duration

	smu     sync.Mutex
	skipped []Problem // the first maxSkipped parts skipped, for the report
}

// maxSkipped bounds the problems a Source keeps (Skipped): a file damaged
// throughout is counted in Stats, not listed chunk by chunk.
const maxSkipped = 100

// skip reports a damaged part of file skipped with SkipCorrupt.
func (s *Source) skip(file string, p Problem) {
	if s.cfg.OnSkip != nil {
		s.cfg.OnSkip(file, p)
	}
	s.smu.Lock()
	if len(s.skipped) < maxSkipped {
		s.skipped = append(s.skipped, p)
	}
	s.smu.Unlock()
}

// Skipped returns the first 100 damaged parts skipped with SkipCorrupt,
// in the order met (Stats counts them all). Safe from any goroutine.
func (s *Source) Skipped() []Problem {
	s.smu.Lock()
	defer s.smu.Unlock()
	return append([]Problem(nil), s.skipped...)
}

// errEmptyPass ends a loop whose last pass handed out no record.
var errEmptyPass = errors.New("a whole pass matched no record")

type planned struct {
	r    *Reader
	info ChunkInfo
}

// loaded is one item of the replay: a decoded chunk (its records as
// offsets, no pointers) or a damaged part to report.
type loaded struct {
	chunk     Chunk
	offs      []uint32
	recs      []feed.Record // Preload: the records built once, served by copying
	plan      planned       // for a problem item, only its Reader
	keepTopic []bool
	skipWin   int64
	skipSym   int64
	problem   *Problem
	err       error
	loopStart bool
	loopEnd   bool
	eof       bool
	ready     chan struct{} // closed once decoded
}

// len is the number of records the item hands out.
func (l *loaded) len() int {
	if l.recs != nil {
		return len(l.recs)
	}
	return len(l.offs)
}

// ts is the SourceTS of the item's i-th record.
func (l *loaded) ts(i int) int64 {
	if l.recs != nil {
		return l.recs[i].SourceTS
	}
	return l.chunk.SourceTS(l.offs[i])
}

// NewSource checks cfg and the files. Damage found when the files were
// opened (a torn tail, a damaged chunk header) is an error unless
// SkipCorrupt is set.
func NewSource(cfg SourceConfig) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1024
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 8
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = max(1, runtime.GOMAXPROCS(0)/2)
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
	s.total = perLoop * int64(max(cfg.Loop, 1))
	if cfg.Loop < 0 {
		s.total = -1
	}
	s.passSpan = s.span()
	if cfg.Preload {
		s.preload()
	}
	return s, nil
}

// Close stops the decoders and returns once they have exited (none reads
// a file after it). The Source cannot be used after.
func (s *Source) Close() {
	s.once.Do(func() { close(s.stop) })
	s.start.Do(func() {}) // none start after Close; a start under way finishes first
	s.wg.Wait()
}

// Stats returns the counters.
func (s *Source) Stats() SourceStats {
	return SourceStats{
		Records: s.records.Load(), WireBytes: s.wire.Load(), SkippedWindow: s.skipWin.Load(),
		SkippedSymbols: s.skipSym.Load(), SkippedCorrupt: s.skipBad.Load(), CorruptChunks: s.badChunks.Load(),
		TornBytes: s.torn.Load(), DuplicateChunks: s.dupChunks.Load(), SkippedDuplicate: s.skipDup.Load(),
		OrderChunks: s.orderChunks.Load(), SkippedOrder: s.skipOrder.Load(), MissingChunks: s.missing.Load(),
		Loops: s.loops.Load(), Done: s.done.Load(), Total: s.total,
		PassSpan: s.passSpan, Played: s.played.Load(), Passes: s.passes(), Pass: s.pass.Load(),
		PreloadBytes: s.preBytes, PreloadTime: s.preTime,
	}
}

// problems lists the damage found when the files were opened, reported
// (with SkipCorrupt) before the first record.
func (s *Source) problems() []*loaded {
	var out []*loaded
	if !s.cfg.SkipCorrupt {
		return nil
	}
	for _, r := range s.cfg.Files {
		for _, p := range r.Problems() {
			if p.Kind == KindIndex {
				continue // nothing is skipped: the chunks were found by scanning
			}
			p := p
			out = append(out, &loaded{plan: planned{r: r}, problem: &p})
		}
	}
	return out
}

// preload decodes every planned chunk, on every CPU: nothing else runs
// yet.
func (s *Source) preload() {
	t0 := time.Now()
	s.pre = s.problems()
	items := make([]*loaded, len(s.plan))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				l := &loaded{plan: s.plan[i], loopStart: i == 0, loopEnd: i == len(items)-1}
				s.decode(l)
				l.chunk.buf = nil // the compressed copy is not needed again
				// Build the records now: Next then only copies them, as
				// from any in-memory source.
				l.recs = make([]feed.Record, len(l.offs))
				for k, off := range l.offs {
					l.chunk.Record(off, &l.recs[k])
				}
				l.offs = nil
				items[i] = l
			}
		}()
	}
	wg.Wait()
	for _, l := range items {
		s.preBytes += int64(len(l.chunk.raw)+len(l.chunk.dict)) + int64(len(l.recs))*int64(unsafe.Sizeof(feed.Record{}))
	}
	s.pre = append(s.pre, items...)
	s.preTime = time.Since(t0)
}

// decode reads a planned chunk and indexes the records to replay.
func (s *Source) decode(l *loaded) {
	pc := l.plan
	if s.symbols != nil {
		if err := pc.r.ReadDict(pc.info, &l.chunk); err != nil {
			l.err = err
			return
		}
		l.keepTopic = l.keepTopic[:0]
		any := false
		for _, t := range l.chunk.Topics() {
			k := s.symbols[string(t)]
			l.keepTopic = append(l.keepTopic, k)
			any = any || k
		}
		if !any {
			l.skipSym = int64(pc.info.Records)
			return
		}
	}
	if err := pc.r.ReadChunk(pc.info, &l.chunk); err != nil {
		l.err = err
		return
	}
	from, to := s.cfg.From, s.cfg.To
	if to == 0 {
		to = math.MaxInt64
	}
	var keep func(uint16, int64) bool
	switch {
	case s.symbols != nil:
		keep = func(ti uint16, ts int64) bool {
			if !l.keepTopic[ti] {
				l.skipSym++
				return false
			}
			if ts < from || ts >= to {
				l.skipWin++
				return false
			}
			return true
		}
	case pc.info.FirstTS < from || pc.info.LastTS >= to:
		keep = func(_ uint16, ts int64) bool {
			if ts < from || ts >= to {
				l.skipWin++
				return false
			}
			return true
		}
	}
	var err error
	if l.offs, err = l.chunk.Index(l.offs[:0], keep); err != nil {
		l.err, l.skipWin, l.skipSym = err, 0, 0
	}
}

// feed hands the planned chunks, loop after loop, to the decoders and,
// in the same order, to Next.
func (s *Source) feed() {
	defer s.wg.Done()
	defer close(s.work)
	send := func(l *loaded, decode bool) bool {
		if decode {
			select {
			case s.work <- l:
			case <-s.stop:
				return false
			}
		}
		select {
		case s.ch <- l:
			return true
		case <-s.stop:
			return false
		}
	}
	for _, l := range s.problems() {
		l.ready = make(chan struct{})
		close(l.ready)
		if !send(l, false) {
			return
		}
	}
	for loop := 0; s.cfg.Loop < 0 || loop < max(s.cfg.Loop, 1); loop++ {
		for i, pc := range s.plan {
			var l *loaded
			select {
			case l = <-s.free:
			case <-s.stop:
				return
			}
			*l = loaded{chunk: l.chunk, offs: l.offs[:0], keepTopic: l.keepTopic[:0], plan: pc,
				loopStart: i == 0, loopEnd: i == len(s.plan)-1, ready: make(chan struct{})}
			if !send(l, true) {
				return
			}
		}
		if len(s.plan) == 0 {
			break
		}
	}
	l := &loaded{eof: true, ready: make(chan struct{})}
	close(l.ready)
	send(l, false)
}

func (s *Source) decoder() {
	defer s.wg.Done()
	for l := range s.work {
		select {
		case <-s.stop: // closed: what is still queued is not wanted
		default:
			s.decode(l)
		}
		close(l.ready)
	}
}

func (s *Source) startDecoders() {
	n := s.cfg.Prefetch + s.cfg.Decoders
	s.ch = make(chan *loaded, n)
	s.work = make(chan *loaded, n)
	s.free = make(chan *loaded, n+1)
	for i := 0; i < n+1; i++ {
		s.free <- &loaded{}
	}
	s.wg.Add(s.cfg.Decoders + 1)
	for i := 0; i < s.cfg.Decoders; i++ {
		go s.decoder()
	}
	go s.feed()
}

// nextItem returns the next decoded item, waiting for it if need be.
func (s *Source) nextItem(ctx context.Context) (*loaded, error) {
	if s.cfg.Preload {
		if s.preIdx == len(s.pre) {
			s.preIdx, s.preLoop = 0, s.preLoop+1
			for s.preIdx < len(s.pre) && s.pre[s.preIdx].problem != nil {
				s.preIdx++ // damage is reported on the first pass only
			}
		}
		if (s.cfg.Loop >= 0 && s.preLoop >= max(s.cfg.Loop, 1)) || s.preIdx == len(s.pre) {
			return &loaded{eof: true}, nil
		}
		l := s.pre[s.preIdx]
		s.preIdx++
		return l, nil
	}
	var l *loaded
	select {
	case l = <-s.ch:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l, nil
}

// Pending reports whether Next would return without waiting.
func (s *Source) Pending() bool {
	if s.cur != nil && s.pos < s.cur.len() {
		return s.due(time.Now(), 1) > 0
	}
	if s.cfg.Speed != 0 || s.cfg.Rate != 0 {
		return false
	}
	if s.cfg.Preload {
		return true
	}
	// A queued chunk is ready unless a decoder is behind.
	return len(s.ch) > 0
}

// Next appends the next records that are due (never more than one
// chunk's worth) to b.
func (s *Source) Next(ctx context.Context, b *feed.Batch) error {
	if !s.cfg.Preload {
		s.start.Do(s.startDecoders)
	}
	for {
		if s.cur != nil && s.pos >= s.cur.len() {
			// The consumer is done with the records of the previous call.
			if !s.cfg.Preload {
				s.free <- s.cur
			}
			s.cur = nil
		}
		if s.cur == nil {
			l, err := s.nextItem(ctx)
			if err != nil {
				return err
			}
			if err := s.take(l); err == errEmptyPass {
				s.Close()
				return io.EOF
			} else if err != nil {
				return err
			}
			if l.eof {
				s.Close()
				return io.EOF
			}
			if l.problem != nil {
				continue
			}
			s.cur, s.pos = l, 0
			continue
		}
		now := time.Now()
		n := s.due(now, min(s.cfg.Batch, s.cur.len()-s.pos))
		if n == 0 {
			if err := s.wait(ctx, now); err != nil {
				return err
			}
			continue
		}
		var w int64
		if s.cur.recs != nil {
			recs := s.cur.recs[s.pos : s.pos+n]
			b.Recs = append(b.Recs, recs...)
			for i := range recs {
				w += int64(recs[i].WireSize(false))
			}
		} else {
			c := &s.cur.chunk
			for _, off := range s.cur.offs[s.pos : s.pos+n] {
				r := b.Add()
				c.Record(off, r)
				w += int64(r.WireSize(false))
			}
		}
		s.pos += n
		s.pacer.Sent(n)
		s.records.Add(int64(n))
		s.wire.Add(w)
		s.done.Add(int64(n))
		return nil
	}
}

// take accounts for an item: skips, damage, loop boundaries.
func (s *Source) take(l *loaded) error {
	if l.eof {
		return nil
	}
	if l.problem != nil {
		p := l.problem
		switch p.Kind {
		case KindDuplicate:
			s.dupChunks.Add(1)
			s.skipDup.Add(p.Records)
		case KindOrder:
			s.orderChunks.Add(1)
			s.skipOrder.Add(p.Records)
		case KindMissing:
			s.missing.Add(p.MissingChunks)
		default:
			if p.Records > 0 {
				s.skipBad.Add(p.Records)
			}
			s.torn.Add(p.Bytes)
			if p.Kind == KindCorrupt {
				s.badChunks.Add(1)
			}
		}
		s.skip(l.plan.r.Name(), *p)
		return nil
	}
	if l.err != nil {
		if !s.cfg.SkipCorrupt {
			s.Close()
			return l.err
		}
		p := chunkProblem(l.plan.info, l.err)
		s.skipBad.Add(p.Records)
		s.badChunks.Add(1)
		s.done.Add(p.Records)
		s.skip(l.plan.r.Name(), p)
		// Counted per pass, like the records of good chunks.
	} else {
		s.skipWin.Add(l.skipWin)
		s.skipSym.Add(l.skipSym)
		s.done.Add(l.skipWin + l.skipSym)
	}
	if l.loopStart {
		if s.pass.Load() > 0 && s.records.Load() == s.passRecords {
			// A whole pass matched nothing: every further one would too.
			return errEmptyPass
		}
		s.passRecords = s.records.Load()
		s.anchored = false // each pass starts on its own timeline
		s.pass.Add(1)
		s.played.Store(0)
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
		n := 0
		for n < want {
			ts := s.cur.ts(s.pos + n)
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
		if n > 0 {
			s.played.Store(s.hi - s.sft - s.e0)
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
		eff, _ := s.effective(s.cur.ts(s.pos))
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
