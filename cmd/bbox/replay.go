package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // --tz works on boxes without /usr/share/zoneinfo

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/metrics"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "publish capture files (bbox replay FILE... --bind ...): at full speed, original pacing or a multiple, or a fixed rate",
		usage:   "FILE [FILE...] --bind EP[,EP...] [--speed max|1x|NUMx | --rate R] [flags]",
		run:     runReplay,
	})
}

// speedFlag is a multiple of the original pacing ("1x", "10x", "0.5x")
// or "max" (0).
type speedFlag float64

func (s *speedFlag) String() string { return replay.FormatSpeed(float64(*s)) }

func (s *speedFlag) Set(v string) error {
	f, err := replay.ParseSpeed(v)
	if err == nil {
		*s = speedFlag(f)
	}
	return err
}

func runReplay(ctx context.Context, e *env, c *command, args []string) int {
	fs := newFlags(e, c)
	var ops opsFlags
	ops.register(fs)
	var pf pubFlags
	pf.register(fs)
	if f := fs.Lookup("slow"); f != nil {
		// A replay is history, not a live feed: by default it waits for a
		// slow subscriber (lossless) instead of dropping at its --hwm.
		f.Value.Set("block")
		f.DefValue = "block"
	}
	speed := speedFlag(1)
	fs.Var(&speed, "speed", "max (as fast as the engine takes it), 1x (original pacing) or a multiple like 10x")
	var rate cli.Rate
	fs.Var(&rate, "rate", "publish at a fixed rate, records per second, ignoring timestamps (instead of --speed)")
	loop := fs.Int("loop", 1, "play the files this many times (0: until stopped)")
	from := fs.String("from", "", "start at this time of day (09:30, 15:59:30.5, in --tz, on the first record's day) or RFC 3339 timestamp")
	to := fs.String("to", "", "stop before this time of day or RFC 3339 timestamp")
	tz := fs.String("tz", "", "time zone of --from/--to (default: the file's own, else UTC)")
	var symbols cli.List
	fs.Var(&symbols, "symbols", "replay only these topics (comma-separated or repeated)")
	skip := fs.Bool("skip-corrupt", false, "carry on past damaged chunks and torn tails, reporting what was skipped")
	maxSleep := fs.Duration("max-sleep", 0, "cap any single pause of a paced replay (0: none)")
	preload := fs.Bool("preload", false, "decompress the selected chunks into memory before starting (needs about the uncompressed size in RAM: bbox inspect shows raw_bytes); replays and loops then run at memory speed")
	decoders := fs.Int("decoders", 0, "goroutines decompressing chunks ahead of the publisher (0: one per two CPUs)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until the files end or SIGINT/SIGTERM)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	xf := registerExchangeFlags(fs) // ITCH files and pcaps (exchange_cmd.go)
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one capture file to replay")
	}
	if code, done := replayExchange(ctx, e, c, fs, &pf, files, xf, &ops); done {
		return code
	}
	if err := pf.validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if setFlags["rate"] && setFlags["speed"] {
		return usageErr(e, c, "--speed and --rate are exclusive: pace by the timestamps or at a fixed rate")
	}
	if *loop < 0 {
		return usageErr(e, c, "--loop %d: want a count, or 0 to loop until stopped", *loop)
	}
	log, stopOps, opsCode, opsOK := ops.start(ctx, e, c)
	if !opsOK {
		return opsCode
	}
	defer stopOps()
	readers, err := replay.OpenFiles(files)
	if err != nil {
		return fail(e, c, err)
	}
	defer readers.Close()
	for _, note := range readers.IndexNotes() {
		log.Logf("warning: %s", note)
	}
	if r := readers.Damaged(); r != nil && !*skip {
		return fail(e, c, fmt.Errorf("%v\n(%s)", r.Err(), replay.SkipHint(r)))
	}
	cfg := replay.SourceConfig{Files: readers, Speed: float64(speed), Rate: float64(rate), Loop: *loop, Symbols: symbols,
		SkipCorrupt: *skip, MaxSleep: *maxSleep, Preload: *preload, Decoders: *decoders}
	if setFlags["rate"] {
		cfg.Speed = 0
	}
	if *loop == 0 {
		cfg.Loop = -1
	}
	loc, err := replay.Zone(*tz, readers.Meta())
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	var we *replay.WindowError
	switch cfg.From, cfg.To, err = readers.Window(*from, *to, loc); {
	case errors.As(err, &we):
		return usageErr(e, c, "--%s: %v", we.Side, we.Err)
	case err != nil:
		return usageErr(e, c, "--to %s is not after --from %s", *to, *from)
	}
	// A selection that cannot match is said before anything is bound,
	// with what the files hold instead.
	sel := replay.Select(readers, cfg.From, cfg.To, symbols, 5)
	if msg := replay.EmptySelection(sel, files, *from, *to, symbols, loc, replay.ZoneNote(*tz, readers.Meta())); msg != "" {
		return fail(e, c, errors.New(msg))
	}
	if msg := replay.MissingSymbols(sel, files); msg != "" {
		log.Logf("warning: %s", msg)
	}
	cfg.OnSkip = func(file string, p replay.Problem) { log.Logf("%s", replay.SkipLine(file, p)) }
	if *preload {
		log.Logf("preloading %s ...", strings.Join(files, ", "))
	}
	src, err := replay.NewSource(cfg)
	if err != nil {
		return usageErr(e, c, "%v", err)
	}
	defer src.Close()
	if st := src.Stats(); *preload {
		log.Logf("preloaded %s uncompressed bytes in %v", words.Group(st.PreloadBytes), st.PreloadTime.Round(time.Millisecond))
	}

	// runPublisher's own status line gives way to the progress bar: its
	// log lines go through ours.
	inner := log.child("pub")
	log.addMetrics(metrics.ReplaySource(src.Stats))
	var s report.Summary
	var runErr error
	elapsed := log.whileStatus(func(el time.Duration, r *termlog.Rates) string {
		eta, ok := src.ETA()
		st := src.Stats()
		return replay.ProgressLine(el, st, r.Rate(st.Records), eta, ok)
	}, func() { s, runErr = runPublisher(ctx, e, inner, &pf, src, *duration, "replay") })
	if runErr != nil {
		return fail(e, c, runErr)
	}
	st := src.Stats()
	// The publisher's clock starts once --wait-subs is satisfied.
	secs := s.Seconds
	if secs <= 0 {
		secs = elapsed.Seconds()
	}
	rep := replay.NewPlayReport(files, st, secs, src.Skipped(), loc)
	code = exitOK
	if st.PlayedNothing() {
		// Played through and matched nothing: the filters (checked against
		// the chunks' ranges and dictionaries above) fell between records.
		msg := replay.NothingPlayed(files, *from, *to, symbols, st)
		s.Warnings = append(s.Warnings, msg)
		defer fmt.Fprintf(e.stderr, "bbox replay: %s\n", msg) // after the summary, as the last word
		code = exitError
	}
	s.Warnings = append(s.Warnings, report.Unheard(&s, pf.waitSubs)...)
	out := humanOut(e, *asJSON)
	summaryBreak(e, out)
	report.WriteReplay(out, &rep, &s)
	if *asJSON {
		writeJSON(e.stdout, replaySummary{Summary: s, Replay: rep})
	}
	return code
}
