package main

// Exchange inputs (package exchange): `bbox import`, and the openers that
// let pub --source, replay, inspect and gen take NASDAQ ITCH 5.0 files and
// pcap/pcapng captures of MoldUDP64 (detected by content).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "import",
		summary: "convert NASDAQ ITCH 5.0 files (plain or gzip) and pcap/pcapng captures of MoldUDP64 into a bbox capture",
		usage:   "IN[?port=P&group=G&date=D&tz=Z] [IN...] --out FILE.bbc [--date YYYY-MM-DD] [--tz ZONE] [--strict] [flags]",
		run:     runImport,
	})
	// First, so an exchange file is not taken for a damaged bbox capture.
	sourceOpeners = append([]func(string, feed.GenConfig) (feed.Source, bool, error){openExchange}, sourceOpeners...)
}

const defaultFeedTZ = "America/New_York"

// exchangeInputs parses and detects files; ok is false when none is an
// exchange input. Mixing exchange inputs with bbox captures is an error.
func exchangeInputs(files []string) (ins []exchange.Input, ok bool, err error) {
	for _, f := range files {
		in, err := exchange.ParseInput(f)
		if err != nil {
			return nil, false, err
		}
		if st, serr := os.Stat(in.Path); serr != nil || st.IsDir() {
			ins = append(ins, in)
			continue
		}
		if err := exchange.Detect(&in); err != nil {
			return nil, false, err
		}
		ins = append(ins, in)
		ok = ok || in.Kind != exchange.None
	}
	if ok {
		for _, in := range ins {
			if in.Kind == exchange.None {
				return nil, true, fmt.Errorf("%s: not an ITCH 5.0 file, pcap or pcapng (exchange inputs and bbox captures cannot be mixed)", in.Path)
			}
		}
	}
	return ins, ok, nil
}

// feedTime resolves --date and --tz for exchange inputs.
func feedTime(date, tz string) (time.Time, *time.Location, error) {
	if tz == "" {
		tz = defaultFeedTZ
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("--tz: %v", err)
	}
	if date == "" {
		return time.Time{}, loc, nil
	}
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("--date %q: want YYYY-MM-DD", date)
	}
	return d, loc, nil
}

// exchangeSource is pub --source FILE for exchange files.
type exchangeSource struct {
	*exchange.Source
	log *logger
}

func openExchange(name string, gen feed.GenConfig) (feed.Source, bool, error) {
	if strings.HasPrefix(name, exchange.MoldScheme) {
		return openMold(name, gen)
	}
	if _, err := exchange.ParseInput(name); err != nil {
		if fileExists(strings.SplitN(name, "?", 2)[0]) {
			return nil, true, err
		}
		return nil, false, nil
	}
	ins, ok, err := exchangeInputs([]string{name})
	if !ok || err != nil {
		return nil, ok, err
	}
	_, loc, _ := feedTime("", "")
	s := &exchangeSource{}
	src, err := exchange.NewSource(exchange.Config{Inputs: ins, Loc: loc, Rate: gen.Rate, Records: gen.Records,
		OnProblem: func(p itch.Problem) {
			if s.log != nil {
				s.log.Logf("skipped: %v", p)
			}
		}})
	if err != nil {
		return nil, true, err
	}
	s.Source = src
	return s, true, nil
}

func (s *exchangeSource) attach(log *logger, pf *pubFlags) error { s.log = log; return nil }

func (s *exchangeSource) report(sum *summary) {
	st := s.Stats()
	sum.Warnings = append(sum.Warnings, exchangeWarnings(&st)...)
}

// exchangeWarnings says what an exchange source could not use.
func exchangeWarnings(st *exchange.Stats) []string {
	var w []string
	if st.Bad() > 0 {
		w = append(w, fmt.Sprintf("%s ITCH messages skipped: %s of unknown type, %s of the wrong length (first at %v)",
			commas(st.Bad()), commas(st.Unknown), commas(st.BadLength), firstProblem(st)))
	}
	if st.Unattributed > 0 {
		w = append(w, fmt.Sprintf("%s messages name a stock locate no Stock Directory message named: published under %sN", commas(st.Unattributed), exchange.LocatePfx))
	}
	if c := st.Capture; c != nil {
		if c.Lost > 0 {
			w = append(w, fmt.Sprintf("capture: %s messages missing on every flow (lost)", commas(int64(c.Lost))))
		}
		if c.BeforeJoin > 0 {
			w = append(w, fmt.Sprintf("capture starts at sequence %d: %s earlier messages are not in it", c.BeforeJoin+1, commas(int64(c.BeforeJoin))))
		}
		if c.Malformed > 0 || c.OtherSession > 0 {
			w = append(w, fmt.Sprintf("capture: %s UDP payloads are not MoldUDP64, %s packets of another session (choose a flow with ?port= or ?group=)",
				commas(c.Malformed), commas(c.OtherSession)))
		}
	}
	return w
}

func firstProblem(st *exchange.Stats) string {
	if len(st.Problems) == 0 {
		return "?"
	}
	return st.Problems[0].String()
}

// importReport is bbox import's JSON summary.
type importReport struct {
	Command         string              `json:"command"`
	Out             string              `json:"out"`
	Records         int64               `json:"records"`
	Symbols         int                 `json:"symbols"`
	FirstTS         int64               `json:"first_ts"`
	LastTS          int64               `json:"last_ts"`
	Bytes           int64               `json:"bytes"`
	CompressedBytes int64               `json:"compressed_bytes"`
	Chunks          int64               `json:"chunks"`
	Seconds         float64             `json:"seconds"`
	Exchange        exchange.Stats      `json:"exchange"`
	TopSymbols      []exchange.SymCount `json:"top_symbols"`
	Warnings        []string            `json:"warnings,omitempty"`
}

func runImport(ctx context.Context, e *env, args []string) int {
	c := commands["import"]
	fs := newFlags(e, c)
	out := fs.String("out", "", "bbox capture to write")
	force := fs.Bool("force", false, "replace an existing --out (as bbox gen and bbox record, import replaces nothing without it)")
	date := fs.String("date", "", "trading day YYYY-MM-DD (default: from a NASDAQ file name like 01302019.NASDAQ_ITCH50, else the capture's packet times)")
	tz := fs.String("tz", defaultFeedTZ, "the feed's time zone: ITCH timestamps are nanoseconds after its midnight")
	strict := fs.Bool("strict", false, "stop at the first message of unknown type or wrong length (default: count, report and skip)")
	chunk := fs.String("chunk-size", "1MiB", "uncompressed bytes of records per chunk")
	level := fs.Int("level", 2, "zstd level: 1 fastest, 2 default, 3 better, 4 best")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one ITCH 5.0 file or pcap to import")
	}
	if *out == "" {
		return usageErr(e, c, "--out is required")
	}
	if fileExists(*out) && !*force {
		return fail(e, c, fmt.Errorf("%s exists: a capture is not replaced without --force", *out))
	}
	day, loc, err := feedTime(*date, *tz)
	if err != nil {
		return usageErr(e, c, "%v", err)
	}
	chunkSize, err := parseBytes(*chunk)
	if err != nil {
		return usageErr(e, c, "--chunk-size: %v", err)
	}
	ins, ok, err := exchangeInputs(files)
	if err != nil {
		return fail(e, c, err)
	}
	if !ok {
		return fail(e, c, fmt.Errorf("%s: not an ITCH 5.0 file, pcap or pcapng (checked by content)", strings.Join(files, ", ")))
	}
	log := &logger{w: e.stderr, tty: e.stderrTTY, component: c.name}
	src, err := exchange.NewSource(exchange.Config{Inputs: ins, Day: day, Loc: loc, Strict: *strict,
		OnProblem: func(p itch.Problem) { log.Logf("skipped: %v", p) }})
	if err != nil {
		return fail(e, c, err)
	}
	defer src.Close()
	meta := map[string]string{"source": "bbox import", "format": string(ins[0].Kind), "input": strings.Join(files, ","), "tz": loc.String()}
	w, err := replay.Create(*out, replay.WriterConfig{ChunkSize: int(chunkSize), Level: *level, Meta: meta})
	if err != nil {
		return fail(e, c, err)
	}
	var r rater
	stop := make(chan struct{})
	statusDone := log.statusLoop(stop, func(el time.Duration) string {
		n := src.Stats().Records
		return fmt.Sprintf("[%2.0fs] %s records  %s rec/s", el.Seconds(), commas(n), human(r.rate(n)))
	})
	t0 := time.Now()
	var b feed.Batch
	for err == nil {
		b.Reset()
		err = src.Next(ctx, &b)
		for i := range b.Recs {
			if aerr := w.Append(&b.Recs[i]); aerr != nil {
				err = aerr
				break
			}
		}
	}
	close(stop)
	<-statusDone
	cerr := w.Close()
	if !errors.Is(err, io.EOF) {
		return fail(e, c, err)
	}
	if cerr != nil {
		return fail(e, c, cerr)
	}
	st := src.Stats()
	ws := w.Stats()
	rep := importReport{Command: "import", Out: *out, Records: ws.Records, Symbols: st.Symbols, FirstTS: st.FirstTS, LastTS: st.LastTS,
		Bytes: ws.WireBytes, CompressedBytes: ws.Bytes, Chunks: ws.Chunks, Seconds: time.Since(t0).Seconds(), Exchange: st,
		TopSymbols: src.TopSymbols(10), Warnings: exchangeWarnings(&st)}
	hw := e.stdout
	if *asJSON {
		hw = e.stderr
	}
	fmt.Fprintf(hw, "import: %s of %s (%s) → %s in %s, %s bytes in %s, %.1fs\n",
		plural(st.Messages, "ITCH message", "ITCH messages"), plural(rep.Symbols, "symbol", "symbols"), strings.Join(files, ", "),
		plural(rep.Records, "record", "records"), *out, commas(ws.Bytes), plural(ws.Chunks, "chunk", "chunks"), rep.Seconds)
	printExchange(hw, &st, rep.TopSymbols, loc)
	for _, warn := range rep.Warnings {
		fmt.Fprintf(hw, "  warning: %s\n", warn)
	}
	if *asJSON {
		writeJSON(e.stdout, rep)
	}
	return exitOK
}

// printExchange prints per-type counts, the busiest symbols and what a
// capture held.
func printExchange(w io.Writer, st *exchange.Stats, top []exchange.SymCount, loc *time.Location) {
	if st.Records > 0 {
		fmt.Fprintf(w, "  day        %s, %s → %s\n", st.Day, time.Unix(0, st.FirstTS).In(loc).Format("15:04:05.000000000"),
			time.Unix(0, st.LastTS).In(loc).Format("15:04:05.000000000 MST"))
	}
	var types []string
	for k := range st.ByType {
		types = append(types, k)
	}
	sort.Slice(types, func(i, j int) bool {
		a, b := st.ByType[types[i]], st.ByType[types[j]]
		return a > b || (a == b && types[i] < types[j])
	})
	fmt.Fprintf(w, "  types     ")
	for _, k := range types {
		name := "?"
		if l := itch.LayoutOf(k[0]); l != nil {
			name = l.Name
		}
		fmt.Fprintf(w, " %s %s (%s)", k, commas(st.ByType[k]), name)
	}
	fmt.Fprintln(w)
	if len(top) > 0 {
		fmt.Fprintf(w, "  busiest   ")
		for _, t := range top {
			fmt.Fprintf(w, " %s %s", t.Symbol, commas(t.Records))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  skipped    %s unknown type, %s wrong length; %s unattributed\n", commas(st.Unknown), commas(st.BadLength), commas(st.Unattributed))
	if c := st.Capture; c != nil {
		fmt.Fprintf(w, "  capture    %s packets, session %q, flows %s; %s other, %s fragments, %s malformed; %s messages lost\n",
			commas(c.Packets), c.Session, strings.Join(c.Flows, " "), commas(c.OtherFlows), commas(c.Fragments), commas(c.Malformed), commas(int64(c.Lost)))
		for _, l := range c.Lines {
			fmt.Fprintf(w, "    line %-6s %s packets, %s messages, %s duplicates, %d gaps (%s missed: %s recovered, %s lost)\n",
				l.Name, commas(l.Packets), commas(l.Messages), commas(l.Duplicates), l.Gaps, commas(l.Missed), commas(l.Recovered), commas(l.Lost))
		}
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "    %v\n", p)
	}
}
