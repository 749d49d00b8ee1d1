package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Process mode runs each path as its users run it: the sender and the
// receiver are separate processes on this box (bbox pub and bbox sub; the
// lean TCP pair as hidden `bbox bench internal` commands; the libzmq pair
// as a small C program), and each receiver writes its own latency
// histograms to a file this side reads. CPU time comes from each child's
// rusage.

// Paths only process mode runs: libzmq's PUB/SUB from C, one record per
// message and up to 64 (as many as are due) per message.
const (
	PathLibZMQ   Path = "libzmq"
	PathLibZMQ64 Path = "libzmq64"
)

// procEnv is what runProcess starts.
type procEnv struct {
	// Exe is the bbox binary (os.Executable()). Required.
	Exe string
	// ZMQ is the compiled libzmq baseline (buildLibZMQ); "" if it could
	// not be built, which the libzmq paths then report.
	ZMQ string
	// Dir holds the receivers' latency files. "" means a new temporary
	// directory per run, removed after it.
	Dir string
	// CPUs is bbox sub's --cpus ("" : none).
	CPUs string
	// GoMaxProcs is bbox sub's --gomaxprocs (0: not given).
	GoMaxProcs int
	// Log, if set, is where the receiver writes its latency log (bbox and
	// tcp paths), kept after the run; "" means a file in Dir.
	Log string
}

// ProcCPU is the CPU time one child process used, user plus system.
type ProcCPU struct {
	Name    string  `json:"name"` // "pub" or "sub"
	Seconds float64 `json:"cpu_s"`
	// PerMillion is CPU seconds per million records (the records it sent
	// for a sender, received for a receiver): µs per record.
	PerMillion float64 `json:"cpu_s_per_million"`
}

// runProcess runs cfg.Path at cfg.Rate (0: as fast as it goes) for
// cfg.Duration between two child processes. If ctx ends first the
// children are interrupted (SIGINT), report what they measured, and the
// result says Interrupted.
func runProcess(ctx context.Context, cfg LoadConfig, env procEnv) (*LoadResult, error) {
	cfg = cfg.withDefaults()
	if cfg.AtWorker {
		return nil, errors.New("process mode records latency on the subscriber thread only")
	}
	dir := env.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "bbox-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	res := &LoadResult{Config: cfg, Threads: 2, Workers: []Count{}}
	var err error
	switch cfg.Path {
	case PathBBox:
		err = procBBox(ctx, res, env, dir)
	case PathTCP:
		err = procTCP(ctx, res, env, dir)
	case PathLibZMQ, PathLibZMQ64:
		if env.ZMQ == "" {
			return nil, errors.New("the libzmq baseline is not built")
		}
		err = procZMQ(ctx, res, env, dir)
	default:
		return nil, fmt.Errorf("path %s: process mode runs bbox, tcp, libzmq and libzmq64", cfg.Path)
	}
	if err != nil {
		return nil, err
	}
	res.Interrupted = ctx.Err() != nil
	res.interrupted()
	res.checks()
	return res, nil
}

func (e procEnv) logPath(dir, name string) string {
	if e.Log != "" {
		return e.Log
	}
	return filepath.Join(dir, name)
}

func rateArg(r float64) string {
	if r <= 0 {
		return "max"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func fromArg(s Stamp) string {
	if s == FromSource {
		return "schedule"
	}
	return "send"
}

func procBBox(ctx context.Context, res *LoadResult, env procEnv, dir string) error {
	cfg := res.Config
	lat := env.logPath(dir, "bbox-latency.hlog")
	pubArgs := []string{"pub", "--source", "gen", "--rate", rateArg(cfg.Rate), "--duration", cfg.Duration.String(),
		"--size", strconv.Itoa(cfg.Size), "--symbols", strconv.Itoa(cfg.Symbols), "--seed", strconv.FormatUint(cfg.Seed, 10),
		"--wait-subs", "1", "--wait-timeout", "20s", "--json"}
	for range cfg.Shards {
		pubArgs = append(pubArgs, "--bind", "tcp://127.0.0.1:0")
	}
	if cfg.Partitions > 0 {
		pubArgs = append(pubArgs, "--partitions", strconv.Itoa(cfg.Partitions))
	}
	if cfg.Linger > 0 {
		pubArgs = append(pubArgs, "--linger", cfg.Linger.String())
	}
	if cfg.FrameSize > 0 {
		pubArgs = append(pubArgs, "--frame-size", strconv.Itoa(cfg.FrameSize))
	}
	if cfg.Rate <= 0 {
		// As fast as it goes means as fast as the subscriber takes it, as
		// TCP's own flow control gives the plain-TCP baseline: at a fixed
		// rate the publisher drops over its high-water mark, as a live
		// feed's does, and the loss is reported.
		pubArgs = append(pubArgs, "--slow", "block")
	}
	pub, m, err := startChild(ctx, "pub", env.Exe, pubArgs, cfg, regexp.MustCompile(` on (tcp://[^\s,]+(?:, tcp://[^\s,]+)*)`), true)
	if err != nil {
		return err
	}
	sub, _, err := startChild(ctx, "sub", env.Exe, subArgs(cfg, env, strings.Split(m[1], ", "), lat), cfg, nil, false)
	if err != nil {
		pub.kill()
		return err
	}
	var ps struct {
		Published int64   `json:"records_published"`
		Dropped   int64   `json:"records_dropped_slow"`
		Seconds   float64 `json:"seconds"`
	}
	var ss struct {
		Received   int64 `json:"records_received"`
		Lost       int64 `json:"records_lost"`
		Gaps       int64 `json:"gaps"`
		Malformed  int64 `json:"frames_malformed"`
		BeforeJoin int64 `json:"records_before_join"`
		Shards     []struct {
			ID      int   `json:"id"`
			Records int64 `json:"records"`
		} `json:"shards"`
		Workers []Count `json:"workers"`
	}
	perr := pub.wait(&ps)
	sub.finishWithin(cfg.Drain)
	serr := sub.wait(&ss)
	if err := errors.Join(perr, serr); err != nil {
		return err
	}
	res.Published, res.Received, res.Gaps, res.Malformed = ps.Published, ss.Received, ss.Gaps, ss.Malformed
	res.Lost = max(ss.Lost, ps.Published-ss.Received)
	res.Sending = time.Duration(ps.Seconds * float64(time.Second))
	for _, s := range ss.Shards {
		res.Shards = append(res.Shards, Count{ID: s.ID, Records: s.Records})
	}
	res.Workers = append(res.Workers, ss.Workers...)
	res.Threads = 1 + cfg.Shards + cfg.Workers
	if ps.Dropped > 0 {
		res.warn("the publisher dropped %d records for a subscriber over its high-water mark", ps.Dropped)
	}
	if ss.BeforeJoin > 0 {
		res.warn("%d records were published before the subscriber joined", ss.BeforeJoin)
	}
	res.setCPU(pub, sub)
	return res.readLatencyLog(lat)
}

// subArgs is the bbox sub command line of a bbox run: connected to the
// publisher's endpoints eps, writing its latency log to lat.
func subArgs(cfg LoadConfig, env procEnv, eps []string, lat string) []string {
	args := []string{"sub", "--connect", strings.Join(eps, ","), "--exit-on-eos", "--json", "--workers", strconv.Itoa(cfg.Workers),
		"--latency-out", lat, "--latency-from", fromArg(cfg.From), "--latency-warmup", cfg.Warmup.String(),
		"--latency-interval", cfg.Interval.String()}
	if env.CPUs != "" {
		args = append(args, "--cpus", env.CPUs)
	}
	if env.GoMaxProcs > 0 {
		args = append(args, "--gomaxprocs", strconv.Itoa(env.GoMaxProcs))
	}
	if idle, _ := cfg.Idle.Name(); idle != "park" {
		args = append(args, "--idle", idle) // Validate refused a strategy without a name
	}
	return args
}

func procTCP(ctx context.Context, res *LoadResult, env procEnv, dir string) error {
	cfg := res.Config
	lat := env.logPath(dir, "tcp-latency.hlog")
	recv, m, err := startChild(ctx, "sub", env.Exe, halfArgs("tcp-recv", halfSpec{Recv: LeanRecvConfig{Out: lat, From: cfg.From,
		Warmup: cfg.Warmup, Interval: cfg.Interval}}), cfg, regexp.MustCompile(`^listening (\S+)$`), false)
	if err != nil {
		return err
	}
	send, _, err := startChild(ctx, "pub", env.Exe, halfArgs("tcp-send", halfSpec{Addr: m[1], Rate: cfg.Rate, Duration: cfg.Duration,
		Size: cfg.Size, Symbols: cfg.Symbols, Seed: cfg.Seed}), cfg, nil, false)
	if err != nil {
		recv.kill()
		return err
	}
	if err := res.finishBaseline(send, recv); err != nil {
		return err
	}
	return res.readLatencyLog(lat)
}

// finishBaseline waits for a baseline's sender, gives its receiver the
// drain time, and takes both summaries (records_published and seconds,
// records_received) and CPU into res.
func (res *LoadResult) finishBaseline(send, recv *child) error {
	var ps struct {
		Published int64   `json:"records_published"`
		Seconds   float64 `json:"seconds"`
	}
	var rs struct {
		Received int64 `json:"records_received"`
	}
	serr := send.wait(&ps)
	recv.finishWithin(res.Config.Drain)
	if err := errors.Join(serr, recv.wait(&rs)); err != nil {
		return err
	}
	res.fillBaseline(ps.Published, rs.Received, ps.Seconds)
	res.setCPU(send, recv)
	return nil
}

func procZMQ(ctx context.Context, res *LoadResult, env procEnv, dir string) error {
	cfg := res.Config
	batch := "1"
	if cfg.Path == PathLibZMQ64 {
		batch = "64"
	}
	out := filepath.Join(dir, string(cfg.Path)+".hist")
	pub, m, err := startChild(ctx, "pub", env.ZMQ, []string{"pub", rateArg(cfg.Rate), strconv.FormatInt(int64(cfg.Duration), 10),
		strconv.Itoa(cfg.Size), batch}, cfg, regexp.MustCompile(`^endpoint (\S+)$`), false)
	if err != nil {
		return err
	}
	sub, _, err := startChild(ctx, "sub", env.ZMQ, []string{"sub", m[1], strconv.FormatInt(int64(cfg.Warmup), 10),
		strconv.Itoa(cfg.Size), out}, cfg, nil, false)
	if err != nil {
		pub.kill()
		return err
	}
	if err := res.finishBaseline(pub, sub); err != nil {
		return err
	}
	main, warm, err := readBucketFile(out)
	if err != nil {
		return err
	}
	res.Hist, res.WarmupHist = main, warm
	return nil
}

func (r *LoadResult) fillBaseline(published, received int64, seconds float64) {
	r.Published, r.Received = published, received
	r.Lost = max(published-received, 0)
	r.Sending = time.Duration(seconds * float64(time.Second))
	r.Shards = []Count{{ID: 0, Records: received}}
}

func (r *LoadResult) setCPU(sender, receiver *child) {
	per := func(s float64, n int64) float64 {
		if n == 0 {
			return 0
		}
		return s / float64(n) * 1e6
	}
	r.CPU = []ProcCPU{
		{Name: "pub", Seconds: sender.cpu, PerMillion: per(sender.cpu, r.Published)},
		{Name: "sub", Seconds: receiver.cpu, PerMillion: per(receiver.cpu, r.Received)},
	}
}

// readLatencyLog reads a receiver's latency log (WriteLatencyLog): its
// intervals become r.Intervals, its "total" and "warmup" histograms
// r.Hist and r.WarmupHist.
func (r *LoadResult) readLatencyLog(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("the subscriber's latency log: %w", err)
	}
	defer f.Close()
	hs, err := readIntervalLog(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.Hist, r.WarmupHist = nil, NewHistogram()
	var ivs []*hdrhistogram.Histogram
	for _, h := range hs {
		switch h.Tag() {
		case tagTotal:
			r.Hist = h
		case tagWarmup:
			r.WarmupHist = h
		default:
			ivs = append(ivs, h)
		}
	}
	if r.Hist == nil {
		return fmt.Errorf("%s: no total histogram (the subscriber did not finish its log)", path)
	}
	r.Intervals = intervalsOf(ivs)
	return nil
}

// intervalsOf turns a receiver's interval histograms into interval stats
// relative to the first one that holds a value, leaving out the empty
// ones before it (the receiver waiting for the sender) and after the last.
func intervalsOf(hs []*hdrhistogram.Histogram) []IntervalStat {
	first, last := -1, -1
	for i, h := range hs {
		if h.TotalCount() > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	base := hs[first].StartTimeMs()
	var out []IntervalStat
	for _, h := range hs[first : last+1] {
		out = append(out, IntervalStat{Start: float64(h.StartTimeMs()-base) / 1e3, End: float64(h.EndTimeMs()-base) / 1e3,
			Received: h.TotalCount(), Latency: Summarize(h), SendUnknown: true})
	}
	return out
}

// readBucketFile reads the C baseline's "m|w VALUE COUNT" lines.
func readBucketFile(path string) (main, warm *hdrhistogram.Histogram, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("the libzmq subscriber's histogram: %w", err)
	}
	return parseBuckets(path, data)
}

// parseBuckets parses "m|w VALUE COUNT" lines; name is for errors.
func parseBuckets(path string, data []byte) (main, warm *hdrhistogram.Histogram, err error) {
	main, warm = NewHistogram(), NewHistogram()
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		var v, n int64
		if len(f) == 3 {
			v, err = strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				n, err = strconv.ParseInt(f[2], 10, 64)
			}
		}
		if len(f) != 3 || err != nil || (f[0] != "m" && f[0] != "w") || n < 0 {
			return nil, nil, fmt.Errorf("%s line %d: want \"m|w VALUE COUNT\", got %q", path, i+1, line)
		}
		h := main
		if f[0] == "w" {
			h = warm
		}
		h.RecordValues(min(max(v, minValue), maxValue), n)
	}
	return main, warm, nil
}

// child is one process of a process-mode run.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdout bytes.Buffer // every line after the one that said it was ready
	tail   []string     // its last stderr lines, for errors
	mu     sync.Mutex
	done   chan struct{} // both pipes read to the end
	stop   func() bool
	cpu    float64
}

// startChild starts exe with args and, if ready is set, waits until a line
// of its stdout (stderr with onStderr) matches it, returning the match.
// Children run in their own process group, so a terminal's Ctrl-C reaches
// only bench: ctx ending then interrupts (SIGINT) the sender alone, which
// stops and ends its stream, and the receiver drains what was sent and
// reports it. A child still running well past the run's length is killed.
func startChild(ctx context.Context, name, exe string, args []string, cfg LoadConfig, ready *regexp.Regexp, onStderr bool) (*child, []string, error) {
	c := &child{name: name, cmd: exec.Command(exe, args...), done: make(chan struct{})}
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.cmd.Env = append(os.Environ(), "GOTRACEBACK=single")
	outp, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	errp, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	cfg.Logf("bench: starting %s %s", filepath.Base(exe), strings.Join(args, " "))
	if err := c.cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", name, err)
	}
	interrupt := func() { c.cmd.Process.Signal(os.Interrupt) }
	if name != "pub" {
		// A receiver gets the drain time to see the sender's end first.
		interrupt = func() { time.AfterFunc(cfg.Drain, func() { c.cmd.Process.Signal(os.Interrupt) }) }
	}
	c.stop = context.AfterFunc(ctx, interrupt)
	hard := time.AfterFunc(cfg.Duration+cfg.Drain+30*time.Second, func() { c.cmd.Process.Kill() })
	matched := make(chan []string, 1)
	var wg sync.WaitGroup
	scan := func(r io.Reader, isErr bool) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		waiting := ready != nil && isErr == onStderr
		for sc.Scan() {
			line := sc.Text()
			if waiting {
				if m := ready.FindStringSubmatch(line); m != nil {
					waiting = false
					matched <- m
					if !isErr {
						continue
					}
				}
			}
			c.mu.Lock()
			if isErr {
				c.tail = append(c.tail, line)
				if len(c.tail) > 20 {
					c.tail = c.tail[1:]
				}
			} else {
				c.stdout.WriteString(line + "\n")
			}
			c.mu.Unlock()
			if isErr {
				cfg.Logf("  %s: %s", name, line)
			}
		}
		io.Copy(io.Discard, r)
	}
	wg.Add(2)
	go scan(outp, false)
	go scan(errp, true)
	go func() {
		wg.Wait()
		hard.Stop()
		close(c.done)
	}()
	if ready == nil {
		return c, nil, nil
	}
	select {
	case m := <-matched:
		return c, m, nil
	case <-c.done:
		err := c.wait(nil)
		if err == nil {
			err = fmt.Errorf("%s ended before it was ready", name)
		}
		return nil, nil, err
	case <-time.After(20 * time.Second):
		c.kill()
		return nil, nil, fmt.Errorf("%s was not ready within 20s: %s", name, c.tailText())
	}
}

// finishWithin gives a receiver whose sender has exited d to see the end
// of the stream (a subscriber the publisher cut off never will), then
// interrupts it so it reports what it received, and kills it 10s later.
func (c *child) finishWithin(d time.Duration) {
	t1 := time.AfterFunc(d, func() { c.cmd.Process.Signal(os.Interrupt) })
	t2 := time.AfterFunc(d+10*time.Second, func() { c.cmd.Process.Kill() })
	go func() {
		<-c.done
		t1.Stop()
		t2.Stop()
	}()
}

func (c *child) tailText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.tail, " | ")
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	c.wait(nil)
}

// wait waits for the child, reads its CPU time and decodes the last line
// of its stdout into v (nil: not wanted).
func (c *child) wait(v any) error {
	<-c.done
	err := c.cmd.Wait()
	c.stop()
	if st := c.cmd.ProcessState; st != nil {
		c.cpu = (st.UserTime() + st.SystemTime()).Seconds()
	}
	if err != nil {
		return fmt.Errorf("%s (%s): %v: %s", c.name, filepath.Base(c.cmd.Path), err, c.tailText())
	}
	if v == nil {
		return nil
	}
	out := bytes.TrimSpace(c.stdout.Bytes())
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("%s: its summary %q: %v", c.name, short(string(out), 80), err)
	}
	return nil
}
