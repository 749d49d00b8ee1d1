package exchange

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/itch"
)

// DefaultTZ is the time zone of NASDAQ's feeds: ITCH timestamps are
// nanoseconds after its midnight.
const DefaultTZ = "America/New_York"

// FeedTime resolves a trading day, YYYY-MM-DD ("" for none: the day then
// comes from a NASDAQ file name or a capture's packet times), and the
// feed's time zone, an IANA name ("" for DefaultTZ). An error names the
// field it is about: "tz: ..." or `date "x": want YYYY-MM-DD`.
func FeedTime(date, tz string) (time.Time, *time.Location, error) {
	if tz == "" {
		tz = DefaultTZ
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("tz: %v", err)
	}
	if date == "" {
		return time.Time{}, loc, nil
	}
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	return d, loc, nil
}

// DetectInputs parses (ParseInput) and detects (Detect) files; ok is
// false when none is an exchange input (they are bbox captures, or not
// there: a missing file is the caller's to report). Mixing exchange
// inputs with other files is an error.
func DetectInputs(files []string) (ins []Input, ok bool, err error) {
	for _, f := range files {
		in, err := ParseInput(f)
		if err != nil {
			return nil, false, err
		}
		if st, serr := os.Stat(in.Path); serr != nil || st.IsDir() {
			ins = append(ins, in)
			continue
		}
		if err := Detect(&in); err != nil {
			return nil, false, err
		}
		ins = append(ins, in)
		ok = ok || in.Kind != None
	}
	if ok {
		for _, in := range ins {
			if in.Kind == None {
				return nil, true, fmt.Errorf("%s: not an ITCH 5.0 file, pcap or pcapng (exchange inputs and bbox captures cannot be mixed)", in.Path)
			}
		}
	}
	return ins, ok, nil
}

// DetectSource is DetectInputs for one source name that may be anything
// (a bbox capture, an endpoint): a name whose options do not parse is an
// exchange input's, and an error, only if the file before its '?' exists.
func DetectSource(name string) (ins []Input, ok bool, err error) {
	if _, err := ParseInput(name); err != nil {
		path, _, _ := strings.Cut(name, "?")
		if _, serr := os.Stat(path); serr == nil {
			return nil, true, err
		}
		return nil, false, nil
	}
	return DetectInputs([]string{name})
}

// Warnings says what a source could not use: bad messages, messages of
// unnamed stocks, and what a capture lacked.
func (s *Stats) Warnings() []string {
	var w []string
	if s.Bad() > 0 {
		first := "?"
		if len(s.Problems) > 0 {
			first = s.Problems[0].String()
		}
		w = append(w, fmt.Sprintf("%s ITCH messages skipped: %s of unknown type, %s of the wrong length (first at %v)",
			words.Group(s.Bad()), words.Group(s.Unknown), words.Group(s.BadLength), first))
	}
	if s.Unattributed > 0 {
		w = append(w, fmt.Sprintf("%s messages name a stock locate no Stock Directory message named: published under %sN", words.Group(s.Unattributed), LocatePfx))
	}
	if c := s.Capture; c != nil {
		if c.Lost > 0 {
			w = append(w, fmt.Sprintf("capture: %s messages missing on every flow (lost)", words.Group(int64(c.Lost))))
		}
		if c.BeforeJoin > 0 {
			w = append(w, fmt.Sprintf("capture starts at sequence %d: %s earlier messages are not in it", c.BeforeJoin+1, words.Group(int64(c.BeforeJoin))))
		}
		if c.Malformed > 0 || c.OtherSession > 0 {
			w = append(w, fmt.Sprintf("capture: %s UDP payloads are not MoldUDP64, %s packets of another session (choose a flow with ?port= or ?group=)",
				words.Group(c.Malformed), words.Group(c.OtherSession)))
		}
	}
	return w
}

// WriteText writes the indented detail of a source's run: the day, the
// per-type counts, the busiest symbols (top), what was skipped, and what
// a capture held, line by line. Times are in loc, the feed's zone.
func (s *Stats) WriteText(w io.Writer, top []SymCount, loc *time.Location) {
	g := words.Group
	if s.Records > 0 {
		fmt.Fprintf(w, "  day        %s, %s → %s\n", s.Day, time.Unix(0, s.FirstTS).In(loc).Format("15:04:05.000000000"),
			time.Unix(0, s.LastTS).In(loc).Format("15:04:05.000000000 MST"))
	}
	var types []string
	for k := range s.ByType {
		types = append(types, k)
	}
	sort.Slice(types, func(i, j int) bool {
		a, b := s.ByType[types[i]], s.ByType[types[j]]
		return a > b || (a == b && types[i] < types[j])
	})
	fmt.Fprintf(w, "  types     ")
	for _, k := range types {
		name := "?"
		if l := itch.LayoutOf(k[0]); l != nil {
			name = l.Name
		}
		fmt.Fprintf(w, " %s %s (%s)", k, g(s.ByType[k]), name)
	}
	fmt.Fprintln(w)
	if len(top) > 0 {
		fmt.Fprintf(w, "  busiest   ")
		for _, t := range top {
			fmt.Fprintf(w, " %s %s", t.Symbol, g(t.Records))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  skipped    %s unknown type, %s wrong length; %s unattributed\n", g(s.Unknown), g(s.BadLength), g(s.Unattributed))
	if c := s.Capture; c != nil {
		fmt.Fprintf(w, "  capture    %s packets, session %q, flows %s; %s other, %s fragments, %s malformed; %s messages lost\n",
			g(c.Packets), c.Session, strings.Join(c.Flows, " "), g(c.OtherFlows), g(c.Fragments), g(c.Malformed), g(int64(c.Lost)))
		for _, l := range c.Lines {
			fmt.Fprintf(w, "    line %-6s %s packets, %s messages, %s duplicates, %d gaps (%s missed: %s recovered, %s lost)\n",
				l.Name, g(l.Packets), g(l.Messages), g(l.Duplicates), l.Gaps, g(l.Missed), g(l.Recovered), g(l.Lost))
		}
	}
	for _, p := range s.Problems {
		fmt.Fprintf(w, "    %v\n", p)
	}
}
