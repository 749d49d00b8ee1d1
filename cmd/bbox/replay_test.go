package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/bench"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
)

// inspectJSON mirrors the bbox inspect --json keys the tests check.
type inspectJSON struct {
	Records         int64  `json:"records"`
	Symbols         int    `json:"symbols"`
	FirstTS         int64  `json:"first_ts"`
	LastTS          int64  `json:"last_ts"`
	Bytes           int64  `json:"bytes"`
	CompressedBytes int64  `json:"compressed_bytes"`
	Chunks          int    `json:"chunks"`
	Health          string `json:"health"`
	Checksum        string `json:"checksum"`
	Sequences       struct {
		Sequenced  bool  `json:"sequenced"`
		Streams    int   `json:"streams"`
		Gaps       int64 `json:"gaps"`
		OutOfOrder int64 `json:"out_of_order"`
		JoinedLate int64 `json:"joined_late"`
	} `json:"sequences"`
	RatePerMinute struct {
		Minutes []int64 `json:"minutes"`
	} `json:"rate_per_minute"`
}

// runIn runs bbox in process and returns the exit code and both streams.
func runIn(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	out = strings.TrimRight(out, "\n")
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), v); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, out)
	}
}

// TestCaptureRoundTrip: gen → replay --speed max → record → inspect keeps
// the record count and a checksum over (topic, sequence, payload).
//
// A generated file has no sequences: the publisher assigns them when it
// replays (contiguous from 1 per partition, partition = FNV-1a(topic) mod
// partitions). So the expected checksum is computed from the generated
// file by doing exactly that assignment, in file order, and compared with
// the checksum bbox inspect reports for the recording. The checksum is
// order-independent (two shard threads interleave differently each run),
// so it is complemented by inspect's sequence check: every (publisher,
// epoch, partition) stream in the recording is contiguous from 1. Together
// they say every record arrived once, unchanged, with the sequence its
// position in its partition demands. The test also checks that SourceTS is
// the original and SendTS was stamped fresh by the replay.
func TestCaptureRoundTrip(t *testing.T) {
	dir := t.TempDir()
	day, rec := filepath.Join(dir, "day.bbc"), filepath.Join(dir, "rec.bbc")
	const n = 200000
	code, out, errs := runIn("gen", "--out", day, "--records", fmt.Sprint(n), "--symbols", "2000", "--seed", "7", "--json")
	if code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	var g feed.GenReport
	lastJSON(t, out, &g)
	if g.Records != n {
		t.Fatalf("gen wrote %d records", g.Records)
	}
	ports := freePorts(t, 2)
	eps := tcpEndpoints(ports...)
	recP := startBBox(t, "record", "record", "--connect", eps, "--out", rec, "--exit-on-eos", "--json")
	started := time.Now().UnixNano()
	code, rp := runBBox(t, 60*time.Second, "replay", day, "--bind", eps, "--partitions", "8", "--speed", "max", "--wait-subs", "1", "--json")
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, rp.stderr.String())
	}
	var rs struct {
		RecordsPublished int64 `json:"records_published"`
		Replay           struct {
			Records int64 `json:"records"`
		} `json:"replay"`
	}
	rp.summary(&rs)
	if rs.RecordsPublished != n || rs.Replay.Records != n {
		t.Fatalf("replay published %d, read %d records, want %d", rs.RecordsPublished, rs.Replay.Records, n)
	}
	if code := recP.wait(30 * time.Second); code != 0 {
		t.Fatalf("record: exit %d", code)
	}
	var recSum struct {
		RecordsReceived int64 `json:"records_received"`
		RecordsLost     int64 `json:"records_lost"`
	}
	recP.summary(&recSum)
	if recSum.RecordsReceived != n || recSum.RecordsLost != 0 {
		t.Fatalf("record received %d, lost %d", recSum.RecordsReceived, recSum.RecordsLost)
	}

	code, out, errs = runIn("inspect", rec, "--json")
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errs)
	}
	var got inspectJSON
	lastJSON(t, out, &got)

	// The expected checksum: the generated records with the sequences the
	// replaying publisher must have given them.
	gr, err := replay.Open(day)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	router, _ := shard.NewRouter(2, 8, nil)
	next := map[uint32]uint64{}
	srcTS := map[[2]uint64]int64{}
	var want replay.Digest
	var c replay.Chunk
	var recs []feed.Record
	for _, info := range gr.Chunks() {
		if err := gr.ReadChunk(info, &c); err != nil {
			t.Fatal(err)
		}
		recs, _ = c.Decode(recs[:0])
		for i := range recs {
			p := router.Partition(recs[i].Topic)
			next[p]++
			recs[i].Seq = next[p]
			srcTS[[2]uint64{uint64(p), next[p]}] = recs[i].SourceTS
			want.Add(&recs[i])
		}
	}
	if got.Records != n || got.Checksum != fmt.Sprintf("%016x", want.Sum()) {
		t.Fatalf("recording: %d records, checksum %s; want %d records, checksum %016x", got.Records, got.Checksum, n, want.Sum())
	}
	sq := got.Sequences
	if !sq.Sequenced || sq.Streams != 8 || sq.Gaps != 0 || sq.OutOfOrder != 0 || sq.JoinedLate != 0 || got.Health != "ok" {
		t.Fatalf("recording: health %s, sequences %+v; want 8 contiguous streams from 1", got.Health, sq)
	}
	rr, err := replay.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	for _, info := range rr.Chunks() {
		if err := rr.ReadChunk(info, &c); err != nil {
			t.Fatal(err)
		}
		recs, _ = c.Decode(recs[:0])
		for i := range recs {
			r := &recs[i]
			if ts := srcTS[[2]uint64{uint64(r.Partition), r.Seq}]; r.SourceTS != ts || r.SendTS < started {
				t.Fatalf("record %s: SourceTS %d (want the original %d), SendTS %d (want fresh, after %d)", r, r.SourceTS, ts, r.SendTS, started)
			}
		}
	}
}

// TestRecordSIGKILL kills bbox record with SIGKILL at random moments while
// a feed flows; each file must read back up to its last complete chunk:
// every chunk the scan finds decodes, anything after it is reported as a
// torn tail reaching the end of the file, and the records are a gap-free
// prefix of each stream.
func TestRecordSIGKILL(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 1)
	ep := tcpEndpoints(port...)
	startBBox(t, "pub", "pub", "--bind", ep, "--source", "gen", "--rate", "100000", "--duration", "60s", "--slow", "block")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := 0; i < 5; i++ {
		out := filepath.Join(dir, fmt.Sprintf("kill%d.bbc", i))
		p := startBBox(t, "record", "record", "--connect", ep, "--out", out, "--chunk-size", "16KiB", "--flush", "20ms")
		waitFor(t, 10*time.Second, "record to create its file", func() bool { return fileExists(out) })
		delay := time.Duration(100+rng.IntN(600)) * time.Millisecond
		time.Sleep(delay)
		syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		p.wait(10 * time.Second)

		r, err := replay.Open(out)
		if err != nil {
			t.Fatalf("kill after %v: %v", delay, err)
		}
		rep, err := replay.Inspect([]*replay.Reader{r}, 0)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range rep.Problems {
			if pr.Kind != replay.KindTorn || pr.Offset+pr.Bytes != rep.CompressedBytes {
				t.Fatalf("kill after %v: problem %+v is not a torn tail at the end of the file", delay, pr)
			}
		}
		var chunkRecs int64
		for _, c := range r.Chunks() {
			chunkRecs += int64(c.Records)
		}
		if rep.Records != chunkRecs || rep.ChunksOK != len(r.Chunks()) || rep.Sequences.Gaps != 0 || rep.Sequences.OutOfOrder != 0 {
			t.Fatalf("kill after %v: %d records of %d in %d chunks (%d ok), sequences %+v", delay, rep.Records, chunkRecs, len(r.Chunks()), rep.ChunksOK, rep.Sequences)
		}
		t.Logf("killed after %v: %d complete chunks, %d records, health %s, indexed %v", delay, len(r.Chunks()), rep.Records, rep.Health, r.Indexed())
	}
}

// TestRecordSignals: SIGINT and SIGTERM make bbox record finish its
// chunk and close every file with its index (exit 0), rotating by time
// and by size on the way.
func TestRecordSignals(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 1)
	ep := tcpEndpoints(port...)
	startBBox(t, "pub", "pub", "--bind", ep, "--source", "gen", "--rate", "100000", "--duration", "60s", "--slow", "block")
	for _, c := range []struct {
		sig    syscall.Signal
		rotate string
	}{{syscall.SIGINT, "250ms"}, {syscall.SIGTERM, "256KiB"}} {
		out := filepath.Join(dir, c.sig.String()+".bbc")
		p := startBBox(t, "record", "record", "--connect", ep, "--out", out, "--rotate", c.rotate, "--json")
		first := replay.RotatedName(out, 0)
		waitFor(t, 10*time.Second, "a rotation", func() bool { return fileExists(replay.RotatedName(out, 1)) })
		time.Sleep(100 * time.Millisecond)
		syscall.Kill(p.cmd.Process.Pid, c.sig)
		if code := p.wait(20 * time.Second); code != 0 {
			t.Fatalf("%v: record exit %d", c.sig, code)
		}
		var s report.RecordSummary
		p.summary(&s)
		var files []*replay.Reader
		for _, name := range s.Recording.Files {
			r, err := replay.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !r.Indexed() || r.Err() != nil {
				t.Fatalf("%v: %s not closed cleanly: indexed %v, %v", c.sig, name, r.Indexed(), r.Err())
			}
			files = append(files, r)
		}
		rep, err := replay.Inspect(files, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 2 || s.Recording.Files[0] != first || rep.Records != s.RecordsReceived || rep.Records == 0 || rep.Sequences.Gaps != 0 {
			t.Fatalf("%v: %d files, %d records in them, %d received, sequences %+v", c.sig, len(files), rep.Records, s.RecordsReceived, rep.Sequences)
		}
		if s.Verdict == verdict.ExactlyOnce || !strings.Contains(s.VerdictDetail, "the run was interrupted") {
			t.Fatalf("%v: verdict %q (%s): a recording stopped by a signal is not complete", c.sig, s.Verdict, s.VerdictDetail)
		}
		t.Logf("%v with --rotate %s: %d files, %d records, all closed cleanly", c.sig, c.rotate, len(files), rep.Records)
	}
}

// TestCaptureBadInput: foreign, truncated and bit-flipped files get an
// error naming the file and offset (exit 1); --skip-corrupt replays the
// rest and reports what it skipped.
func TestCaptureBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bbc")
	if code, _, errs := runIn("gen", "--out", good, "--records", "20000", "--symbols", "200", "--chunk-size", "64KiB"); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	data, _ := os.ReadFile(good)
	r, err := replay.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	chunks := r.Chunks()
	r.Close()
	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte("this is not a capture\n"), 0o644)
	torn := filepath.Join(dir, "torn.bbc")
	cut := chunks[3].Offset + 100
	os.WriteFile(torn, data[:cut], 0o644)
	flipped := filepath.Join(dir, "flipped.bbc")
	fb := bytes.Clone(data)
	flipAt := chunks[1].Offset + chunks[1].Size() - 10
	fb[flipAt] ^= 0x04
	os.WriteFile(flipped, fb, 0o644)

	bind := "tcp://127.0.0.1:0"
	f := func(wantCode int, wantIn []string, args ...string) string {
		t.Helper()
		code, out, errs := runIn(args...)
		if code != wantCode {
			t.Fatalf("bbox %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, wantCode, out, errs)
		}
		for _, w := range wantIn {
			if !strings.Contains(out+errs, w) {
				t.Fatalf("bbox %s: output lacks %q:\n%s%s", strings.Join(args, " "), w, out, errs)
			}
		}
		return out
	}
	f(1, []string{foreign, "offset 0", "not a bbox capture file"}, "replay", foreign, "--bind", bind, "--speed", "max")
	f(1, []string{foreign, "offset 0"}, "inspect", foreign)
	f(1, []string{torn, fmt.Sprintf("offset %d", chunks[3].Offset), "torn", "--skip-corrupt"}, "replay", torn, "--bind", bind, "--speed", "max")
	f(1, []string{torn, fmt.Sprintf("offset %d", chunks[3].Offset), "torn"}, "inspect", torn)
	f(1, []string{flipped, "offset", "checksum"}, "replay", flipped, "--bind", bind, "--speed", "max")
	f(1, []string{flipped, "checksum"}, "inspect", flipped)

	var rs struct {
		RecordsPublished int64 `json:"records_published"`
		Replay           struct {
			SkippedCorrupt int64            `json:"skipped_corrupt_records"`
			CorruptChunks  int64            `json:"corrupt_chunks"`
			SkippedBytes   int64            `json:"skipped_bytes"`
			Problems       []replay.Problem `json:"problems"`
		} `json:"replay"`
	}
	out := f(0, []string{"skipped", "torn"}, "replay", torn, "--bind", bind, "--speed", "max", "--skip-corrupt", "--json")
	lastJSON(t, out, &rs)
	want := int64(chunks[0].Records + chunks[1].Records + chunks[2].Records)
	if rs.RecordsPublished != want || rs.Replay.SkippedBytes != cut-chunks[3].Offset || len(rs.Replay.Problems) != 1 {
		t.Fatalf("torn --skip-corrupt: published %d (want %d), replay %+v", rs.RecordsPublished, want, rs.Replay)
	}
	out = f(0, []string{"skipped", "checksum"}, "replay", flipped, "--bind", bind, "--speed", "max", "--skip-corrupt", "--json")
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != 20000-int64(chunks[1].Records) || rs.Replay.CorruptChunks != 1 || rs.Replay.SkippedCorrupt != int64(chunks[1].Records) {
		t.Fatalf("flipped --skip-corrupt: published %d, replay %+v", rs.RecordsPublished, rs.Replay)
	}
}

// TestGenDeterministic: the same flags and seed give the same file byte
// for byte; another seed gives another day.
func TestGenDeterministic(t *testing.T) {
	dir := t.TempDir()
	gen := func(name, seed string) []byte {
		p := filepath.Join(dir, name)
		if code, _, errs := runIn("gen", "--out", p, "--records", "30000", "--symbols", "500", "--seed", seed); code != 0 {
			t.Fatalf("gen: %s", errs)
		}
		b, _ := os.ReadFile(p)
		return b
	}
	a, b, c := gen("a.bbc", "3"), gen("b.bbc", "3"), gen("c.bbc", "4")
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with seed 3 differ")
	}
	if bytes.Equal(a, c) {
		t.Fatal("seeds 3 and 4 gave the same file")
	}
}

// TestReplayFilters: --from/--to (time of day in the file's zone) and
// --symbols select records; the summary counts what was skipped.
func TestReplayFilters(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "day.bbc")
	if code, _, errs := runIn("gen", "--out", day, "--records", "50000", "--symbols", "100", "--chunk-size", "64KiB"); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	code, out, errs := runIn("inspect", day, "--json", "--top", "1")
	if code != 0 {
		t.Fatal(errs)
	}
	var rep struct {
		inspectJSON
		Top []replay.TopicCount `json:"top_symbols"`
	}
	lastJSON(t, out, &rep)
	// 10:00–11:00 New York time on the generated day (which opens 09:30).
	var inHour int64
	for i, m := range rep.RatePerMinute.Minutes {
		if i >= 30 && i < 90 {
			inHour += m
		}
	}
	var rs struct {
		RecordsPublished int64 `json:"records_published"`
		Replay           struct {
			SkippedWindow  int64 `json:"skipped_window"`
			SkippedSymbols int64 `json:"skipped_symbols"`
		} `json:"replay"`
	}
	code, out, errs = runIn("replay", day, "--bind", "tcp://127.0.0.1:0", "--speed", "max", "--from", "10:00", "--to", "11:00", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != inHour || rs.RecordsPublished+rs.Replay.SkippedWindow != 50000 {
		t.Fatalf("10:00-11:00: published %d (want %d), skipped %d", rs.RecordsPublished, inHour, rs.Replay.SkippedWindow)
	}
	code, out, errs = runIn("replay", day, "--bind", "tcp://127.0.0.1:0", "--rate", "max", "--symbols", rep.Top[0].Topic, "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	lastJSON(t, out, &rs)
	if rs.RecordsPublished != rep.Top[0].Records || rs.Replay.SkippedSymbols != 50000-rep.Top[0].Records {
		t.Fatalf("--symbols %s: published %d (want %d), skipped %d", rep.Top[0].Topic, rs.RecordsPublished, rep.Top[0].Records, rs.Replay.SkippedSymbols)
	}
	for _, bad := range [][]string{
		{"--speed", "fast"}, {"--speed", "2x", "--rate", "1000"}, {"--from", "25:00"}, {"--loop", "-1"},
	} {
		args := append([]string{"replay", day, "--bind", "tcp://127.0.0.1:0"}, bad...)
		if code, _, _ := runIn(args...); code != exitUsage {
			t.Fatalf("bbox %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
}

// memSource replays records held in memory: the engine's own path with
// no file and no decompression, to compare replay against.
type memSource struct {
	recs []feed.Record
	i    int
}

func (m *memSource) Next(ctx context.Context, b *feed.Batch) error {
	if m.i >= len(m.recs) {
		return io.EOF
	}
	n := min(1024, len(m.recs)-m.i)
	b.Recs = append(b.Recs, m.recs[m.i:m.i+n]...)
	m.i += n
	return nil
}

func (m *memSource) Pending() bool { return m.i < len(m.recs) }

// loopSource cycles through bench.Records, as bench's BenchmarkThroughput does.
type loopSource struct {
	recs []feed.Record
	i    int
	left int64
}

func (l *loopSource) Next(ctx context.Context, b *feed.Batch) error {
	if l.left <= 0 {
		return io.EOF
	}
	for k := min(512, l.left); k > 0; k-- {
		b.Recs = append(b.Recs, l.recs[l.i])
		l.i = (l.i + 1) % len(l.recs)
		l.left--
	}
	return nil
}

func (l *loopSource) Pending() bool { return l.left > 0 }

// countSink counts delivered records.
type countSink struct{ n atomic.Int64 }

func (c *countSink) Deliver(_ int, b *feed.Batch) {
	c.n.Add(int64(b.Len()))
	feed.PutBatch(b)
}

// pipelineRate publishes src through one shard over loopback TCP to a
// subscriber thread, as bench's BenchmarkThroughput does, and returns
// records per second from the first publish to the last delivery.
func pipelineRate(b *testing.B, src feed.Source, n int64) float64 {
	// Lossless: the publisher waits for the subscriber instead of dropping
	// at its high-water mark, so every run delivers all n records at the
	// rate the engine takes them.
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Heartbeat: -1, Lossless: true})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sink := &countSink{}
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints()}, sink)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sub.Run(ctx)
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	defer func() {
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		fmt.Printf("  cpu %.2f cores, %.0f ns of CPU per record\n", cpu.Seconds()/time.Since(start).Seconds(), float64(cpu.Nanoseconds())/float64(n))
	}()
	if err := pub.Run(ctx, src); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for sink.n.Load() < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	if got := sink.n.Load(); got != n {
		b.Fatalf("%d of %d records arrived", got, n)
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkReplayThroughput compares, in one run, replay --speed max of a
// bbox gen day through the engine with the engine's own end-to-end
// throughput (bench.Records looped from memory, as bench's BenchmarkThroughput
// does) and with the same day's records served from memory, all through
// the same publisher → TCP → subscriber thread path. It
// reports the ratios and the day's compression ratio.
//
//	go test -run XXX -bench ReplayThroughput ./cmd/bbox
func BenchmarkReplayThroughput(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "day.bbc")
	var out, errb bytes.Buffer
	if code := run(context.Background(), &env{stdout: &out, stderr: &errb}, []string{"gen", "--out", path, "--records", fmt.Sprint(n), "--json"}); code != 0 {
		b.Fatalf("gen: %s", errb.String())
	}
	var g feed.GenReport
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())[strings.LastIndex(strings.TrimSpace(out.String()), "\n")+1:]), &g); err != nil {
		b.Fatal(err)
	}
	r, err := replay.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	// The same day decoded into memory, built only for its own measure so
	// it does not weigh on the garbage collector during the others.
	dayInMemory := func() []feed.Record {
		var mem []feed.Record
		for _, info := range r.Chunks() {
			c := new(replay.Chunk)
			if err := r.ReadChunk(info, c); err != nil {
				b.Fatal(err)
			}
			mem, _ = c.Decode(mem)
		}
		return mem
	}
	engineRecs := bench.Records(4096, 100, 1)
	decoders, _ := strconv.Atoi(os.Getenv("BBOX_BENCH_DECODERS")) // 0: the default
	prefetch, _ := strconv.Atoi(os.Getenv("BBOX_BENCH_PREFETCH"))
	measures := []struct {
		name string
		run  func() float64
	}{
		{"engine", func() float64 { return pipelineRate(b, &loopSource{recs: engineRecs, left: n}, n) }},
		// The engine as a user runs it: bbox pub --source gen --rate max.
		{"gen", func() float64 {
			g, err := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: n})
			if err != nil {
				b.Fatal(err)
			}
			return pipelineRate(b, g, n)
		}},
		{"memory", func() float64 { return pipelineRate(b, &memSource{recs: dayInMemory()}, n) }},
		{"replay", func() float64 {
			src, err := replay.NewSource(replay.SourceConfig{Files: []*replay.Reader{r}, Decoders: decoders, Prefetch: prefetch})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			return pipelineRate(b, src, n)
		}},
		{"replay-preload", func() float64 {
			src, err := replay.NewSource(replay.SourceConfig{Files: []*replay.Reader{r}, Preload: true})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			return pipelineRate(b, src, n)
		}},
	}
	rounds := 5
	if v, err := strconv.Atoi(os.Getenv("BBOX_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	// Interleaved rounds, so a noisy neighbour hurts every path alike; the
	// ratios are taken within each round and their medians reported.
	ratios := map[string][]float64{}
	for i := 0; i < b.N*rounds; i++ {
		res := map[string]float64{}
		for _, m := range measures {
			runtime.GC() // each from a collected heap
			res[m.name] = m.run()
		}
		for _, k := range []string{"memory", "replay", "replay-preload"} {
			ratios[k+"/engine"] = append(ratios[k+"/engine"], res[k]/res["engine"])
			ratios[k+"/gen"] = append(ratios[k+"/gen"], res[k]/res["gen"])
			ratios[k+"/memory"] = append(ratios[k+"/memory"], res[k]/res["memory"])
		}
		fmt.Printf("round %d: live gen source %.2fM records/s, ", i, res["gen"]/1e6)
		fmt.Printf("round %d: engine %.2fM records/s, the day from memory %.2fM/s, replay --speed max %.2fM/s, with --preload %.2fM/s\n",
			i, res["engine"]/1e6, res["memory"]/1e6, res["replay"]/1e6, res["replay-preload"]/1e6)
	}
	median := func(v []float64) float64 {
		v = append([]float64(nil), v...)
		sort.Float64s(v)
		return v[len(v)/2]
	}
	for _, k := range []string{"memory/engine", "replay/engine", "replay/memory", "replay/gen", "replay-preload/engine", "replay-preload/memory"} {
		b.ReportMetric(median(ratios[k]), k)
	}
	b.ReportMetric(g.Ratio, "compression")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("median: replay --speed max %.2fx the engine fed by its live synthetic source (bbox pub --source gen --rate max)\n", median(ratios["replay/gen"]))
	fmt.Printf("median over %d rounds: replay --speed max %.2fx the engine (%.2fx the day from memory); with --preload %.2fx the engine (%.2fx from memory); gen data compresses %.2f:1\n",
		len(ratios["replay/engine"]), median(ratios["replay/engine"]), median(ratios["replay/memory"]),
		median(ratios["replay-preload/engine"]), median(ratios["replay-preload/memory"]), g.Ratio)
}

// TestCaptureCLI: help and usage errors of the capture commands (exit 2,
// naming the flag).
func TestCaptureCLI(t *testing.T) {
	f := func(args []string, wantCode int, wantIn string) {
		t.Helper()
		code, out, errs := runIn(args...)
		if code != wantCode || !strings.Contains(out+errs, wantIn) {
			t.Fatalf("bbox %s: exit %d (want %d), output lacks %q?\n%s%s", strings.Join(args, " "), code, wantCode, wantIn, out, errs)
		}
	}
	for _, c := range []string{"gen", "record", "replay", "inspect"} {
		f([]string{"help", c}, exitOK, "Usage: bbox "+c)
		f([]string{c, "--no-such-flag"}, exitUsage, "no-such-flag")
	}
	f([]string{"gen"}, exitUsage, "--out is required")
	f([]string{"gen", "--out", "x", "--tz", "Mars/Olympus"}, exitUsage, "--tz")
	f([]string{"record", "--out", "x"}, exitUsage, "--connect is required")
	f([]string{"record", "--connect", "tcp://127.0.0.1:1", "--out", "x", "--rotate", "soon"}, exitUsage, "--rotate")
	f([]string{"replay", "--bind", "tcp://127.0.0.1:0"}, exitUsage, "capture file")
	f([]string{"replay", "x.bbc"}, exitUsage, "--bind is required")
	f([]string{"replay", filepath.Join(t.TempDir(), "missing.bbc"), "--bind", "tcp://127.0.0.1:0"}, exitError, "missing.bbc")
	f([]string{"inspect"}, exitUsage, "capture file")
}
