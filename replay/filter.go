package replay

import (
	"sort"
)

// Selection is what a time window and a list of symbols select from
// capture files, known from chunk headers, the index and the chunks'
// dictionaries, without decompressing any record: enough for a replay
// that would play nothing to say so before it starts, and to say what the
// files hold instead.
type Selection struct {
	FirstTS, LastTS int64 // the readable chunks' time range (0, 0 when there is none)
	Chunks          int   // chunks overlapping the window
	Records         int64 // records in them: an upper bound on what the window holds
	// Symbols is how many distinct symbols the files hold, or -1 when no
	// symbols were asked for. With every file indexed they are counted
	// over the whole files, from the indexes (WholeFiles); otherwise over
	// the window's chunks, from their dictionaries.
	Symbols    int
	WholeFiles bool
	// Busiest are a few of those symbols, busiest first when every file
	// has an index (Records from the index, over the whole file), else in
	// byte order (Records -1).
	Busiest []TopicCount
	Found   []string // symbols asked for that are there, in the order asked
	Missing []string // symbols asked for that are not
}

// Select describes what [from, to) (0: that side open) and symbols (nil:
// every symbol) select from files; sample bounds Busiest. A chunk whose
// dictionary cannot be read is left out: the replay reports that damage.
func Select(files []*Reader, from, to int64, symbols []string, sample int) *Selection {
	sel := &Selection{Symbols: -1}
	var window []planned
	for _, r := range files {
		for _, c := range r.Chunks() {
			if sel.FirstTS == 0 && sel.LastTS == 0 {
				sel.FirstTS, sel.LastTS = c.FirstTS, c.LastTS
			}
			sel.FirstTS, sel.LastTS = min(sel.FirstTS, c.FirstTS), max(sel.LastTS, c.LastTS)
			if (from != 0 && c.LastTS < from) || (to != 0 && c.FirstTS >= to) {
				continue
			}
			sel.Chunks++
			sel.Records += int64(c.Records)
			window = append(window, planned{r, c})
		}
	}
	if len(symbols) == 0 {
		return sel
	}
	indexed := true
	counts := map[string]int64{}
	for _, r := range files {
		indexed = indexed && r.Indexed()
		for _, tc := range r.Topics() {
			counts[tc.Topic] += tc.Records
		}
	}
	present := map[string]bool{}
	if indexed {
		// The indexes list every topic: no dictionary need be read (they
		// cost about a millisecond a chunk). A symbol there but not in the
		// window shows when the replay plays nothing.
		sel.WholeFiles = true
		for t := range counts {
			present[t] = true
		}
	} else {
		var c Chunk
		for _, pc := range window {
			if err := pc.r.ReadDict(pc.info, &c); err != nil {
				continue
			}
			for _, t := range c.Topics() {
				present[string(t)] = true
			}
		}
	}
	sel.Symbols = len(present)
	for _, s := range symbols {
		if present[s] {
			sel.Found = append(sel.Found, s)
		} else {
			sel.Missing = append(sel.Missing, s)
		}
	}
	for t := range present {
		n := int64(-1)
		if indexed {
			n = counts[t]
		}
		sel.Busiest = append(sel.Busiest, TopicCount{Topic: t, Records: n})
	}
	sort.Slice(sel.Busiest, func(i, j int) bool {
		a, b := sel.Busiest[i], sel.Busiest[j]
		return a.Records > b.Records || a.Records == b.Records && a.Topic < b.Topic
	})
	sel.Busiest = sel.Busiest[:min(sample, len(sel.Busiest))]
	return sel
}
