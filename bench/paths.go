package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/bbox-dev/bbox/feed"
)

// The baseline paths carry the same paced feed as the bbox path, so a
// report can put bbox's latency and rate next to what plain TCP and naive
// zmq4 do on the same box in the same invocation.

// stampOf reads the timestamp latency is measured from out of one encoded
// record (docs/wire.md §3: send_ts at offset 4, source_ts at 12).
func stampOf(rec []byte, from Stamp) int64 {
	if from == FromSource {
		return int64(binary.LittleEndian.Uint64(rec[12:]))
	}
	return int64(binary.LittleEndian.Uint64(rec[4:]))
}

// tally counts the records a baseline receiver took, and wakes the run
// waiting for the last one in flight (wait), so the drain is signalled,
// not polled. Safe for concurrent use.
type tally struct {
	n       atomic.Int64
	want    atomic.Int64 // math.MaxInt64 until wait sets it
	reached chan struct{}
	once    sync.Once
}

func newTally() *tally {
	t := &tally{reached: make(chan struct{})}
	t.want.Store(math.MaxInt64)
	return t
}

// Add counts n records received.
func (t *tally) Add(n int64) {
	if t.n.Add(n) >= t.want.Load() {
		t.once.Do(func() { close(t.reached) })
	}
}

// Load is the number received.
func (t *tally) Load() int64 { return t.n.Load() }

// wait returns once want records are counted, failed is closed, or d
// passes.
func (t *tally) wait(want int64, d time.Duration, failed <-chan struct{}) {
	t.want.Store(want)
	if t.n.Load() >= want { // counted before want was set
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.reached:
	case <-failed:
	case <-timer.C:
	}
}

// baselineEnds is one baseline path, connected, for runBaseline to drive.
type baselineEnds struct {
	// receive takes records until stop has run, recording each latency
	// in slot 0 of rec and counting the records in received. It returns
	// nil when stopped.
	receive func(rec *Recorder, received *tally) error
	// send hands the sender's due records to the path; flush pushes out
	// whatever send buffered, when nothing more is due.
	send  func(recs []feed.Record) error
	flush func() error
	// stop ends receive once the records in flight have arrived or the
	// drain time has passed.
	stop func()
}

// runBaseline sends src through a baseline path for the run's duration,
// waits for the records in flight, stops the receiver and fills in res.
func runBaseline(ctx context.Context, res *LoadResult, src pacedSource, ends baselineEnds) (*LoadResult, error) {
	cfg := res.Config
	rec := NewRecorder(1, cfg.From)
	rec.SetWarmup(cfg.Warmup)
	var sent atomic.Int64
	received := newTally()
	recvErr := make(chan error, 1)
	failed := make(chan struct{})
	go func() {
		err := ends.receive(rec, received)
		if err != nil {
			close(failed)
		}
		recvErr <- err
	}()
	col := newCollector(cfg, rec, sent.Load)
	res.Start = time.Now()
	col.begin(res.Start)
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	serr := pacedSender(rctx, src, &sent, ends.send, ends.flush)
	cancel()
	res.Sending = time.Since(res.Start)
	received.wait(sent.Load(), cfg.Drain, failed)
	ends.stop()
	rerr := <-recvErr
	res.Elapsed = time.Since(res.Start)
	res.Intervals = col.finish()
	if serr != nil {
		return nil, serr
	}
	if rerr != nil {
		return nil, rerr
	}
	res.Interrupted = ctx.Err() != nil
	res.interrupted()
	res.Published, res.Received = sent.Load(), received.Load()
	res.Lost = max(res.Published-res.Received, 0)
	res.Hist, res.WarmupHist = rec.Merged(), rec.MergedWarmup()
	res.Clamped = rec.Clamped()
	res.Shards = []Count{{ID: 0, Records: res.Received}}
	res.Workers = []Count{}
	res.checks()
	return res, nil
}

func runTCP(ctx context.Context, res *LoadResult, src pacedSource) (*LoadResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	// The kernel completes the connection before the receiver accepts it.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	w := newFramedWriter(c)
	var scratch []byte
	return runBaseline(ctx, res, src, baselineEnds{
		receive: func(rec *Recorder, received *tally) error {
			return tcpReceive(ln, rec, res.Config.From, received)
		},
		send: func(recs []feed.Record) error {
			for i := range recs {
				scratch, _ = feed.AppendRecord(scratch[:0], &recs[i], false)
				if err := w.write(scratch); err != nil {
					return fmt.Errorf("tcp baseline: %w", err)
				}
			}
			return nil
		},
		flush: w.Flush,
		stop: func() {
			c.Close()
			ln.Close()
		},
	})
}

// tcpReceive reads length-prefixed records until the sender closes,
// reading the clock as each record completes and handing latencies to the
// recorder whenever the next read would block.
func tcpReceive(ln net.Listener, rec *Recorder, from Stamp, received *tally) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	r := newFramedReader(c)
	vals := make([]int64, 0, 4096)
	var first int64 // the stamp of vals[0]
	flush := func() {
		rec.ObserveValues(0, first, vals)
		received.Add(int64(len(vals)))
		vals = vals[:0]
	}
	defer flush()
	for {
		b, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		st := stampOf(b, from)
		if len(vals) == 0 {
			first = st
		}
		vals = append(vals, time.Now().UnixNano()-st)
		if r.Buffered() == 0 || len(vals) == cap(vals) {
			flush()
		}
	}
}

// framedWriter writes each record behind its length (4 bytes, little
// endian): the plain-TCP baselines' framing.
type framedWriter struct {
	*bufio.Writer
	hdr [4]byte
}

func newFramedWriter(w io.Writer) *framedWriter {
	return &framedWriter{Writer: bufio.NewWriterSize(w, 64<<10)}
}

func (w *framedWriter) write(rec []byte) error {
	binary.LittleEndian.PutUint32(w.hdr[:], uint32(len(rec)))
	w.Write(w.hdr[:])
	_, err := w.Write(rec)
	return err
}

// framedReader reads what framedWriter writes, refusing a length no
// record can have.
type framedReader struct {
	*bufio.Reader
	hdr [4]byte
	buf []byte
}

func newFramedReader(r io.Reader) *framedReader {
	return &framedReader{Reader: bufio.NewReaderSize(r, 64<<10), buf: make([]byte, feed.MaxRecordLen)}
}

// next returns the next record, valid until the next call, or io.EOF
// itself when the stream ends between records (the peer closed, or we
// did).
func (r *framedReader) next() ([]byte, error) {
	if _, err := io.ReadFull(r.Reader, r.hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("tcp baseline: %w", err)
	}
	n := binary.LittleEndian.Uint32(r.hdr[:])
	if n < feed.RecordFixedLen || n > feed.MaxRecordLen {
		return nil, fmt.Errorf("tcp baseline: record length %d", n)
	}
	if _, err := io.ReadFull(r.Reader, r.buf[:n]); err != nil {
		return nil, fmt.Errorf("tcp baseline: %w", err)
	}
	return r.buf[:n], nil
}

func runZMQ4(ctx context.Context, res *LoadResult, src pacedSource) (*LoadResult, error) {
	zctx, zcancel := context.WithCancel(context.WithoutCancel(ctx)) // drain on an interrupt
	defer zcancel()
	pub, sub, err := zmq4Pair(zctx)
	if err != nil {
		return nil, err
	}
	defer pub.Close()
	defer sub.Close()
	from := res.Config.From
	return runBaseline(ctx, res, src, baselineEnds{
		receive: func(rec *Recorder, received *tally) error {
			vals := make([]int64, 1)
			for {
				m, err := sub.Recv()
				if err != nil {
					if zctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("zmq4 baseline: %w", err)
				}
				now := time.Now().UnixNano()
				if len(m.Frames) != 1 || len(m.Frames[0]) < feed.RecordFixedLen {
					continue // a join probe
				}
				st := stampOf(m.Frames[0], from)
				vals[0] = now - st
				rec.ObserveValues(0, st, vals)
				received.Add(1)
			}
		},
		send: func(recs []feed.Record) error {
			for i := range recs {
				// zmq4 may write a buffer after Send returns: each message
				// gets its own, as a naive user's code would.
				b, _ := feed.AppendRecord(nil, &recs[i], false)
				if err := pub.Send(zmq4.NewMsg(b)); err != nil {
					return fmt.Errorf("zmq4 baseline: %w", err)
				}
			}
			return nil
		},
		flush: func() error { return nil },
		stop: func() {
			zcancel()
			sub.Close()
		},
	})
}

// zmq4Pair opens zmq4's own PUB and SUB sockets on ctx, connected over
// loopback TCP with the SUB subscribed to everything, and waits until
// the subscription has reached the publisher (the slow joiner), so no
// measured record is lost to it. The join probes are one-byte messages
// the receiver skips. On error both sockets are closed.
func zmq4Pair(ctx context.Context) (pub, sub zmq4.Socket, err error) {
	pub = zmq4.NewPub(ctx)
	sub = zmq4.NewSub(ctx, zmq4.WithDialerRetry(10*time.Millisecond))
	defer func() {
		if err != nil {
			sub.Close()
			pub.Close()
		}
	}()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		return nil, nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return nil, nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	if err := zmq4Join(ctx, pub, sub); err != nil {
		return nil, nil, err
	}
	return pub, sub, nil
}

// zmq4Join probes until a probe arrives at sub, at most 10s.
func zmq4Join(ctx context.Context, pub, sub zmq4.Socket) error {
	probe := zmq4.NewMsg([]byte{0})
	ready := make(chan struct{})
	defer close(ready)
	go func() {
		for {
			select {
			case <-ready:
				return
			case <-time.After(10 * time.Millisecond):
				pub.Send(probe)
			}
		}
	}()
	got := make(chan error, 1)
	go func() {
		for {
			m, err := sub.Recv()
			if err != nil {
				got <- fmt.Errorf("zmq4 baseline: joining: %w", err)
				return
			}
			if len(m.Frames) == 1 && len(m.Frames[0]) == 1 {
				got <- nil
				return
			}
		}
	}()
	select {
	case err := <-got:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return errors.New("zmq4 baseline: the subscriber did not join within 10s")
	}
}
