package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// BenchmarkThroughput runs the two baselines and bbox in one invocation and
// prints bbox's ratio to each (DESIGN.md: targets are ratios against a
// baseline measured in the same run, never absolute numbers).
//
//	go test -run XXX -bench Throughput ./bench
func BenchmarkThroughput(b *testing.B) {
	recs := Records(4096, 100, 1)
	res := map[string]float64{}
	run := func(name string, n int64, f func() (Throughput, error)) {
		b.Run(name, func(b *testing.B) {
			var total Throughput
			for i := 0; i < b.N; i++ {
				t, err := f()
				if err != nil {
					b.Fatal(err)
				}
				total.Records += t.Records
				total.Elapsed += t.Elapsed
			}
			rps := float64(total.Records) / total.Elapsed.Seconds()
			res[name] = rps
			b.ReportMetric(rps, "records/s")
			b.ReportMetric(0, "ns/op")
		})
	}
	const n = 2_000_000
	run("tcp", n, func() (Throughput, error) { return TCPBaseline(recs, n) })
	run("zmq4", n/10, func() (Throughput, error) { return ZMQ4Baseline(recs, n/10) })
	run("bbox", n, func() (Throughput, error) { return PipelineThroughput(recs, n, PipelineConfig{Shards: 1}) })
	run("bbox-2shards-2workers", n, func() (Throughput, error) {
		return PipelineThroughput(recs, n, PipelineConfig{Shards: 2, Workers: 2})
	})
	if res["tcp"] > 0 && res["zmq4"] > 0 {
		for _, k := range []string{"bbox", "bbox-2shards-2workers"} {
			fmt.Fprintf(os.Stdout, "ratio %-22s vs plain TCP %.2fx, vs naive zmq4 %.1fx (tcp %.2fM, zmq4 %.2fM, %s %.2fM records/s)\n",
				k, res[k]/res["tcp"], res[k]/res["zmq4"], res["tcp"]/1e6, res["zmq4"]/1e6, k, res[k]/1e6)
		}
	}
}

// Throughput is the outcome of one end-to-end throughput run.
type Throughput struct {
	Name    string
	Records int64
	Elapsed time.Duration
	RPS     float64
}

func (t Throughput) String() string {
	return fmt.Sprintf("%-6s %10d records in %8v: %6.2f M records/s", t.Name, t.Records, t.Elapsed.Round(time.Millisecond), t.RPS/1e6)
}

func result(name string, n int64, d time.Duration) Throughput {
	return Throughput{Name: name, Records: n, Elapsed: d, RPS: float64(n) / d.Seconds()}
}

// wireRecords encodes recs once, so a run sends bytes, not encoding work.
func wireRecords(recs []feed.Record) [][]byte {
	wire := make([][]byte, len(recs))
	for i := range recs {
		wire[i], _ = feed.AppendRecord(nil, &recs[i], false)
	}
	return wire
}

// TCPBaseline sends n length-prefixed records over a loopback TCP
// connection with bufio on both sides: what plain Go does without ZeroMQ.
func TCPBaseline(recs []feed.Record, n int64) (Throughput, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Throughput{}, err
	}
	defer ln.Close()
	wire := wireRecords(recs)
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		r := newFramedReader(c)
		for i := int64(0); i < n; i++ {
			if _, err := r.next(); err != nil {
				if err == io.EOF {
					err = fmt.Errorf("tcp baseline: the sender stopped after %d of %d records", i, n)
				}
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
	w := newFramedWriter(c)
	for i := int64(0); i < n; i++ {
		w.write(wire[i%int64(len(wire))])
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
	pub, sub, err := zmq4Pair(ctx)
	if err != nil {
		return Throughput{}, err
	}
	defer pub.Close()
	defer sub.Close()
	wire := wireRecords(recs)
	got := make(chan error, 1)
	go func() {
		for i := int64(0); i < n; {
			m, err := sub.Recv()
			if err != nil {
				got <- err
				return
			}
			if len(m.Frames) == 1 && len(m.Frames[0]) > 1 {
				i++ // not a join probe
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

// countSink counts delivered records and closes done when it has seen want.
type countSink struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

// add counts k more records. Only the add that takes the count across
// want closes done, so an over-count cannot close it twice.
func (c *countSink) add(k int64) {
	if n := c.n.Add(k); n >= c.want && n-k < c.want {
		close(c.done)
	}
}

func (c *countSink) Deliver(_ int, b *feed.Batch) {
	c.add(int64(len(b.Recs)))
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
	if cfg.Workers > 0 {
		pool, err := workers.NewPool(workers.PoolConfig{Workers: cfg.Workers, NewHandler: func(int) workers.Handler {
			return workers.HandlerFunc(func(recs []feed.Record) { counter.add(int64(len(recs))) })
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
