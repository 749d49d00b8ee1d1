package bench

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/feed"
)

// Tags of the two whole-run histograms at the end of a latency log.
const (
	tagTotal  = "total"
	tagWarmup = "warmup"
)

// LatencyLog writes a receiver's latencies for another process to read:
// an HdrHistogram interval log with one untagged histogram per interval
// while the run goes on, and at Close the whole run's histograms tagged
// "total" (after the warm-up) and "warmup". `bbox sub --latency-out` and
// the lean TCP receiver write one; runProcess reads it. Close must be
// called once; the rest is safe for concurrent use with the Recorder's
// Observe.
type LatencyLog struct {
	rec   *Recorder
	fh    *os.File
	log   *intervalLog
	path  string
	last  time.Time
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	err   error
	close sync.Once
}

// CreateLatencyLog creates path and starts writing rec's intervals every
// interval (0: 1s).
func CreateLatencyLog(path string, rec *Recorder, interval time.Duration, comment string) (*LatencyLog, error) {
	if interval <= 0 {
		interval = time.Second
	}
	fh, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	lw, err := newIntervalLog(fh, now, comment)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	l := &LatencyLog{rec: rec, fh: fh, log: lw, path: path, last: now, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case now := <-t.C:
				l.interval(now)
			}
		}
	}()
	return l, nil
}

func (l *LatencyLog) interval(now time.Time) {
	h := l.rec.Interval()
	h.SetStartTimeMs(l.last.UnixMilli())
	h.SetEndTimeMs(now.UnixMilli())
	h.SetTag("")
	l.last = now
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.log.Write(h); err != nil && l.err == nil {
		l.err = fmt.Errorf("writing %s: %w", l.path, err)
	}
}

// Close writes the last interval and the whole run's histograms. A nil
// LatencyLog (none asked for) closes with nothing to do.
func (l *LatencyLog) Close() error {
	if l == nil {
		return nil
	}
	err := errors.New("latency log closed twice")
	l.close.Do(func() {
		close(l.stop)
		<-l.done
		now := time.Now()
		l.interval(now)
		start := l.rec.startMs()
		for _, t := range []struct {
			tag string
			h   func() error
		}{
			{tagTotal, func() error { return l.writeWhole(l.rec.Merged(), tagTotal, start, now) }},
			{tagWarmup, func() error { return l.writeWhole(l.rec.MergedWarmup(), tagWarmup, start, now) }},
		} {
			if werr := t.h(); werr != nil && l.err == nil {
				l.err = werr
			}
		}
		cerr := l.fh.Close()
		if l.err == nil && cerr != nil {
			l.err = fmt.Errorf("writing %s: %w", l.path, cerr)
		}
		err = l.err
	})
	return err
}

func (l *LatencyLog) writeWhole(h *hdrhistogram.Histogram, tag string, start int64, end time.Time) error {
	h.SetStartTimeMs(start)
	h.SetEndTimeMs(end.UnixMilli())
	h.SetTag(tag)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.log.Write(h); err != nil {
		return fmt.Errorf("writing %s: %w", l.path, err)
	}
	return nil
}

// startMs is when the recorder was made, for the whole-run histograms.
func (r *Recorder) startMs() int64 { return r.created.UnixMilli() }

// LeanConfig is one side of the lean TCP baseline.
type LeanConfig struct {
	Rate     float64        // records per second; 0: as fast as it goes
	Duration time.Duration  // how long to send; required
	Gen      feed.GenConfig // the records' shape (zero values: feed's defaults); Rate and Cycle are set here
}

// Validate checks c.
func (c LeanConfig) Validate() error {
	switch {
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("tcp baseline rate %v: want a positive rate, or 0 for as fast as it goes", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("tcp baseline duration %v: want a positive duration", c.Duration)
	}
	g := c.Gen
	g.Rate, g.Cycle, g.Chunk = c.Rate, feed.DefaultCycle, 1024
	return g.Validate()
}

// leanSend is the plain-TCP baseline's sender: the same records as bbox
// (the cycled generator, encoded once), each behind a 4-byte length
// through a 64 KiB bufio.Writer, paced by the same generator bbox pub
// uses (one clock read per wake-up, never one per record): each due
// record gets its scheduled time patched in at source_ts, and the writer
// is flushed whenever nothing more is due, as bbox's publisher flushes.
// It returns the records sent and the seconds it took.
func leanSend(ctx context.Context, c net.Conn, cfg LeanConfig) (int64, float64, error) {
	if err := cfg.Validate(); err != nil {
		return 0, 0, err
	}
	gc := cfg.Gen
	gc.Cycle, gc.Chunk = feed.DefaultCycle, 1024
	// The encodings come from an unpaced twin: the cycle is the stream's
	// first DefaultCycle records, the same for both.
	enc, err := encodeCycle(gc)
	if err != nil {
		return 0, 0, err
	}
	gc.Rate = cfg.Rate
	g, err := feed.NewGenerator(gc)
	if err != nil {
		return 0, 0, err
	}
	w := bufio.NewWriterSize(c, 64<<10)
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var sent int64
	var b feed.Batch
	for {
		b.Reset()
		err := g.Next(rctx, &b)
		for i := range b.Recs {
			rec := enc[sent%int64(len(enc))]
			binary.LittleEndian.PutUint64(rec[4+12:], uint64(b.Recs[i].SourceTS))
			if _, werr := w.Write(rec); werr != nil {
				return sent, time.Since(start).Seconds(), fmt.Errorf("tcp baseline: %w", werr)
			}
			sent++
		}
		if err != nil {
			break // the run's end (or ctx's)
		}
		if !g.Pending() {
			if ferr := w.Flush(); ferr != nil {
				return sent, time.Since(start).Seconds(), fmt.Errorf("tcp baseline: %w", ferr)
			}
		}
	}
	secs := time.Since(start).Seconds()
	if err := w.Flush(); err != nil {
		return sent, secs, fmt.Errorf("tcp baseline: %w", err)
	}
	return sent, secs, nil
}

// encodeCycle encodes the first DefaultCycle records of gc's stream, each
// behind its 4-byte length.
func encodeCycle(gc feed.GenConfig) ([][]byte, error) {
	gc.Rate, gc.Records = 0, feed.DefaultCycle
	g, err := feed.NewGenerator(gc)
	if err != nil {
		return nil, err
	}
	var enc [][]byte
	var b feed.Batch
	for {
		b.Reset()
		err := g.Next(context.Background(), &b)
		for i := range b.Recs {
			rec, aerr := feed.AppendRecord(make([]byte, 4, 4+b.Recs[i].WireSize(false)), &b.Recs[i], false)
			if aerr != nil {
				return nil, aerr
			}
			binary.LittleEndian.PutUint32(rec, uint32(len(rec)-4))
			enc = append(enc, rec)
		}
		if errors.Is(err, io.EOF) {
			return enc, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// leanRecv is the plain-TCP baseline's receiver: it reads whatever one
// read returns into a 64 KiB buffer, reads the clock once per read (as
// bbox's subscriber thread does per frame) and records every complete
// record's latency into slot 0 of rec, until the sender closes or ctx
// ends. It returns the records received.
func leanRecv(ctx context.Context, c net.Conn, rec *Recorder, from Stamp) (int64, error) {
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 256<<10)
	vals := make([]int64, 0, 8192)
	have := 0
	var got int64
	off := 12 // source_ts
	if from == FromSend {
		off = 4
	}
	for {
		n, err := c.Read(buf[have:])
		now := time.Now().UnixNano()
		have += n
		p := 0
		var first int64
		for have-p >= 4 {
			l := int(binary.LittleEndian.Uint32(buf[p:]))
			if l < feed.RecordFixedLen || l > feed.MaxRecordLen {
				return got, fmt.Errorf("tcp baseline: record length %d at byte %d of a read", l, p)
			}
			if have-p < 4+l {
				break
			}
			st := int64(binary.LittleEndian.Uint64(buf[p+4+off:]))
			if len(vals) == 0 {
				first = st
			}
			vals = append(vals, now-st)
			p += 4 + l
		}
		rec.ObserveValues(0, first, vals)
		got += int64(len(vals))
		vals = vals[:0]
		have = copy(buf, buf[p:have])
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return got, nil
			}
			return got, fmt.Errorf("tcp baseline: %w", err)
		}
	}
}

//go:embed libzmq/zmqbase.c
var zmqbaseC []byte

// buildLibZMQ compiles the libzmq baseline (bench/libzmq/zmqbase.c,
// embedded) with `cc -O2 … -lzmq` into dir (e.g. the user cache), once per
// version of the source, and returns the program's path. When it cannot
// (no C compiler, no zmq.h), the error says why and how to get it.
func buildLibZMQ(dir string) (string, error) {
	sum := sha256.Sum256(zmqbaseC)
	exe := filepath.Join(dir, "zmqbase-"+hex.EncodeToString(sum[:6]))
	if fi, err := os.Stat(exe); err == nil && fi.Mode()&0o100 != 0 {
		return exe, nil
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		return "", errors.New("no C compiler (cc) on PATH to build it: apt-get install gcc libzmq3-dev")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := exe + ".c"
	if err := os.WriteFile(src, zmqbaseC, 0o644); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.tmp%d", exe, os.Getpid())
	out, err := exec.Command(cc, "-O2", "-o", tmp, src, "-lzmq").CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		msg := strings.TrimSpace(string(out))
		if strings.Contains(msg, "zmq.h") || strings.Contains(msg, "lzmq") {
			return "", errors.New("libzmq's headers or library are missing (zmq.h / -lzmq): apt-get install libzmq3-dev")
		}
		return "", fmt.Errorf("cc %s: %v: %s", src, err, short(msg, 200))
	}
	return exe, os.Rename(tmp, exe)
}

// LeanRecvConfig is the receiving half of the lean TCP baseline as a
// process (`bbox bench internal tcp-recv`).
type LeanRecvConfig struct {
	Out      string        // the latency log runProcess reads; required
	From     Stamp         // which stamp latency is measured from
	Warmup   time.Duration // the start kept apart (0: none)
	Interval time.Duration // interval histogram length (0: a second)
}

// ReceiveTCP listens on a free loopback port, tells listening where,
// and receives one sender's records into cfg.Out's latency log until
// the sender closes or ctx ends (then what arrived is kept, no error).
// It returns the records received.
func ReceiveTCP(ctx context.Context, cfg LeanRecvConfig, listening func(net.Addr)) (int64, error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	listening(ln.Addr())
	rec := NewRecorder(1, cfg.From)
	rec.SetWarmup(cfg.Warmup)
	lg, err := CreateLatencyLog(cfg.Out, rec, cfg.Interval, "bbox bench tcp baseline receiver")
	if err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	conn, err := ln.Accept()
	stop()
	var got int64
	if err == nil {
		got, err = leanRecv(ctx, conn, rec, cfg.From)
		conn.Close()
	}
	if cerr := lg.Close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil {
		err = nil // stopped: the log holds what arrived
	}
	return got, err
}

// SendTCP connects to a ReceiveTCP at addr and sends cfg's records
// (leanSend). It returns the records sent and the seconds it took.
func SendTCP(ctx context.Context, addr string, cfg LeanConfig) (int64, float64, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	return leanSend(ctx, conn, cfg)
}
