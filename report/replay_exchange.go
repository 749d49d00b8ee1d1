package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/internal/words"
)

// ExchangeReplay is bbox replay's closing report for ITCH files and
// pcaps: the publisher's summary, warned of what the source skipped and
// of shards no subscriber heard, with the source's counters as its
// "exchange" block (the JSON of WithExchange).
type ExchangeReplay struct {
	Summary
	Exchange exchange.Stats `json:"exchange"`

	files []string
	top   []exchange.SymCount
	loc   *time.Location
}

// NewExchangeReplay is the report of files played by a source that ended
// with st (top: its busiest symbols; loc: the feed's zone) through a
// publisher whose summary is s, run with waitSubs (Unheard).
func NewExchangeReplay(s Summary, st exchange.Stats, waitSubs int, files []string, top []exchange.SymCount, loc *time.Location) *ExchangeReplay {
	s.Warnings = append(s.Warnings, st.Warnings()...)
	s.Warnings = append(s.Warnings, Unheard(&s, waitSubs)...)
	return &ExchangeReplay{Summary: s, Exchange: st, files: files, top: top, loc: loc}
}

// WriteText writes what was read (the source's counts and busiest
// symbols), then what the publisher sent (WritePub).
func (r *ExchangeReplay) WriteText(w io.Writer) {
	fmt.Fprintf(w, "replay: %s ITCH messages read from %s\n", words.Group(r.Exchange.Messages), strings.Join(r.files, ", "))
	r.Exchange.WriteText(w, r.top, r.loc)
	WritePub(w, &r.Summary)
}
