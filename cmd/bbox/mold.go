package main

// `bbox replay FILE --mold udp://...` sends a capture as live MoldUDP64
// (exchange.ParseSender); `bbox pub --source moldudp64://GROUP:PORT?...`
// ingests one (internal/pubsource).

import (
	"context"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/termlog"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// replayMold is bbox replay --mold: the files (bbox captures or exchange
// inputs) go out as MoldUDP64 multicast at the replay's pacing.
func replayMold(ctx context.Context, e *env, c *command, files []string, rf *replayFlags, ops *opsFlags) int {
	ms, err := exchange.ParseSender(rf.mold)
	if err != nil {
		return usageErr(e, c, "--mold: %v", err)
	}
	if rf.set["bind"] {
		return usageErr(e, c, "--mold sends the files as MoldUDP64 multicast: give it or --bind, not both")
	}
	if n := rf.given("from", "to", "symbols", "loop", "skip-corrupt", "preload", "max-sleep", "wait-subs"); n != "" {
		// A MoldUDP64 session is one pass of whole sequence numbers.
		return usageErr(e, c, "--%s does not apply with --mold (a MoldUDP64 session is the whole file, once, in sequence)", n)
	}
	speed, rate, paceOK := rf.pace()
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
		day, loc, err := exchange.FeedTime(rf.date, rf.tz)
		if err != nil {
			return usageErr(e, c, "--%v", err)
		}
		xs, err := exchange.NewSource(exchange.Config{Inputs: ins, Day: day, Loc: loc, Speed: speed, Rate: rate, Strict: rf.strict})
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
		rs, err := replay.NewSource(replay.SourceConfig{Files: readers, Speed: speed, Rate: rate})
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
	rctx, cancel := withDuration(ctx, rf.duration)
	defer cancel()
	var rep *exchange.MoldSendReport
	log.whileStatus(func(el time.Duration, r *termlog.Rates) string {
		st := snd.Stats()
		return fmt.Sprintf("[%2.0fs] %s messages, %s msg/s, %s packets, %d requests", el.Seconds(), words.Group(st.Messages), words.RateFixed(r.Rate(st.Messages)), words.Group(st.Packets), st.Requests)
	}, func() { rep, err = snd.Run(rctx, src) })
	if err != nil {
		return fail(e, c, err)
	}
	out := humanOut(e, rf.asJSON)
	summaryBreak(e, out)
	rep.WriteText(out)
	if rf.asJSON {
		writeJSON(e.stdout, rep)
	}
	return exitOK
}
