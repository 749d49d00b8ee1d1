package main

// Hooks that let replay, inspect and gen take exchange inputs and write
// exchange formats (the command files call these in a line or two).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

// exchangeFlags are replay's flags for exchange inputs.
type exchangeFlags struct {
	date   *string
	strict *bool
	mold   *string
}

func registerExchangeFlags(fs *flag.FlagSet) *exchangeFlags {
	return &exchangeFlags{
		date:   fs.String("date", "", "ITCH files and pcaps: trading day YYYY-MM-DD (default: from a NASDAQ file name like 01302019.NASDAQ_ITCH50, else the capture's packet times)"),
		strict: fs.Bool("strict", false, "ITCH files and pcaps: stop at the first message of unknown type or wrong length (default: count, report and skip)"),
		mold:   fs.String("mold", "", "send the files as MoldUDP64 multicast instead of --bind: udp://GROUP:PORT?nic=DEV&b=GROUP2:PORT2&rewind=HOST:PORT&session=NAME; options in the README's \"Sit on a live feed\""),
	}
}

// replayExchange is bbox replay for ITCH files and pcaps; done is false
// when the files are bbox captures (replay carries on as before).
// ops gives it the command's logger (--log-format) and --metrics, as a
// capture's replay has.
func replayExchange(ctx context.Context, e *env, c *command, fs *flag.FlagSet, pf *pubFlags, files []string, xf *exchangeFlags, ops *opsFlags) (code int, done bool) {
	if *xf.mold != "" {
		return replayMold(ctx, e, c, fs, *xf.mold, files, xf, ops), true
	}
	ins, ok, err := exchangeInputs(files)
	if !ok {
		return 0, false
	}
	if err != nil {
		return fail(e, c, err), true
	}
	if len(pf.binds) == 0 {
		return usageErr(e, c, "--bind is required (one endpoint per shard)"), true
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["rate"] && set["speed"] {
		return usageErr(e, c, "--speed and --rate are exclusive: pace by the timestamps or at a fixed rate"), true
	}
	for _, n := range []string{"skip-corrupt", "preload", "decoders", "max-sleep"} {
		if set[n] {
			return usageErr(e, c, "--%s applies to bbox captures, not to ITCH files or pcaps", n), true
		}
	}
	day, loc, err := feedTime(*xf.date, fs.Lookup("tz").Value.String())
	if err != nil {
		return usageErr(e, c, "%v", err), true
	}
	cfg := exchange.Config{Inputs: ins, Day: day, Loc: loc, Strict: *xf.strict}
	if set["rate"] {
		fmt.Sscan(fs.Lookup("rate").Value.String(), &cfg.Rate)
	} else if v := fs.Lookup("speed").Value.String(); v != "max" {
		fmt.Sscan(strings.TrimSuffix(v, "x"), &cfg.Speed)
	}
	fmt.Sscan(fs.Lookup("loop").Value.String(), &cfg.Loop)
	if cfg.Loop == 0 {
		cfg.Loop = -1
	}
	if v := fs.Lookup("symbols").Value.String(); v != "" {
		cfg.Symbols = strings.Split(v, ",")
	}
	for name, dst := range map[string]*time.Duration{"from": &cfg.FromTOD, "to": &cfg.ToTOD} {
		if v := fs.Lookup(name).Value.String(); v != "" {
			// A time of day in the feed's zone, as ITCH times count from its midnight.
			if *dst, err = replay.TimeOfDay(v); err != nil {
				return usageErr(e, c, "--%s: %v in the feed's time zone", name, err), true
			}
		}
	}
	if cfg.ToTOD != 0 && cfg.ToTOD <= cfg.FromTOD {
		return usageErr(e, c, "--to is not after --from"), true
	}
	duration, _ := time.ParseDuration(fs.Lookup("duration").Value.String())
	asJSON := fs.Lookup("json").Value.String() == "true"
	log, stopOps, opsCode, opsOK := ops.start(ctx, e, c)
	if !opsOK {
		return opsCode, true
	}
	defer stopOps()
	cfg.OnProblem = func(p itch.Problem) { log.Logf("skipped: %v", p) }
	src, err := exchange.NewSource(cfg)
	if err != nil {
		return fail(e, c, err), true
	}
	defer src.Close()
	s, err := runPublisher(ctx, e, log, pf, src, duration, "replay")
	if err != nil {
		return fail(e, c, err), true
	}
	st := src.Stats()
	s.Warnings = append(s.Warnings, exchangeWarnings(&st)...)
	s.Warnings = append(s.Warnings, unheard(&s, pf.waitSubs)...)
	out := e.stdout
	if asJSON {
		out = e.stderr
	}
	summaryBreak(e, out)
	fmt.Fprintf(out, "replay: %s ITCH messages read from %s\n", commas(st.Messages), strings.Join(files, ", "))
	printExchange(out, &st, src.TopSymbols(10), loc)
	printPubHuman(out, &s)
	if asJSON {
		writeJSON(e.stdout, struct {
			summary
			Exchange exchange.Stats `json:"exchange"`
		}{s, st})
	}
	return exitOK, true
}

// inspectExchange is bbox inspect for ITCH files and pcaps: per-type
// counts, busiest symbols, and for captures the flows and their gaps.
func inspectExchange(ctx context.Context, e *env, c *command, files []string, asJSON bool, top int, tz string) (int, bool) {
	ins, ok, err := exchangeInputs(files)
	if !ok {
		return 0, false
	}
	if err != nil {
		return fail(e, c, err), true
	}
	_, loc, err := feedTime("", tz)
	if err != nil {
		return usageErr(e, c, "%v", err), true
	}
	src, err := exchange.NewSource(exchange.Config{Inputs: ins, Loc: loc})
	if err != nil {
		return fail(e, c, err), true
	}
	defer src.Close()
	var b feed.Batch
	for err == nil {
		b.Reset()
		err = src.Next(ctx, &b)
	}
	if !errors.Is(err, io.EOF) {
		return fail(e, c, err), true
	}
	st := src.Stats()
	tops := src.TopSymbols(top)
	var fileBytes int64
	for _, in := range ins {
		if fi, err := os.Stat(in.Path); err == nil {
			fileBytes += fi.Size()
		}
	}
	out := e.stdout
	if asJSON {
		out = e.stderr
	}
	fmt.Fprintf(out, "%s: %s, %s ITCH 5.0 messages, %s bytes of them, %s symbols\n", strings.Join(files, ", "), ins[0].Kind,
		commas(st.Messages), commas(st.Bytes), commas(int64(st.Symbols)))
	printExchange(out, &st, tops, loc)
	if asJSON {
		writeJSON(e.stdout, struct {
			Command         string              `json:"command"`
			Format          string              `json:"format"`
			Records         int64               `json:"records"`
			Symbols         int                 `json:"symbols"`
			FirstTS         int64               `json:"first_ts"`
			LastTS          int64               `json:"last_ts"`
			Bytes           int64               `json:"bytes"`
			CompressedBytes int64               `json:"compressed_bytes"`
			Chunks          int64               `json:"chunks"`
			TopSymbols      []exchange.SymCount `json:"top_symbols"`
			Exchange        exchange.Stats      `json:"exchange"`
		}{"inspect", string(ins[0].Kind), st.Records, st.Symbols, st.FirstTS, st.LastTS, st.Bytes, fileBytes, 0, tops, st})
	}
	if st.Bad() > 0 || (st.Capture != nil && st.Capture.Lost > 0) {
		fmt.Fprintf(e.stderr, "bbox inspect: %s\n", strings.Join(exchangeWarnings(&st), "; "))
		return exitError, true
	}
	return exitOK, true
}

// genExchange is bbox gen --format itch|itch.gz|pcap|pcapng.
func genExchange(e *env, c *command, fs *flag.FlagSet, format string) int {
	out := fs.Lookup("out").Value.String()
	var records, seed uint64
	var symbols int
	fmt.Sscan(fs.Lookup("records").Value.String(), &records)
	fmt.Sscan(fs.Lookup("seed").Value.String(), &seed)
	fmt.Sscan(fs.Lookup("symbols").Value.String(), &symbols)
	if symbols > 65535 {
		return usageErr(e, c, "--symbols %d: ITCH stock locates are 16 bits (at most 65535)", symbols)
	}
	day, _, err := feedTime(fs.Lookup("date").Value.String(), fs.Lookup("tz").Value.String())
	if err != nil {
		return usageErr(e, c, "%v", err)
	}
	if fileExists(out) && fs.Lookup("force").Value.String() != "true" {
		return fail(e, c, fmt.Errorf("%s exists: a file is not replaced without --force", out))
	}
	gen := itch.GenConfig{Symbols: symbols, Messages: int(records), Seed: seed}
	t0 := time.Now()
	var msgs, packets int64
	switch format {
	case "itch", "itch.gz":
		msgs, err = exchange.WriteITCH(out, gen, format == "itch.gz")
	case "pcap", "pcapng":
		// An A line and a VLAN-tagged B line carrying the same packets.
		msgs, packets, err = exchange.WritePcap(out, exchange.PcapConfig{Gen: gen, Day: day, Ng: format == "pcapng",
			Flows: []exchange.Flow{{Group: netip.MustParseAddr("233.54.12.1"), Port: 26477},
				{Group: netip.MustParseAddr("233.54.12.2"), Port: 26478, VLAN: 100}}})
	default:
		return usageErr(e, c, "--format %q: want bbc, itch, itch.gz, pcap or pcapng", format)
	}
	if err != nil {
		return fail(e, c, err)
	}
	fmt.Fprintf(e.stdout, "gen: %s ITCH 5.0 messages (every type), %s, seed %d → %s (%s", commas(msgs), plural(symbols, "symbol", "symbols"), seed, out, format)
	if packets > 0 {
		fmt.Fprintf(e.stdout, ", %s MoldUDP64 packets on 233.54.12.1:26477 and VLAN 100 233.54.12.2:26478", commas(packets))
	}
	fmt.Fprintf(e.stdout, ") in %.1fs\n", time.Since(t0).Seconds())
	if fs.Lookup("json").Value.String() == "true" {
		writeJSON(e.stdout, map[string]any{"command": "gen", "format": format, "file": out, "records": msgs, "packets": packets, "symbols": symbols, "seed": seed})
	}
	return exitOK
}
