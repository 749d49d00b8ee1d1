package main

// `bbox replay FILE --mold udp://...` sends a capture as live MoldUDP64
// (exchange.ParseSender); `bbox pub --source moldudp64://GROUP:PORT?...`
// ingests one (internal/pubsource).

import (
	"context"
	"errors"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/internal/termlog"
)

// replayMold is bbox replay --mold: the files (bbox captures or exchange
// inputs) go out as MoldUDP64 multicast at the replay's pacing.
func replayMold(ctx context.Context, e *env, c *command, files []string, rf *replayFlags, ops *opsFlags) int {
	ms, err := exchange.ParseSender(rf.mold)
	if err != nil {
		return usageErr(e, c, "--mold: %v", err)
	}
	if cli.Given(rf.fs, "bind") != "" {
		return usageErr(e, c, "--mold sends the files as MoldUDP64 multicast: give it or --bind, not both")
	}
	if n := cli.Given(rf.fs, "from", "to", "symbols", "loop", "skip-corrupt", "preload", "max-sleep", "wait-subs"); n != "" {
		// A MoldUDP64 session is one pass of whole sequence numbers.
		return usageErr(e, c, "--%s does not apply with --mold (a MoldUDP64 session is the whole file, once, in sequence)", n)
	}
	speed, rate, paceOK := rf.pace()
	if !paceOK {
		return usageErr(e, c, paceExclusive)
	}
	return ops.run(ctx, e, c, nil, func(log *logger) int {
		src, closeSrc, err := exchange.OpenPaced(exchange.PacedConfig{Files: files, Speed: speed, Rate: rate, Date: rf.date, TZ: rf.tz, Strict: rf.strict})
		switch {
		case errors.Is(err, exchange.ErrFeedTime):
			return usageErr(e, c, "--%v", err)
		case err != nil:
			return fail(e, c, err)
		}
		defer closeSrc()
		snd, err := exchange.NewMoldSend(ms, log.Logf)
		if err != nil {
			return fail(e, c, err)
		}
		defer snd.Close()
		rctx, cancel := withDuration(ctx, rf.duration)
		defer cancel()
		var rep *exchange.MoldSendReport
		log.WhileStatus(func(el time.Duration, r *termlog.Rates) string { return snd.StatusLine(el, r.Rate) },
			func() { rep, err = snd.Run(rctx, src) })
		if err != nil {
			return fail(e, c, err)
		}
		printReplay(e, rf.asJSON, rep)
		return exitOK
	})
}
