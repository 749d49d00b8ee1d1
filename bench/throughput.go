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
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// Throughput is the outcome of one end-to-end throughput run.
type Throughput struct {
	Name    string        `json:"name"`
	Records int64         `json:"records"`
	Elapsed time.Duration `json:"elapsed_ns"`
	RPS     float64       `json:"records_per_second"`
}

func (t Throughput) String() string {
	return fmt.Sprintf("%-6s %10d records in %8v: %6.2f M records/s", t.Name, t.Records, t.Elapsed.Round(time.Millisecond), t.RPS/1e6)
}

func result(name string, n int64, d time.Duration) Throughput {
	return Throughput{Name: name, Records: n, Elapsed: d, RPS: float64(n) / d.Seconds()}
}

// Records pre-generates n synthetic records of about size bytes, so a
// throughput run measures the path, not the generator.
func Records(n, size int, seed uint64) []feed.Record {
	g, _ := feed.NewGenerator(feed.GenConfig{Seed: seed, Size: size, Chunk: 1024})
	out := make([]feed.Record, 0, n)
	for len(out) < n {
		var b feed.Batch
		g.Next(context.Background(), &b)
		out = append(out, b.Recs...)
	}
	return out[:n]
}

// TCPBaseline sends n length-prefixed records over a loopback TCP
// connection with bufio on both sides: what plain Go does without ZeroMQ.
func TCPBaseline(recs []feed.Record, n int64) (Throughput, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Throughput{}, err
	}
	defer ln.Close()
	wire := make([][]byte, len(recs))
	for i := range recs {
		wire[i], _ = feed.AppendRecord(nil, &recs[i], false)
	}
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		r := bufio.NewReaderSize(c, 64<<10)
		var hdr [4]byte
		buf := make([]byte, feed.MaxRecordLen)
		for i := int64(0); i < n; i++ {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				got <- err
				return
			}
			if _, err := io.ReadFull(r, buf[:binary.LittleEndian.Uint32(hdr[:])]); err != nil {
				got <- err
				return
			}
		}
		got <- nil
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return Throughput{}, err
	}
	defer c.Close()
	start := time.Now()
	w := bufio.NewWriterSize(c, 64<<10)
	var hdr [4]byte
	for i := int64(0); i < n; i++ {
		rec := wire[i%int64(len(wire))]
		binary.LittleEndian.PutUint32(hdr[:], uint32(len(rec)))
		w.Write(hdr[:])
		w.Write(rec)
	}
	if err := w.Flush(); err != nil {
		return Throughput{}, err
	}
	if err := <-got; err != nil {
		return Throughput{}, err
	}
	return result("tcp", n, time.Since(start)), nil
}

// ZMQ4Baseline sends n records, one per message, through zmq4's own PUB
// and SUB sockets over loopback TCP: the naive way to use zmq4.
func ZMQ4Baseline(recs []feed.Record, n int64) (Throughput, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := zmq4.NewPub(ctx)
	defer pub.Close()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		return Throughput{}, err
	}
	sub := zmq4.NewSub(ctx, zmq4.WithDialerRetry(10*time.Millisecond))
	defer sub.Close()
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		return Throughput{}, err
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return Throughput{}, err
	}
	// Slow joiner: probe until the subscription has reached the publisher.
	probe := zmq4.NewMsg([]byte{0})
	ready := make(chan struct{})
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
	for {
		m, err := sub.Recv()
		if err != nil {
			close(ready)
			return Throughput{}, err
		}
		if len(m.Frames) == 1 && len(m.Frames[0]) == 1 {
			break
		}
	}
	close(ready)
	wire := make([][]byte, len(recs))
	for i := range recs {
		wire[i], _ = feed.AppendRecord(nil, &recs[i], false)
	}
	got := make(chan error, 1)
	go func() {
		for i := int64(0); i < n; {
			m, err := sub.Recv()
			if err != nil {
				got <- err
				return
			}
			if len(m.Frames) == 1 && len(m.Frames[0]) > 1 {
				i++
			}
		}
		got <- nil
	}()
	start := time.Now()
	for i := int64(0); i < n; i++ {
		// zmq4 may write a buffer after Send returns, so each message
		// gets its own slice header over immutable bytes.
		if err := pub.Send(zmq4.NewMsg(wire[i%int64(len(wire))])); err != nil {
			return Throughput{}, err
		}
	}
	select {
	case err := <-got:
		if err != nil {
			return Throughput{}, err
		}
	case <-time.After(2 * time.Minute):
		return Throughput{}, errors.New("zmq4 baseline: timed out")
	}
	return result("zmq4", n, time.Since(start)), nil
}

// loopSource cycles through pre-generated records.
type loopSource struct {
	recs  []feed.Record
	i     int
	left  int64
	chunk int
}

func (l *loopSource) Next(ctx context.Context, b *feed.Batch) error {
	if l.left <= 0 {
		return io.EOF
	}
	n := int(min(int64(l.chunk), l.left))
	for k := 0; k < n; k++ {
		*b.Add() = l.recs[l.i]
		l.i++
		if l.i == len(l.recs) {
			l.i = 0
		}
	}
	l.left -= int64(n)
	return nil
}

func (l *loopSource) Pending() bool { return l.left > 0 }

// countSink counts delivered records and signals when it has seen n.
type countSink struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *countSink) Deliver(_ int, b *feed.Batch) {
	if c.n.Add(int64(len(b.Recs))) >= c.want && c.want > 0 {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
	}
	feed.PutBatch(b)
}

// PipelineConfig shapes a bbox throughput run.
type PipelineConfig struct {
	Shards  int // 0 means 1
	Workers int // 0 delivers to a counting sink on the subscriber thread; >0 runs a worker pool
}

// PipelineThroughput pushes n records through bbox (publisher → PUB per
// shard → subscriber threads → sink or worker pool) over loopback TCP.
func PipelineThroughput(recs []feed.Record, n int64, cfg PipelineConfig) (Throughput, error) {
	shards := max(cfg.Shards, 1)
	binds := make([]string, shards)
	for i := range binds {
		binds[i] = "tcp://127.0.0.1:0"
	}
	// Lossless: like TCP's back-pressure in the baseline, the subscriber's
	// pace sets the rate, so the run measures what the path sustains
	// rather than how much a publisher can drop at its HWM.
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: binds, Heartbeat: -1, Lossless: true, HWM: 8 << 20})
	if err != nil {
		return Throughput{}, err
	}
	defer pub.Close()
	counter := &countSink{want: n, done: make(chan struct{})}
	var sink shard.Sink = counter
	var pool *workers.Pool
	if cfg.Workers > 0 {
		pool, err = workers.NewPool(workers.PoolConfig{Workers: cfg.Workers, NewHandler: func(int) workers.Handler {
			return workers.HandlerFunc(func(recs []feed.Record) {
				if counter.n.Add(int64(len(recs))) >= n {
					select {
					case <-counter.done:
					default:
						close(counter.done)
					}
				}
			})
		}})
		if err != nil {
			return Throughput{}, err
		}
		sink = pool
		defer pool.Close()
	}
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints()}, sink)
	if err != nil {
		return Throughput{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sub.Run(ctx)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := pub.WaitSubscribers(wctx, 1); err != nil {
		return Throughput{}, err
	}
	start := time.Now()
	if err := pub.Run(ctx, &loopSource{recs: recs, left: n, chunk: 512}); err != nil {
		return Throughput{}, err
	}
	select {
	case <-counter.done:
	case <-time.After(2 * time.Minute):
		return Throughput{}, fmt.Errorf("bbox pipeline: %d of %d records arrived", counter.n.Load(), n)
	}
	name := "bbox"
	if cfg.Workers > 0 {
		name = fmt.Sprintf("bbox+%dw", cfg.Workers)
	}
	return result(name, n, time.Since(start)), nil
}
