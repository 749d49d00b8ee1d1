package main

// Live MoldUDP64: `bbox pub --source moldudp64://GROUP:PORT?...` ingests a
// feed (A/B lines, rewind), and `bbox replay FILE --mold udp://...` sends
// a capture as one (exchange.ParseLive, exchange.ParseSender).

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
)

// moldSource is pub --source moldudp64://...
type moldSource struct {
	cfg  exchange.LiveConfig
	live *exchange.Live // nil until attach
}

func openMold(name string, gen feed.GenConfig) (feed.Source, bool, error) {
	cfg, err := exchange.ParseLive(name)
	if err != nil {
		return nil, true, err
	}
	cfg.Records = gen.Records
	return &moldSource{cfg: cfg}, true, nil
}

func (s *moldSource) attach(log *logger, pf *pubFlags) error {
	l, err := exchange.NewLive(s.cfg)
	if err != nil {
		return err
	}
	s.live = l
	log.Logf("moldudp64: %s", s.cfg.Joined())
	return nil
}

func (s *moldSource) Next(ctx context.Context, b *feed.Batch) error { return s.live.Next(ctx, b) }

func (s *moldSource) Close() error {
	if s.live == nil {
		return nil
	}
	return s.live.Close()
}

// statusLine is the per-line part of pub's status line.
func (s *moldSource) statusLine() string {
	st := s.live.Stats()
	return st.StatusText()
}

func (s *moldSource) report(sum *report.Summary) {
	st := s.live.Stats()
	// The feed's losses are this publisher's: records_lost and gaps say
	// so in the keys scripts check, not only in the moldudp64 block.
	sum.RecordsLost += st.Lost
	sum.Gaps += st.Gaps
	sum.Warnings = append(sum.Warnings, st.Warnings()...)
}

// sourceJSON adds a source's own counters to pub's JSON summary.
func sourceJSON(s report.Summary, src feed.Source) any {
	if m, ok := src.(*moldSource); ok && m.live != nil {
		st := m.live.Stats()
		return struct {
			report.Summary
			Mold exchange.LiveStats `json:"moldudp64"`
		}{s, st}
	}
	if x, ok := src.(*exchangeSource); ok {
		return withExchange(s, x.Stats())
	}
	return s
}

// withExchange is a summary with an exchange source's counters as its
// "exchange" block.
func withExchange(s report.Summary, st exchange.Stats) any {
	return struct {
		report.Summary
		Exchange exchange.Stats `json:"exchange"`
	}{s, st}
}

// replayMold is bbox replay --mold: the files (bbox captures or exchange
// inputs) go out as MoldUDP64 multicast at the replay's pacing.
func replayMold(ctx context.Context, e *env, c *command, fs *flag.FlagSet, spec string, files []string, xf *exchangeFlags, ops *opsFlags) int {
	ms, err := exchange.ParseSender(spec)
	if err != nil {
		return usageErr(e, c, "--mold: %v", err)
	}
	set, pace, paceOK := replayPace(fs)
	if set["bind"] {
		return usageErr(e, c, "--mold sends the files as MoldUDP64 multicast: give it or --bind, not both")
	}
	for _, n := range []string{"from", "to", "symbols", "loop", "skip-corrupt", "preload", "max-sleep", "wait-subs"} {
		if set[n] {
			// A MoldUDP64 session is one pass of whole sequence numbers.
			return usageErr(e, c, "--%s does not apply with --mold (a MoldUDP64 session is the whole file, once, in sequence)", n)
		}
	}
	if !paceOK {
		return usageErr(e, c, paceExclusive)
	}
	log, stopOps, opsCode, opsOK := ops.start(ctx, e, c)
	if !opsOK {
		return opsCode
	}
	defer stopOps()
	var src feed.Source
	ins, isExchange, err := exchange.DetectInputs(files)
	if err != nil {
		return fail(e, c, err)
	}
	if isExchange {
		day, loc, err := exchange.FeedTime(*xf.date, fs.Lookup("tz").Value.String())
		if err != nil {
			return usageErr(e, c, "--%v", err)
		}
		xs, err := exchange.NewSource(exchange.Config{Inputs: ins, Day: day, Loc: loc, Speed: pace.speed, Rate: pace.rate, Strict: *xf.strict})
		if err != nil {
			return fail(e, c, err)
		}
		defer xs.Close()
		src = xs
	} else {
		readers, err := replay.OpenFiles(files)
		if err != nil {
			return fail(e, c, err)
		}
		defer readers.Close()
		if r := readers.Damaged(); r != nil {
			return fail(e, c, r.Err())
		}
		rs, err := replay.NewSource(replay.SourceConfig{Files: readers, Speed: pace.speed, Rate: pace.rate})
		if err != nil {
			return usageErr(e, c, "%v", err)
		}
		defer rs.Close()
		src = rs
	}
	snd, err := exchange.NewMoldSend(ms, log.Logf)
	if err != nil {
		return fail(e, c, err)
	}
	defer snd.Close()
	rctx, cancel := withDuration(ctx, pace.duration)
	defer cancel()
	var rep *exchange.MoldSendReport
	log.whileStatus(func(el time.Duration, r *termlog.Rates) string {
		st := snd.Stats()
		return fmt.Sprintf("[%2.0fs] %s messages, %s msg/s, %s packets, %d requests", el.Seconds(), words.Group(st.Messages), words.RateFixed(r.Rate(st.Messages)), words.Group(st.Packets), st.Requests)
	}, func() { rep, err = snd.Run(rctx, src) })
	if err != nil {
		return fail(e, c, err)
	}
	out := humanOut(e, pace.asJSON)
	summaryBreak(e, out)
	rep.WriteText(out)
	if pace.asJSON {
		writeJSON(e.stdout, rep)
	}
	return exitOK
}
