package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
	_ "time/tzdata" // --tz works on boxes without /usr/share/zoneinfo

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
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

// replayFlags are replay's own flags, typed once for its three paths:
// bbox captures (runReplay), exchange inputs (replayExchange) and --mold
// (replayMold).
type replayFlags struct {
	speed              cli.Speed
	rate               cli.Rate
	loop, decoders     int
	from, to, tz       string
	symbols            cli.List
	skip, preload      bool
	maxSleep, duration time.Duration
	asJSON             bool
	date, mold         string // exchange inputs; --mold
	strict             bool
	fs                 *flag.FlagSet // registered on: which flags the command line gave
}

func (f *replayFlags) register(fs *flag.FlagSet) {
	f.fs, f.speed = fs, 1
	fs.Var(&f.speed, "speed", "max (as fast as the engine takes it), 1x (original pacing) or a multiple like 10x")
	fs.Var(&f.rate, "rate", "publish at a fixed rate, records per second, ignoring timestamps (instead of --speed)")
	fs.IntVar(&f.loop, "loop", 1, "play the files this many times (0: until stopped)")
	fs.StringVar(&f.from, "from", "", "start at this time of day (09:30, 15:59:30.5, in --tz, on the first record's day) or RFC 3339 timestamp")
	fs.StringVar(&f.to, "to", "", "stop before this time of day or RFC 3339 timestamp")
	fs.StringVar(&f.tz, "tz", "", "time zone of --from/--to (default: the file's own, else UTC)")
	fs.Var(&f.symbols, "symbols", "replay only these topics (comma-separated or repeated)")
	fs.BoolVar(&f.skip, "skip-corrupt", false, "carry on past damaged chunks and torn tails, reporting what was skipped")
	fs.DurationVar(&f.maxSleep, "max-sleep", 0, "cap any single pause of a paced replay (0: none)")
	fs.BoolVar(&f.preload, "preload", false, "decompress the selected chunks into memory before starting (needs about the uncompressed size in RAM: bbox inspect shows raw_bytes); replays and loops then run at memory speed")
	fs.IntVar(&f.decoders, "decoders", 0, "goroutines decompressing chunks ahead of the publisher (0: one per two CPUs)")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: until the files end or SIGINT/SIGTERM)")
	fs.BoolVar(&f.asJSON, "json", false, "print the summary as one JSON object on the last line of stdout")
	fs.StringVar(&f.date, "date", "", "ITCH files and pcaps: trading day YYYY-MM-DD (default: from a NASDAQ file name like 01302019.NASDAQ_ITCH50, else the capture's packet times)")
	fs.BoolVar(&f.strict, "strict", false, "ITCH files and pcaps: stop at the first message of unknown type or wrong length (default: count, report and skip)")
	fs.StringVar(&f.mold, "mold", "", "send the files as MoldUDP64 multicast instead of --bind: udp://GROUP:PORT?nic=DEV&b=GROUP2:PORT2&rewind=HOST:PORT&session=NAME; options in the README's \"Sit on a live feed\"")
}

const paceExclusive = "--speed and --rate are exclusive: pace by the timestamps or at a fixed rate"

// pace is the replay's pacing: a multiple of the original (--speed) or
// a fixed rate (--rate, which turns --speed off); 0, 0 is max. ok is
// false when the command line gave both.
func (f *replayFlags) pace() (speed, rate float64, ok bool) {
	if cli.Given(f.fs, "rate") != "" {
		return 0, float64(f.rate), cli.Given(f.fs, "speed") == ""
	}
	return float64(f.speed), float64(f.rate), true
}

func runReplay(ctx context.Context, e *env, c *command, args []string) int {
	fs, ops := newOpsFlags(e, c)
	var pf pubFlags
	// A replay is history, not a live feed: by default it waits for a
	// slow subscriber (lossless) instead of dropping at its --hwm.
	pf.register(fs, "block")
	var rf replayFlags
	rf.register(fs)
	files, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageErr(e, c, "name at least one capture file to replay")
	}
	if code, done := replayExchange(ctx, e, c, &pf, files, &rf, ops); done {
		return code
	}
	if err := pf.validate(); err != nil {
		return usageErr(e, c, "%v", err)
	}
	speed, rate, paceOK := rf.pace()
	if !paceOK {
		return usageErr(e, c, paceExclusive)
	}
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		cfg := replay.SourceConfig{Speed: speed, Rate: rate, Loop: rf.loop, Symbols: rf.symbols,
			SkipCorrupt: rf.skip, MaxSleep: rf.maxSleep, Preload: rf.preload, Decoders: rf.decoders}
		if rf.loop == 0 {
			cfg.Loop = -1
		}
		play, err := replay.OpenPlay(replay.PlayConfig{Files: files, Source: cfg, From: rf.from, To: rf.to, TZ: rf.tz, Logf: log.Logf})
		var we *replay.WindowError
		var ce *replay.ConfigError
		switch {
		case errors.As(err, &we):
			return usageErr(e, c, "--%s: %v", we.Side, we.Err)
		case errors.Is(err, replay.ErrEmptyWindow):
			return usageErr(e, c, "--to %s is not after --from %s", rf.to, rf.from)
		case errors.As(err, &ce):
			return usageErr(e, c, "%v", err)
		case err != nil:
			return fail(e, c, err)
		}
		defer play.Close()
		// runPublisher's own status line gives way to the progress bar: its
		// log lines go through ours.
		inner := log.child("pub")
		log.addMetrics(metrics.ReplaySource(play.Source.Stats))
		var s report.Summary
		var runErr error
		elapsed := log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return play.Progress(el, r.Rate) },
			func() { s, runErr = runPublisher(ctx, e, inner, &pf, play.Source, rf.duration, "replay") })
		if runErr != nil {
			return fail(e, c, runErr)
		}
		rep, nothing := play.Report(s.Seconds, elapsed)
		printReplay(e, rf.asJSON, report.NewCaptureReplay(s, rep, nothing, pf.waitSubs))
		if nothing != "" {
			// Played through and matched nothing: the filters (checked against
			// the chunks' ranges and dictionaries in OpenPlay) fell between records.
			fmt.Fprintf(e.stderr, "bbox replay: %s\n", nothing) // after the summary, as the last word
			return exitError
		}
		return exitOK
	})
}

// printReplay writes replay's closing report r (any of its three paths)
// as printReport does, after its progress bar (afterStatus).
func printReplay(e *env, asJSON bool, r interface{ WriteText(io.Writer) }) {
	printSummary(e, asJSON, func(w io.Writer) { r.WriteText(afterStatus(e, w)) }, func() any { return r })
}
