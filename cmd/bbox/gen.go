package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/replay"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "write a synthetic market-data day to a capture file (deterministic by seed)",
		usage:   "--out FILE [--records N] [--symbols N] [--seed S] [flags]",
		run:     runGen,
	})
}

// genReport is bbox gen's JSON summary. Its keys mean what they mean in
// bbox inspect --json (CLI.md): symbols is the number of distinct symbols
// in the file, like symbols_in_file; symbols_universe is --symbols, the
// universe the Zipf draw picks from, of which a short day uses only part.
type genReport struct {
	Command         string  `json:"command"`
	File            string  `json:"file"`
	Records         int64   `json:"records"`
	Symbols         int     `json:"symbols"`
	SymbolsInFile   int     `json:"symbols_in_file"`
	SymbolsUniverse int     `json:"symbols_universe"`
	Seed            uint64  `json:"seed"`
	FirstTS         int64   `json:"first_ts"`
	LastTS          int64   `json:"last_ts"`
	Bytes           int64   `json:"bytes"`
	CompressedBytes int64   `json:"compressed_bytes"`
	Ratio           float64 `json:"compression_ratio"`
	Chunks          int64   `json:"chunks"`
	Seconds         float64 `json:"seconds"`
}

func runGen(ctx context.Context, e *env, args []string) int {
	c := commands["gen"]
	fs := newFlags(e, c)
	out := fs.String("out", "", "capture file to write")
	force := fs.Bool("force", false, "replace an existing file (as bbox record, gen replaces nothing without it)")
	records := fs.Int64("records", 1_000_000, "records in the day (--format itch, pcap: order-flow messages; the day adds its system events, a Stock Directory message per symbol and one message of every other type)")
	symbols := fs.Int("symbols", 8000, "distinct symbols (Zipf activity: a few very busy, a long quiet tail)")
	seed := fs.Uint64("seed", 1, "seed: the same flags and seed give the same file, byte for byte")
	size := fs.Int("size", 100, "mean record size on the wire, bytes (sizes follow the ITCH 5.0 message mix)")
	zipf := fs.Float64("zipf", 1.1, "Zipf exponent of symbol activity")
	date := fs.String("date", "2024-01-02", "trading day, YYYY-MM-DD")
	open := fs.String("open", "09:30", "session open, time of day in --tz")
	session := fs.Duration("session", 390*time.Minute, "session length; records follow an intraday curve over it (bursts at the open and the close)")
	tz := fs.String("tz", "America/New_York", "time zone of the day (an IANA name, or Local for this box's): of --date and --open, and stored in the file for inspect and replay --from/--to")
	flat := fs.Bool("flat", false, "spread records evenly over the session instead of the intraday curve")
	chunk := fs.String("chunk-size", "1MiB", "uncompressed bytes of records per chunk")
	level := fs.Int("level", 2, "zstd level: 1 fastest, 2 default, 3 better, 4 best")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line of stdout")
	format := fs.String("format", "bbc", "bbc (bbox capture), itch or itch.gz (NASDAQ ITCH 5.0 file, every type), pcap or pcapng (MoldUDP64 on an A and a VLAN-tagged B line)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(e, c, "unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usageErr(e, c, "--out is required")
	}
	if *records < 1 {
		return usageErr(e, c, "--records %d: want at least 1", *records)
	}
	if *format != "bbc" {
		return genExchange(e, c, fs, *format) // exchange_cmd.go
	}
	if *session <= 0 {
		return usageErr(e, c, "--session %v: want a positive duration", *session)
	}
	zone, err := sourceZone(*tz)
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return usageErr(e, c, "--tz: %v", err)
	}
	start, err := time.ParseInLocation("2006-01-02 15:04", *date+" "+*open, loc)
	if err != nil {
		return usageErr(e, c, "--date/--open: want YYYY-MM-DD and HH:MM (%v)", err)
	}
	chunkSize, err := parseBytes(*chunk)
	if err != nil {
		return usageErr(e, c, "--chunk-size: %v", err)
	}
	gc := feed.GenConfig{Symbols: *symbols, Size: *size, VarySize: true, Seed: *seed, Zipf: *zipf, Records: *records,
		Chunk: 1024, SimStart: start.UnixNano(), SimRate: float64(*records) / session.Seconds()}
	if !*flat {
		gc.SimCurve = feed.IntradayCurve(*session)
	}
	g, err := feed.NewGenerator(gc)
	if err != nil {
		return usageErr(e, c, "%v", err)
	}
	if fileExists(*out) && !*force {
		return fail(e, c, fmt.Errorf("%s exists: a capture is not replaced without --force", *out))
	}
	meta := map[string]string{
		"source": "bbox gen", "seed": strconv.FormatUint(*seed, 10), "symbols": strconv.Itoa(*symbols),
		"records": strconv.FormatInt(*records, 10), "size": strconv.Itoa(*size), "zipf": strconv.FormatFloat(*zipf, 'g', -1, 64),
		"tz": zone, "open": start.Format(time.RFC3339), "session": session.String(), "curve": map[bool]string{true: "flat", false: "intraday"}[*flat],
	}
	// Created is the simulated open, not now: the same flags give the same bytes.
	w, err := replay.Create(*out, replay.WriterConfig{ChunkSize: int(chunkSize), Level: *level, Created: start.UnixNano(), Meta: meta})
	if err != nil {
		return fail(e, c, err)
	}
	log := &logger{w: e.stderr, tty: e.stderrTTY, component: c.name}
	var r rater
	stop := make(chan struct{})
	statusDone := log.statusLoop(stop, func(el time.Duration) string {
		n := g.Generated()
		return fmt.Sprintf("[%2.0fs] %s/%s records  %s rec/s  %s written", el.Seconds(), commas(n), commas(*records),
			human(r.rate(n)), commas(w.Stats().Bytes))
	})
	t0 := time.Now()
	first, last := int64(0), int64(0)
	var b feed.Batch
	for err == nil {
		b.Reset()
		err = g.Next(ctx, &b)
		for i := range b.Recs {
			if first == 0 {
				first = b.Recs[i].SourceTS
			}
			last = b.Recs[i].SourceTS
			if aerr := w.Append(&b.Recs[i]); aerr != nil {
				err = aerr
				break
			}
		}
	}
	close(stop)
	<-statusDone
	cerr := w.Close()
	if err != io.EOF {
		if ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "bbox gen: interrupted after %s of %s records; %s holds them and is complete\n",
				commas(w.Stats().Records), commas(*records), *out)
			return exitError
		}
		return fail(e, c, err)
	}
	if cerr != nil {
		return fail(e, c, cerr)
	}
	st := w.Stats()
	rep := genReport{Command: "gen", File: *out, Records: st.Records, Symbols: st.Topics, SymbolsInFile: st.Topics,
		SymbolsUniverse: *symbols, Seed: *seed, FirstTS: first, LastTS: last,
		Bytes: st.WireBytes, CompressedBytes: st.Bytes, Ratio: float64(st.WireBytes) / float64(st.Bytes), Chunks: st.Chunks,
		Seconds: time.Since(t0).Seconds()}
	hw := e.stdout
	if *asJSON {
		hw = e.stderr
	}
	fmt.Fprintf(hw, "gen: %s of %s (drawn from a universe of %s; seed %d) → %s\n", countOf(rep.Records, "record", ""),
		countOf(int64(rep.SymbolsInFile), "symbol", ""), commas(int64(rep.SymbolsUniverse)), rep.Seed, rep.File)
	fmt.Fprintf(hw, "  day      %s → %s (%s)\n", time.Unix(0, first).In(loc).Format("2006-01-02 15:04:05.000"),
		time.Unix(0, last).In(loc).Format("15:04:05.000 MST"), time.Duration(last-first).Round(time.Second))
	fmt.Fprintf(hw, "  bytes    %s on the wire, %s in the file (%.1f:1) in %s, written in %.1fs\n",
		commas(rep.Bytes), commas(rep.CompressedBytes), rep.Ratio, countOf(rep.Chunks, "chunk", ""), rep.Seconds)
	if *asJSON {
		writeJSON(e.stdout, rep)
	}
	return exitOK
}

// parseBytes reads a size: 1048576, 64KiB, 1MiB, 1GiB (powers of 1024)
// or 64KB, 1MB, 1GB, 1TB (powers of 1000).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	num := s
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			mult, num = u.mult, strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q is not a size (1048576, 64KiB, 1MiB, 1GB)", s)
	}
	return int64(v * float64(mult)), nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
