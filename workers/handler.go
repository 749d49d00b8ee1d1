package workers

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// Handler is user code run by a worker. Handle is called by one goroutine
// at a time with records that alias a received frame: they are valid only
// during the call (copy what you keep).
type Handler interface {
	Handle(recs []feed.Record)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(recs []feed.Record)

// Handle calls f.
func (f HandlerFunc) Handle(recs []feed.Record) { f(recs) }

// Sym is the running statistics of one symbol.
type Sym struct {
	Count  int64   // records seen
	Trades int64   // executions and trades
	Volume int64   // shares traded
	PxVol  float64 // Σ price × shares, for the VWAP
	Last   uint64  // last trade price, 1e-4 units
	LastTS int64   // SendTS of the last trade, to merge workers
}

// VWAP is the volume-weighted average trade price in currency units.
func (s *Sym) VWAP() float64 {
	if s.Volume == 0 {
		return 0
	}
	return s.PxVol / float64(s.Volume) / 1e4
}

// SymbolStats is the built-in handler: per-symbol count, last trade price
// and VWAP, so the demo does real work per record. Lookups do not
// allocate; only a symbol's first record does.
type SymbolStats struct {
	m   map[string]*Sym // every symbol
	idx symIndex        // the symbols of up to 16 bytes, found faster
}

// NewSymbolStats returns an empty SymbolStats.
func NewSymbolStats() *SymbolStats { return &SymbolStats{m: make(map[string]*Sym, 1024)} }

// Handle updates the statistics.
func (s *SymbolStats) Handle(recs []feed.Record) {
	for i := range recs {
		r := &recs[i]
		st := s.sym(r.Topic)
		st.Count++
		if r.Kind != feed.KindExecute && r.Kind != feed.KindTrade {
			continue
		}
		if m, ok := feed.ParseMarketMsg(r.Payload); ok && m.Shares > 0 {
			st.Trades++
			st.Volume += int64(m.Shares)
			st.PxVol += float64(m.Price) * float64(m.Shares)
			if r.SendTS >= st.LastTS {
				st.Last, st.LastTS = m.Price, r.SendTS
			}
		}
	}
}

// sym returns topic's statistics, created on its first record.
func (s *SymbolStats) sym(topic []byte) *Sym {
	short := len(topic) > 0 && len(topic) <= symKeyLen
	var k symKey
	if short {
		k = packSym(topic)
		if st := s.idx.get(k); st != nil {
			return st
		}
	} else if st := s.m[string(topic)]; st != nil { // no allocation: the compiler special-cases this lookup
		return st
	}
	st := &Sym{}
	s.m[string(topic)] = st
	if short {
		s.idx.put(k, st)
	}
	return st
}

// symIndex finds the Sym of a topic of up to symKeyLen bytes (every
// generated and exchange symbol) without Go's map, which hashed and
// compared each topic for a quarter of bbox sub's CPU at full rate: open
// addressing over slots that hold the key inline, so a lookup reads one
// slot and compares two words. Not safe for concurrent use.
type symIndex struct {
	slots []symSlot
	used  int
	shift uint // 64 - log2(len(slots))
}

const symKeyLen = 16

// symKey is a topic's bytes, zero-padded, and its length (0: no key).
type symKey struct {
	w0, w1 uint64
	n      uint64
}

type symSlot struct {
	k   symKey
	sym *Sym
}

func packSym(t []byte) symKey {
	k := symKey{n: uint64(len(t))}
	if len(t) >= 8 {
		k.w0 = binary.LittleEndian.Uint64(t)
		t = t[8:]
		if len(t) == 8 {
			k.w1 = binary.LittleEndian.Uint64(t)
			return k
		}
		for i, c := range t {
			k.w1 |= uint64(c) << (8 * i)
		}
		return k
	}
	for i, c := range t {
		k.w0 |= uint64(c) << (8 * i)
	}
	return k
}

func (x *symIndex) home(k symKey) uint64 {
	// Multiplicative hashing: the product's top bits depend on every
	// input bit, and the top bits pick the slot.
	h := (k.w0^k.n)*0x9E3779B97F4A7C15 + k.w1*0xC2B2AE3D27D4EB4F
	return h >> x.shift
}

func (x *symIndex) get(k symKey) *Sym {
	if x.used == 0 {
		return nil
	}
	mask := uint64(len(x.slots) - 1)
	for i := x.home(k); ; i = (i + 1) & mask {
		sl := &x.slots[i]
		if sl.k == k {
			return sl.sym
		}
		if sl.k.n == 0 {
			return nil
		}
	}
}

// put adds k, which is not there, keeping the table at most half full.
func (x *symIndex) put(k symKey, st *Sym) {
	if 2*(x.used+1) > len(x.slots) {
		old := x.slots
		n := max(2*len(old), 1024)
		x.slots, x.shift, x.used = make([]symSlot, n), uint(64-bits.TrailingZeros(uint(n))), 0
		for _, sl := range old {
			if sl.k.n != 0 {
				x.put(sl.k, sl.sym)
			}
		}
	}
	mask := uint64(len(x.slots) - 1)
	i := x.home(k)
	for x.slots[i].k.n != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = symSlot{k, st}
	x.used++
}

// Symbols returns the per-symbol statistics (owned by the handler: read it
// only after the worker has stopped).
func (s *SymbolStats) Symbols() map[string]*Sym { return s.m }

// SymSummary is one row of a top-N table.
type SymSummary struct {
	Symbol string  `json:"symbol"`
	Count  int64   `json:"records"`
	Trades int64   `json:"trades"`
	Volume int64   `json:"volume"`
	Last   float64 `json:"last"`
	VWAP   float64 `json:"vwap"`
}

// MergeTop merges the statistics of several handlers (workers may share
// symbols when batches are spread round-robin) and returns the n busiest.
func MergeTop(n int, hs ...*SymbolStats) []SymSummary {
	all := map[string]*Sym{}
	for _, h := range hs {
		for k, v := range h.m {
			a := all[k]
			if a == nil {
				a = &Sym{}
				all[k] = a
			}
			a.Count += v.Count
			a.Trades += v.Trades
			a.Volume += v.Volume
			a.PxVol += v.PxVol
			if v.LastTS >= a.LastTS {
				a.Last, a.LastTS = v.Last, v.LastTS
			}
		}
	}
	out := make([]SymSummary, 0, len(all))
	for k, v := range all {
		out = append(out, SymSummary{Symbol: k, Count: v.Count, Trades: v.Trades, Volume: v.Volume, Last: float64(v.Last) / 1e4, VWAP: v.VWAP()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Symbol < out[j].Symbol
	})
	return out[:min(n, len(out))]
}

// spend makes a handler take d per record, to play a slow subscriber.
// Short costs spin (sleep cannot do microseconds); long ones sleep. It
// returns false if abort closed first.
func spend(d time.Duration, n int, abort <-chan struct{}) bool {
	if d <= 0 || n == 0 {
		return true
	}
	total := d * time.Duration(n)
	if d >= 100*time.Microsecond {
		t := time.NewTimer(total)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-abort:
			return false
		}
	}
	end := time.Now().Add(total)
	for time.Now().Before(end) {
	}
	return true
}
