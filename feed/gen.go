package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// GenConfig configures the synthetic generator. Every zero value has a
// documented default, so GenConfig{} is a usable feed.
type GenConfig struct {
	// Symbols is the number of distinct topics. 0 means 1000.
	Symbols int
	// Size is the mean on-wire size of a record in bytes (header, topic
	// and payload, as counted by Record.WireSize). 0 means 100, the Guide's
	// feed. Sizes below what a topic and a MarketMsg need are raised.
	Size int
	// VarySize makes record sizes follow the message kind, ITCH-style
	// (adds and trades longer than deletes), with Size as the mean.
	// false gives every record exactly Size bytes.
	VarySize bool
	// Seed makes the feed deterministic: the same seed gives the same
	// topics, kinds, prices and payloads. 0 is a valid seed.
	Seed uint64
	// Zipf is the exponent s of the symbol activity distribution
	// (weight of the k-th busiest symbol ∝ 1/k^s). 0 means 1.1.
	Zipf float64
	// Rate is records per second against the wall clock. 0 means as fast
	// as the consumer takes them.
	Rate float64
	// Records stops the feed after that many records. 0 means no limit.
	Records int64
	// Chunk caps the records returned by one Next call. 0 means 256.
	Chunk int
	// SimStart, when non-zero, switches SourceTS from the wall clock to a
	// simulated clock starting at SimStart (ns since the Unix epoch) and
	// advancing 1/SimRate per record, so a generated file is identical on
	// every run.
	SimStart int64
	// SimRate is the simulated records per second for SimStart. 0 means 100000.
	SimRate float64
	// SimCurve, if set, shapes the simulated clock's rate over the day: at
	// simulated time t after SimStart the rate is SimRate × SimCurve(t), so
	// a file can have an opening and a closing burst (see IntradayCurve).
	// It must return a positive, finite value and be deterministic. nil
	// means a flat SimRate.
	SimCurve func(t time.Duration) float64
	// Cycle, when positive, pre-generates that many records once (the
	// first Cycle records of the same seed's uncycled stream) and then
	// replays them in order, round after round, with fresh timestamps, so
	// the feed costs a few nanoseconds per record instead of a random
	// draw, a price walk and a payload fill: a benchmark at full speed then
	// measures the engine, not the generator. The cycle's Topic and
	// Payload bytes are shared by every round and must not be modified;
	// prices and order references repeat each round. 0 generates every
	// record afresh (what a capture file wants: bbox gen). DefaultCycle is
	// what live publishing uses.
	Cycle int
}

// DefaultCycle is the cycle length `bbox pub --source gen` and bench use:
// 2^16 records (~5 MB at 100 bytes) keep the Zipf mix, the kinds and the
// sizes of a long stream while staying cheap to build (a few ms).
const DefaultCycle = 1 << 16

func (c *GenConfig) withDefaults() GenConfig {
	d := *c
	if d.Symbols == 0 {
		d.Symbols = 1000
	}
	if d.Size == 0 {
		d.Size = 100
	}
	if d.Zipf == 0 {
		d.Zipf = 1.1
	}
	if d.Chunk == 0 {
		d.Chunk = 256
	}
	if d.SimRate == 0 {
		d.SimRate = 100000
	}
	return d
}

// Validate reports the first unusable field.
func (c *GenConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Symbols < 1 || d.Symbols > 1<<20:
		return fmt.Errorf("symbols %d outside [1, %d]", c.Symbols, 1<<20)
	case d.Size < 0 || d.Size > MaxRecordLen:
		return fmt.Errorf("record size %d outside [1, %d]", c.Size, MaxRecordLen)
	case d.Zipf < 0 || math.IsNaN(d.Zipf) || math.IsInf(d.Zipf, 0):
		return fmt.Errorf("zipf exponent %v must be a positive number", c.Zipf)
	case d.Rate < 0 || math.IsNaN(d.Rate) || math.IsInf(d.Rate, 0):
		return fmt.Errorf("rate %v must be positive (0 for full speed)", c.Rate)
	case d.Records < 0:
		return fmt.Errorf("records %d must not be negative", c.Records)
	case d.Chunk < 1:
		return fmt.Errorf("chunk %d must be positive", c.Chunk)
	case d.SimRate < 0 || math.IsNaN(d.SimRate) || math.IsInf(d.SimRate, 0):
		return fmt.Errorf("sim rate %v must be a positive number (0 for 100000)", c.SimRate)
	case d.Cycle < 0 || d.Cycle > 1<<24:
		return fmt.Errorf("cycle %d outside [0, %d]", c.Cycle, 1<<24)
	case int64(d.Cycle)*int64(2*max(d.Size, 64)) > 1<<31:
		return fmt.Errorf("cycle %d of %d-byte records: more than 1 GiB to pre-generate", c.Cycle, d.Size)
	case c.SimCurve != nil && c.SimStart == 0:
		return fmt.Errorf("sim curve set without a sim start (the curve shapes the simulated clock only)")
	}
	return nil
}

// Generator is a deterministic synthetic market-data Source.
type Generator struct {
	cfg     GenConfig
	rng     *rand.Rand
	topics  [][]byte
	price   []uint64 // per symbol, 1e-4 units
	alias   []uint32 // Walker alias table over symbol ranks
	prob    []uint64 // acceptance thresholds scaled to 2^64-1
	rankSym []uint32 // rank -> symbol, so the busiest symbols are not alphabetical
	fillers [][]byte
	n       int64
	orderID uint64
	pacer   Pacer
	started bool
	lastRel time.Time // when the last paced chunk was released
	clock   func() time.Time
	sleep   func(time.Duration) // preciseSleep; tests replace both
	simT    float64             // simulated ns since SimStart, with SimCurve
	cyc     *cycle              // with Cycle > 0: the pre-generated records
}

// cycle is the pre-generated records of a cycled generator: per record
// its kind, symbol and payload span in one shared arena, 12 bytes of
// index a record, so the whole cycle stays compact.
type cycle struct {
	recs  []cycRec
	arena []byte
	// next is the stream position of recs[at], so that consecutive
	// records need no 64-bit division to find their place.
	next int64
	at   int
}

type cycRec struct {
	off  uint32
	sym  uint32
	plen uint16
	kind byte
}

// NewGenerator returns a generator for cfg.
func NewGenerator(cfg GenConfig) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	g := &Generator{
		cfg:   c,
		rng:   rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
		pacer: Pacer{Rate: c.Rate},
		clock: time.Now,
		sleep: preciseSleep,
	}
	g.topics = Symbols(c.Symbols, c.Seed)
	g.price = make([]uint64, c.Symbols)
	for i := range g.price {
		g.price[i] = (10 + g.rng.Uint64N(490)) * 10000
	}
	g.rankSym = make([]uint32, c.Symbols)
	for i, p := range g.rng.Perm(c.Symbols) {
		g.rankSym[i] = uint32(p)
	}
	g.buildAlias(c.Zipf)
	if c.Cycle > 0 {
		g.buildCycle()
	}
	return g, nil
}

// buildCycle draws the first Cycle records (fewer if Records caps the
// stream) exactly as fill would, and keeps them.
func (g *Generator) buildCycle() {
	n := g.cfg.Cycle
	if g.cfg.Records > 0 && g.cfg.Records < int64(n) {
		n = int(g.cfg.Records)
	}
	cy := &cycle{recs: make([]cycRec, n)}
	var b Batch
	for i := range n {
		b.Reset()
		r := b.Add()
		sym := g.fill(r, &b, 0)
		cy.recs[i] = cycRec{off: uint32(len(cy.arena)), sym: uint32(sym), plen: uint16(len(r.Payload)), kind: r.Kind}
		cy.arena = append(cy.arena, r.Payload...)
	}
	g.cyc = cy
}

// put fills r with record n of the stream from the cycle.
func (cy *cycle) put(g *Generator, r *Record, n int64, src int64) {
	if n != cy.next {
		cy.at = int(n % int64(len(cy.recs)))
	}
	c := &cy.recs[cy.at]
	if cy.at++; cy.at == len(cy.recs) {
		cy.at = 0
	}
	cy.next = n + 1
	r.Kind = c.kind
	r.Topic = g.topics[c.sym]
	r.Payload = cy.arena[c.off : c.off+uint32(c.plen) : c.off+uint32(c.plen)]
	r.SourceTS = src
}

// Topics returns the generator's symbols (shared; do not modify).
func (g *Generator) Topics() [][]byte { return g.topics }

// Config returns the effective configuration, defaults filled in.
func (g *Generator) Config() GenConfig { return g.cfg }

// buildAlias prepares Walker's alias method so a Zipf draw costs one
// random number and a table lookup (the hot path publishes millions a second).
func (g *Generator) buildAlias(s float64) {
	n := len(g.topics)
	w := make([]float64, n)
	var sum float64
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), s)
		sum += w[k]
	}
	g.alias = make([]uint32, n)
	g.prob = make([]uint64, n)
	scaled := make([]float64, n)
	var small, large []int
	for k := range w {
		scaled[k] = w[k] * float64(n) / sum
		if scaled[k] < 1 {
			small = append(small, k)
		} else {
			large = append(large, k)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		g.prob[s] = uint64(scaled[s] * math.MaxUint64)
		g.alias[s] = uint32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, k := range append(small, large...) {
		g.prob[k] = math.MaxUint64
		g.alias[k] = uint32(k)
	}
}

func (g *Generator) pick() int {
	k := g.rng.Uint64N(uint64(len(g.prob)))
	if g.rng.Uint64() > g.prob[k] {
		k = uint64(g.alias[k])
	}
	return int(g.rankSym[k])
}

// kinds and their relative sizes follow ITCH 5.0 (A 36, E 31, X 23,
// D 19, P 44 bytes) so VarySize gives a realistic spread.
var kindMix = [...]struct {
	kind byte
	pct  uint64 // cumulative percentage
	size float64
}{
	{KindAdd, 42, 36},
	{KindDelete, 72, 19},
	{KindCancel, 80, 23},
	{KindExecute, 90, 31},
	{KindTrade, 100, 44},
}

var kindMeanSize = func() float64 {
	var m, prev float64
	for _, k := range kindMix {
		m += (float64(k.pct) - prev) / 100 * k.size
		prev = float64(k.pct)
	}
	return m
}()

// Pending reports whether Next would return without waiting.
func (g *Generator) Pending() bool {
	if g.cfg.Records > 0 && g.n >= g.cfg.Records {
		return false
	}
	if !g.started || g.cfg.Rate <= 0 {
		return true
	}
	// What Next would return at once: a full chunk, or what is due once
	// minChunkGap has passed since the last chunk.
	now := g.clock()
	n, _ := g.pacer.Due(now, g.cfg.Chunk)
	return n > 0 && (n >= g.cfg.Chunk || now.Sub(g.lastRel) >= minChunkGap)
}

// minPaceSleep is the shortest sleep between paced chunks. With the
// kernel's timer slack at 1µs a 50µs sleep ends ~60µs later. Shorter
// floors cost more than they save: at 100k records/s, 20µs gave the same
// p50 (measured from the schedule, ~70µs) with a worse p99 (0.55–3.8ms
// against 0.3–0.42ms) and 15% more CPU, as every wake-up sends smaller
// frames through the whole pipeline.
const minPaceSleep = 50 * time.Microsecond

// minChunkGap is the least time between two paced chunks unless a whole
// Chunk is due: records due meanwhile wait for the next chunk. A caller
// whose loop takes a few µs (bbox pub writes each round itself) otherwise
// takes a handful of records per call — 140k calls/s at 1M records/s, a
// frame per partition each, and a subscriber that fell behind on frames
// (p90 2ms). Measured between processes at 1M/s, latency from the
// schedule (p50 / p99): 15µs 120µs / 4.1ms, 30µs 85-89µs / 0.56-2.1ms,
// 40µs 87-106µs / 0.51-0.78ms, 50µs 101-111µs / 0.57-1.5ms; the plain-TCP
// baseline, paced by this generator too, 72-101µs / 0.23-0.31ms.
const minChunkGap = 40 * time.Microsecond

// Next appends the records due now (up to Chunk) to b, waiting for the
// pacer if none is due.
func (g *Generator) Next(ctx context.Context, b *Batch) error {
	if g.cfg.Records > 0 && g.n >= g.cfg.Records {
		return io.EOF
	}
	if !g.started {
		g.started = true
		g.pacer.Start(g.clock())
	}
	want := g.cfg.Chunk
	if g.cfg.Records > 0 && int64(want) > g.cfg.Records-g.n {
		want = int(g.cfg.Records - g.n)
	}
	var now time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now = g.clock()
		n, wait := g.pacer.Due(now, want)
		if n > 0 && n < want && g.cfg.Rate > 0 {
			// A chunk at most every minChunkGap unless a whole one is due.
			if gap := now.Sub(g.lastRel); gap < minChunkGap {
				g.sleep(minChunkGap - gap)
				continue
			}
		}
		if n > 0 {
			want = n
			break
		}
		// Go's timers round a wait under 1ms up to about 1ms (the idle
		// runtime sleeps in epoll_wait, which counts milliseconds), so a
		// feed paced by them leaves in 1ms bursts and every record waits
		// up to 1ms past its schedule. Long waits use a timer for all but
		// the last millisecond; the rest is a precise sleep of at least
		// minPaceSleep: finer sleeps cost more wake-ups than they save.
		if wait > time.Millisecond+minPaceSleep {
			t := time.NewTimer(wait - time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		g.sleep(max(wait, minPaceSleep))
	}
	wall := now.UnixNano()
	for i := 0; i < want; i++ {
		var src int64
		switch {
		case g.cfg.SimStart != 0 && g.cfg.SimCurve != nil:
			src = g.cfg.SimStart + int64(g.simT)
			g.simT += 1e9 / (g.cfg.SimRate * g.cfg.SimCurve(time.Duration(g.simT)))
		case g.cfg.SimStart != 0:
			src = g.cfg.SimStart + int64(float64(g.n)/g.cfg.SimRate*1e9)
		case g.cfg.Rate > 0:
			src = g.pacer.Scheduled(g.pacer.Count() + int64(i))
		default:
			src = wall
		}
		if g.cyc != nil {
			g.cyc.put(g, b.Add(), g.n, src)
		} else {
			g.fill(b.Add(), b, src)
		}
		g.n++
	}
	g.pacer.Sent(want)
	g.lastRel = now
	return nil
}

// Generated is the number of records produced so far.
func (g *Generator) Generated() int64 { return g.n }

// filler returns the symbol's topic repeated to 256 bytes, built once.
func (g *Generator) filler(sym int) []byte {
	if g.fillers == nil {
		g.fillers = make([][]byte, len(g.topics))
	}
	f := g.fillers[sym]
	if f == nil {
		t := g.topics[sym]
		f = bytes.Repeat(t, 256/len(t)+1)[:256]
		g.fillers[sym] = f
	}
	return f
}

// fill draws one fresh record into r (its payload in b) and returns its
// symbol.
func (g *Generator) fill(r *Record, b *Batch, src int64) int {
	sym := g.pick()
	pct := g.rng.Uint64N(100)
	k := 0
	for pct >= kindMix[k].pct {
		k++
	}
	r.Kind = kindMix[k].kind
	r.Topic = g.topics[sym]
	r.SourceTS = src
	size := g.cfg.Size
	if g.cfg.VarySize {
		size = int(float64(g.cfg.Size)*kindMix[k].size/kindMeanSize + 0.5)
	}
	pl := size - RecordFixedLen - len(r.Topic)
	pl = max(pl, MarketMsgLen)
	pl = min(pl, MaxRecordLen-RecordFixedLen-8-len(r.Topic))
	p := b.Bytes(pl)
	// Prices walk by a tick at a time so VWAPs and captures look like a market.
	switch step := g.rng.Uint64N(8); {
	case step == 0 && g.price[sym] > 100:
		g.price[sym] -= 100
	case step == 1:
		g.price[sym] += 100
	}
	g.orderID++
	side := byte('B')
	if g.orderID&1 == 1 {
		side = 'S'
	}
	m := MarketMsg{OrderRef: g.orderID, Price: g.price[sym], Shares: uint32(100 * (1 + g.rng.Uint64N(10))), Side: side}
	m.Put(p)
	// Filler: the topic repeated, like the padded text fields of real feeds.
	fill := g.filler(sym)
	for rest := p[MarketMsgLen:]; len(rest) > 0; {
		rest = rest[copy(rest, fill):]
	}
	r.Payload = p
	return sym
}

// IntradayCurve is a U-shaped equities day of length day for
// GenConfig.SimCurve: a burst at the open that decays over the first
// minutes, a quiet midday at about half the mean rate, and a rise into a
// closing burst. Its mean over the day is about 1, so SimRate stays the
// day's average rate.
func IntradayCurve(day time.Duration) func(time.Duration) float64 {
	return func(t time.Duration) float64 {
		x := min(max(float64(t)/float64(day), 0), 1)
		m := 2*x - 1
		c := 0.55 + 0.6*m*m + 4*math.Exp(-x/0.02) + 3*math.Exp(-(1-x)/0.015)
		return c / intradayMean
	}
}

// intradayMean normalises IntradayCurve: the integral of its shape over
// [0, 1] (0.55 + 0.2 + 4·0.02 + 3·0.015, tails of the exponentials
// negligible).
const intradayMean = 0.55 + 0.2 + 4*0.02 + 3*0.015

// Symbols returns n distinct ticker-like topics (2–5 capital letters),
// the same for the same seed on every machine.
func Symbols(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed^0x5bd1e995, 0x27d4eb2f165667c5))
	seen := make(map[string]bool, n)
	out := make([][]byte, 0, n)
	for len(out) < n {
		l := 3 + int(rng.Uint64N(3)) // 3..5
		if n > 26*26*26*4 {
			l = 4 + int(rng.Uint64N(2))
		}
		b := make([]byte, l)
		for i := range b {
			b[i] = byte('A' + rng.Uint64N(26))
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out
}
