package main

// Live MoldUDP64: `bbox pub --source moldudp64://GROUP:PORT?...` ingests a
// feed (A/B lines, rewind), and `bbox replay FILE --mold udp://...` sends
// a capture as one (exchange.ParseLive, exchange.ParseSender).

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/moldudp64"
	"github.com/bbox-dev/bbox/replay"
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
	var lines []string
	for _, l := range s.cfg.Receiver.Lines {
		lines = append(lines, l.String())
	}
	rw := "no rewind server: gaps on every line are lost"
	if s.cfg.Receiver.Rewind != "" {
		rw = "rewind " + s.cfg.Receiver.Rewind
	}
	log.Logf("moldudp64: joined %s; %s", strings.Join(lines, " and "), rw)
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
	var b strings.Builder
	fmt.Fprintf(&b, " | mold next %d", st.Next)
	for _, l := range st.Lines {
		fmt.Fprintf(&b, " %s %s pkts %s dup %d gaps", l.Name, commas(l.Packets), commas(l.Duplicates), l.Gaps)
	}
	fmt.Fprintf(&b, " | recovered %s lost %s", commas(st.Recovered), commas(st.Lost))
	return b.String()
}

func (s *moldSource) report(sum *summary) {
	st := s.live.Stats()
	// The feed's losses are this publisher's: records_lost and gaps say
	// so in the keys scripts check, not only in the moldudp64 block.
	sum.RecordsLost += st.Lost
	sum.Gaps += st.Gaps
	if st.Lost > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s messages LOST: missing on every line and not recovered (%d gaps, %d requests, %s recovered)",
			commas(st.Lost), st.Gaps, st.Requests, commas(st.Recovered)))
	}
	if st.BeforeJoin > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("joined at sequence %d: %s earlier messages were sent before the join (not requested)",
			st.BeforeJoin+1, commas(int64(st.BeforeJoin))))
	}
	if st.Idle {
		sum.Warnings = append(sum.Warnings, "moldudp64: the feed went silent (idle=): session given up before its end")
	}
	if st.Unknown+st.BadLength > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s messages are not ITCH 5.0 (%s unknown type, %s wrong length): skipped",
			commas(st.Unknown+st.BadLength), commas(st.Unknown), commas(st.BadLength)))
	}
	if st.Malformed > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s malformed packets dropped", commas(st.Malformed)))
	}
}

// sourceJSON adds a source's own counters to pub's JSON summary.
func sourceJSON(s summary, src feed.Source) any {
	if m, ok := src.(*moldSource); ok && m.live != nil {
		st := m.live.Stats()
		return struct {
			summary
			Mold exchange.LiveStats `json:"moldudp64"`
		}{s, st}
	}
	if x, ok := src.(*exchangeSource); ok {
		return struct {
			summary
			Exchange exchange.Stats `json:"exchange"`
		}{s, x.Stats()}
	}
	return s
}

// replayMold is bbox replay --mold: the files (bbox captures or exchange
// inputs) go out as MoldUDP64 multicast at the replay's pacing.
func replayMold(ctx context.Context, e *env, c *command, fs *flag.FlagSet, spec string, files []string, xf *exchangeFlags, ops *opsFlags) int {
	ms, err := exchange.ParseSender(spec)
	if err != nil {
		return usageErr(e, c, "--mold: %v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["bind"] {
		return usageErr(e, c, "--mold sends the files as MoldUDP64 multicast: give it or --bind, not both")
	}
	for _, n := range []string{"from", "to", "symbols", "loop", "skip-corrupt", "preload", "max-sleep", "wait-subs"} {
		if set[n] {
			// A MoldUDP64 session is one pass of whole sequence numbers.
			return usageErr(e, c, "--%s does not apply with --mold (a MoldUDP64 session is the whole file, once, in sequence)", n)
		}
	}
	var rate, speed float64
	if set["rate"] && set["speed"] {
		return usageErr(e, c, "--speed and --rate are exclusive: pace by the timestamps or at a fixed rate")
	}
	if set["rate"] {
		fmt.Sscan(fs.Lookup("rate").Value.String(), &rate)
	} else if v := fs.Lookup("speed").Value.String(); v != "max" {
		fmt.Sscan(strings.TrimSuffix(v, "x"), &speed)
	}
	duration, _ := time.ParseDuration(fs.Lookup("duration").Value.String())
	asJSON := fs.Lookup("json").Value.String() == "true"
	log, stopOps, opsCode, opsOK := ops.start(ctx, e, c)
	if !opsOK {
		return opsCode
	}
	defer stopOps()
	var src feed.Source
	ins, isExchange, err := exchangeInputs(files)
	if err != nil {
		return fail(e, c, err)
	}
	if isExchange {
		day, loc, err := feedTime(*xf.date, fs.Lookup("tz").Value.String())
		if err != nil {
			return usageErr(e, c, "%v", err)
		}
		xs, err := exchange.NewSource(exchange.Config{Inputs: ins, Day: day, Loc: loc, Speed: speed, Rate: rate, Strict: *xf.strict})
		if err != nil {
			return fail(e, c, err)
		}
		defer xs.Close()
		src = xs
	} else {
		var readers []*replay.Reader
		defer func() {
			for _, r := range readers {
				r.Close()
			}
		}()
		for _, f := range files {
			r, err := replay.Open(f)
			if err != nil {
				return fail(e, c, err)
			}
			readers = append(readers, r)
			if err := r.Err(); err != nil {
				return fail(e, c, err)
			}
		}
		rs, err := replay.NewSource(replay.SourceConfig{Files: readers, Speed: speed, Rate: rate})
		if err != nil {
			return usageErr(e, c, "%v", err)
		}
		defer rs.Close()
		src = rs
	}
	ms.Sender.Logf = log.Logf
	snd, err := moldudp64.NewSender(ms.Sender)
	if err != nil {
		return fail(e, c, err)
	}
	defer snd.Close()
	var lines []string
	for _, l := range ms.Sender.Lines {
		lines = append(lines, l.String())
	}
	log.Logf("moldudp64: session %q on %s; request server %s", ms.Sender.Session.String(), strings.Join(lines, " and "), orNone(snd.RewindAddr()))
	rctx := ctx
	if duration > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	var r rater
	stop := make(chan struct{})
	statusDone := log.statusLoop(stop, func(el time.Duration) string {
		st := snd.Stats()
		return fmt.Sprintf("[%2.0fs] %s messages, %s msg/s, %s packets, %d requests", el.Seconds(), commas(st.Messages), human(r.rate(st.Messages)), commas(st.Packets), st.Requests)
	})
	t0 := time.Now()
	n, err := exchange.SendMold(rctx, src, snd, ms.Linger)
	secs := time.Since(t0).Seconds()
	close(stop)
	<-statusDone
	if err != nil {
		return fail(e, c, err)
	}
	st := snd.Stats()
	out := e.stdout
	if asJSON {
		out = e.stderr
	}
	summaryBreak(e, out)
	fmt.Fprintf(out, "replay: %s messages sent as MoldUDP64 session %q in %s packets on %s (%.1fs, %s msg/s)\n",
		commas(n), st.Session, commas(st.Packets), strings.Join(lines, " and "), secs, human(float64(n)/secs))
	fmt.Fprintf(out, "  rewind   %s answered with %s, %s unavailable\n", plural(st.Requests, "request", "requests"), plural(st.Retransmitted, "message", "messages"), commas(st.Unavailable))
	if st.Dropped != nil {
		fmt.Fprintf(out, "  test drops: %s; %s on no line\n", testDropsText(st.Dropped), plural(st.DroppedBoth, "message", "messages"))
	}
	if asJSON {
		writeJSON(e.stdout, struct {
			Command          string                `json:"command"`
			RecordsPublished int64                 `json:"records_published"`
			ThroughputRPS    float64               `json:"throughput_rps"`
			Seconds          float64               `json:"seconds"`
			Mold             moldudp64.SenderStats `json:"moldudp64"`
		}{"replay", n, float64(n) / secs, secs, st})
	}
	return exitOK
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// testDropsText names the packets left out on purpose, per line:
// "5 packets left out of line A, 3 of line B".
func testDropsText(perLine []int64) string {
	parts := make([]string, len(perLine))
	for i, n := range perLine {
		line := string(rune('A' + i))
		if i == 0 {
			parts[i] = plural(n, "packet", "packets") + " left out of line " + line
		} else {
			parts[i] = commas(n) + " of line " + line
		}
	}
	return strings.Join(parts, ", ")
}
