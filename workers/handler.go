package workers

import (
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
	m map[string]*Sym
}

// NewSymbolStats returns an empty SymbolStats.
func NewSymbolStats() *SymbolStats { return &SymbolStats{m: make(map[string]*Sym, 1024)} }

// Handle updates the statistics.
func (s *SymbolStats) Handle(recs []feed.Record) {
	for i := range recs {
		r := &recs[i]
		st := s.m[string(r.Topic)] // no allocation: the compiler special-cases this lookup
		if st == nil {
			st = &Sym{}
			s.m[string(r.Topic)] = st
		}
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
