package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
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

// waitDrained waits until got reaches want or d passes.
func waitDrained(got *atomic.Int64, want int64, d time.Duration, failed <-chan struct{}) {
	deadline := time.Now().Add(d)
	for got.Load() < want && time.Now().Before(deadline) {
		select {
		case <-failed:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

func runTCP(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	res := &LoadResult{Config: cfg, Threads: 2}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	rec := NewRecorder(1, cfg.From)
	var sent, received atomic.Int64
	recvErr := make(chan error, 1)
	failed := make(chan struct{})
	go func() {
		err := tcpReceive(ln, rec, cfg.From, &received)
		if err != nil {
			close(failed)
		}
		recvErr <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	gen, err := feed.NewGenerator(cfg.gen())
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(c, 64<<10)
	var scratch []byte
	var hdr [4]byte
	send := func(recs []feed.Record) error {
		for i := range recs {
			scratch, _ = feed.AppendRecord(scratch[:0], &recs[i], false)
			binary.LittleEndian.PutUint32(hdr[:], uint32(len(scratch)))
			w.Write(hdr[:])
			if _, err := w.Write(scratch); err != nil {
				return fmt.Errorf("tcp baseline: %w", err)
			}
		}
		return nil
	}
	col := newCollector(cfg, rec, sent.Load)
	res.Start = time.Now()
	col.begin(res.Start)
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	serr := pacedSender(rctx, gen, cfg.beforeNext, &sent, send, w.Flush)
	cancel()
	res.Sending = time.Since(res.Start)
	waitDrained(&received, sent.Load(), cfg.Drain, failed)
	c.Close()
	ln.Close()
	rerr := <-recvErr
	res.Elapsed = time.Since(res.Start)
	res.Intervals = col.finish()
	if serr != nil {
		return nil, serr
	}
	if rerr != nil {
		return nil, rerr
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return finishBaseline(res, rec, sent.Load(), received.Load()), nil
}

// tcpReceive reads length-prefixed records until the sender closes,
// reading the clock as each record completes and handing latencies to the
// recorder whenever the next read would block.
func tcpReceive(ln net.Listener, rec *Recorder, from Stamp, received *atomic.Int64) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [4]byte
	buf := make([]byte, feed.MaxRecordLen)
	vals := make([]int64, 0, 4096)
	flush := func() {
		rec.ObserveValues(0, vals)
		received.Add(int64(len(vals)))
		vals = vals[:0]
	}
	defer flush()
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("tcp baseline: %w", err)
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n < feed.RecordFixedLen || n > feed.MaxRecordLen {
			return fmt.Errorf("tcp baseline: record length %d", n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return fmt.Errorf("tcp baseline: %w", err)
		}
		vals = append(vals, time.Now().UnixNano()-stampOf(buf[:n], from))
		if r.Buffered() == 0 || len(vals) == cap(vals) {
			flush()
		}
	}
}

func runZMQ4(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	res := &LoadResult{Config: cfg, Threads: 2}
	zctx, zcancel := context.WithCancel(ctx)
	defer zcancel()
	pub := zmq4.NewPub(zctx)
	defer pub.Close()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	sub := zmq4.NewSub(zctx, zmq4.WithDialerRetry(10*time.Millisecond))
	defer sub.Close()
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		return nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return nil, fmt.Errorf("zmq4 baseline: %w", err)
	}
	if err := zmq4Join(ctx, pub, sub); err != nil {
		return nil, err
	}
	rec := NewRecorder(1, cfg.From)
	var sent, received atomic.Int64
	recvErr := make(chan error, 1)
	failed := make(chan struct{})
	go func() {
		vals := make([]int64, 1)
		for {
			m, err := sub.Recv()
			if err != nil {
				if zctx.Err() != nil {
					recvErr <- nil
				} else {
					close(failed)
					recvErr <- fmt.Errorf("zmq4 baseline: %w", err)
				}
				return
			}
			now := time.Now().UnixNano()
			if len(m.Frames) != 1 || len(m.Frames[0]) < feed.RecordFixedLen {
				continue // a join probe
			}
			vals[0] = now - stampOf(m.Frames[0], cfg.From)
			rec.ObserveValues(0, vals)
			received.Add(1)
		}
	}()
	gen, err := feed.NewGenerator(cfg.gen())
	if err != nil {
		return nil, err
	}
	send := func(recs []feed.Record) error {
		for i := range recs {
			// zmq4 may write a buffer after Send returns: each message
			// gets its own, as a naive user's code would.
			b, _ := feed.AppendRecord(nil, &recs[i], false)
			if err := pub.Send(zmq4.NewMsg(b)); err != nil {
				return fmt.Errorf("zmq4 baseline: %w", err)
			}
		}
		return nil
	}
	col := newCollector(cfg, rec, sent.Load)
	res.Start = time.Now()
	col.begin(res.Start)
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	serr := pacedSender(rctx, gen, cfg.beforeNext, &sent, send, func() error { return nil })
	cancel()
	res.Sending = time.Since(res.Start)
	waitDrained(&received, sent.Load(), cfg.Drain, failed)
	zcancel()
	sub.Close()
	rerr := <-recvErr
	res.Elapsed = time.Since(res.Start)
	res.Intervals = col.finish()
	if serr != nil {
		return nil, serr
	}
	if rerr != nil {
		return nil, rerr
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return finishBaseline(res, rec, sent.Load(), received.Load()), nil
}

// zmq4Join probes until the subscription has reached the publisher (the
// slow joiner), so no measured record is lost to it.
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

func finishBaseline(res *LoadResult, rec *Recorder, sent, received int64) *LoadResult {
	res.Published, res.Received = sent, received
	res.Lost = max(sent-received, 0)
	res.Hist = rec.Merged()
	res.Clamped = rec.Clamped()
	res.Shards = []Count{{ID: 0, Records: received}}
	res.Workers = []Count{}
	res.checks()
	return res
}
