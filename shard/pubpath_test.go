package shard

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"
)

// silentSub connects a SUB to ep, subscribes to everything and reads
// nothing, with a small receive buffer so the publisher's writes stall.
func silentSub(t *testing.T, endpoint string) *zmqx.Peer {
	t.Helper()
	ep, _ := zmqx.ParseEndpoint(endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := zmqx.Dial(ctx, ep, zmq4.Sub, zmqx.Options{RcvBuf: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawSub is a SUB whose ZMTP handshake is done by hand, so the test can
// read the stream without allocating (for the allocation tests) or not at
// all. It subscribes to everything.
func rawSub(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xFF, 0x7F, 3
	copy(g[12:], "NULL")
	body := append([]byte{5}, "READY"...)
	body = append(body, 11)
	body = append(body, "Socket-Type"...)
	body = binary.BigEndian.AppendUint32(body, 3)
	body = append(body, "SUB"...)
	msg := append(g, 0x04, byte(len(body)))
	msg = append(msg, body...)
	msg = append(msg, 0x00, 1, 1) // subscribe to ""
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	// The server's greeting and READY (a short command frame).
	hdr := make([]byte, 66)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, hdr[65])); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Time{})
	return c
}

// subscribedRaw connects a rawSub to pub's first shard and waits until
// the publisher has its subscription.
func subscribedRaw(t *testing.T, pub *Publisher) net.Conn {
	t.Helper()
	sub := rawSub(t, pubEndpoint(t, pub))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return sub
}

func pubEndpoint(t testing.TB, p *Publisher) string {
	return strings.TrimPrefix(p.Endpoints()[0], "tcp://")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func genRecords(t testing.TB, n int) []feed.Record {
	gen, err := feed.NewGenerator(feed.GenConfig{Seed: 7, Records: int64(n)})
	if err != nil {
		t.Fatal(err)
	}
	var recs []feed.Record
	for len(recs) < n {
		var b feed.Batch
		if err := gen.Next(context.Background(), &b); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		for _, r := range b.Recs {
			r.Topic = append([]byte(nil), r.Topic...)
			r.Payload = append([]byte(nil), r.Payload...)
			recs = append(recs, r)
		}
	}
	return recs[:n]
}

// TestCutConnectionCountsDiscarded: a subscriber that stops reading is cut
// off at the write deadline, and the publisher counts exactly what it
// never got — per connection, per shard and in total — and says why.
// Every record published to it is written, dropped or discarded; what was
// written is exactly what it can still read.
func TestCutConnectionCountsDiscarded(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 1, WriteTimeout: 2 * time.Second,
		Heartbeat: -1, HWM: 256 << 10, Conn: zmqx.Options{SndBuf: 4096}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := silentSub(t, pub.Endpoints()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const n = 10000 // ~1 MB: past the socket buffers and the 256 KiB HWM
	recs := genRecords(t, n)
	for i := 0; i < n; i += 100 {
		if err := pub.Publish(recs[i : i+100]); err != nil {
			t.Fatal(err)
		}
		pub.Flush()
	}
	if pub.Stats().ConnectionsCut != 0 {
		t.Fatal("the subscriber was cut off before publishing ended: the count below would not cover it (machine too slow for the 2s deadline?)")
	}
	// Closed counts the connection once its writer has finished, with what
	// it discarded; ConnectionsCut already counts it as the write fails.
	waitFor(t, "the stalled subscriber to be cut off", func() bool { return pub.Stats().Shards[0].Closed["stuck"] == 1 })
	st := pub.Stats()
	if len(st.Conns) != 1 {
		t.Fatalf("%d connections listed", len(st.Conns))
	}
	c := st.Conns[0]
	t.Logf("connection %+v", c)
	if c.CloseReason != zmqx.Stuck || !strings.HasPrefix(c.State, "stuck: ") || !c.Cut() {
		t.Fatalf("closed %v (%q), want stuck", c.CloseReason, c.State)
	}
	if got := c.Records + c.DroppedRecords + c.DiscardedRecords; got != n {
		t.Fatalf("written %d + dropped %d + discarded %d = %d, want %d", c.Records, c.DroppedRecords, c.DiscardedRecords, got, n)
	}
	if c.DiscardedRecords == 0 || c.DiscardedFrames == 0 || c.DroppedRecords == 0 {
		t.Fatalf("want records both dropped at the HWM and discarded at the cut: %+v", c)
	}
	if st.DiscardedRecords != c.DiscardedRecords || st.DiscardedFrames != c.DiscardedFrames || st.DroppedRecords != c.DroppedRecords ||
		st.Shards[0].DiscardedRecords != c.DiscardedRecords || st.Shards[0].Closed["stuck"] != 1 || st.SlowConsumers != 1 {
		t.Fatalf("totals do not match the connection: %+v", st)
	}
	// What the writer counted as written is what reached the subscriber.
	sub.SetReadDeadline(time.Now().Add(10 * time.Second))
	var frames, records int64
	for {
		m, err := sub.RecvMsg()
		if err != nil {
			break
		}
		if len(m.Frames) == 2 {
			h, _, err := feed.ParseHeader(m.Frames[1])
			if err != nil {
				t.Fatal(err)
			}
			frames++
			records += int64(h.Count)
		}
	}
	if frames != c.Frames || records != c.Records {
		t.Fatalf("subscriber read %d frames, %d records; publisher counted %d, %d written", frames, records, c.Frames, c.Records)
	}
}

// TestGoneHistoryIsBounded: closed connections are remembered in a ring
// of maxGone, oldest first, and the totals stay exact.
func TestGoneHistoryIsBounded(t *testing.T) {
	f := &fanout{closedBy: make([]int64, len(closedStates))}
	empty := []*subConn{}
	f.conns.Store(&empty)
	const n = 3*maxGone + 17
	for i := 0; i < n; i++ {
		reason := zmqx.ClosedByPeer
		if i%3 == 0 {
			reason = zmqx.Stuck
		}
		f.remember(ConnStats{Peer: string(rune('a' + i%26)), Records: int64(i), DiscardedRecords: 2, DroppedFrames: 1, HWMEvents: 1, CloseReason: reason, Frames: 1})
	}
	list := f.connStats()
	if len(list) != maxGone || f.omitted != n-maxGone {
		t.Fatalf("%d listed, %d omitted; want %d and %d", len(list), f.omitted, maxGone, n-maxGone)
	}
	for i, c := range list {
		if want := int64(n - maxGone + i); c.Records != want {
			t.Fatalf("entry %d holds connection %d, want %d (oldest first)", i, c.Records, want)
		}
	}
	var s ShardPubStats
	slow, omitted := f.shardTotals(&s)
	if s.DiscardedRecords != 2*n || slow != n || omitted != n-maxGone || s.Closed["stuck"] != (n+2)/3 || s.ConnectionsCut != (n+2)/3 ||
		s.Closed["closed_by_peer"] != n-(n+2)/3 || f.totals.records != int64(n*(n-1)/2) {
		t.Fatalf("totals %+v slow %d omitted %d records %d", s, slow, omitted, f.totals.records)
	}
}

// TestHeldFrameKeepsFilling: while the only subscriber's writer is busy,
// Run's idle flush keeps the partition's frame open instead of queuing a
// frame per call; when the writer goes idle the held frame is sent at
// once, with no further record from the source.
func TestHeldFrameKeepsFilling(t *testing.T) {
	t.Run("drop", func(t *testing.T) { heldFrameKeepsFilling(t, PubConfig{}) })
	t.Run("lossless", func(t *testing.T) { heldFrameKeepsFilling(t, PubConfig{Lossless: true}) })
}

// TestInlineKick: a writer going idle flushes held frames itself unless,
// lossless, its empty queue might not take every held frame of a shard
// (it would wait for its own space).
func TestInlineKick(t *testing.T) {
	f := func(cfg PubConfig, want bool) {
		t.Helper()
		cfg.Binds, cfg.Heartbeat = []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, -1
		p, err := NewPublisher(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.inline != want {
			t.Fatalf("%+v: inline %v, want %v", cfg, p.inline, want)
		}
	}
	f(PubConfig{}, true)
	f(PubConfig{HWM: 64 << 10}, true)
	f(PubConfig{Lossless: true}, true)
	f(PubConfig{Lossless: true, HWM: 4 * 2 * (64<<10 + 256)}, true)   // 4 partitions per shard, each two full frames
	f(PubConfig{Lossless: true, HWM: 4*2*(64<<10+256) - 1}, false)    // one byte short
	f(PubConfig{Lossless: true, HWM: 2 << 20, Partitions: 40}, false) // 20 per shard
	// A single record can outgrow a small frame: the bound allows for it.
	f(PubConfig{Lossless: true, HWM: 1 << 20, FrameSize: 1024}, true)
	f(PubConfig{Lossless: true, HWM: 256 << 10, FrameSize: 1024}, false)
}

func heldFrameKeepsFilling(t *testing.T, cfg PubConfig) {
	cfg.Binds, cfg.Partitions, cfg.Linger, cfg.Heartbeat = []string{"tcp://127.0.0.1:0"}, 1, -1, -1
	cfg.WriteTimeout, cfg.Conn, cfg.Logf = time.Minute, zmqx.Options{SndBuf: 4096}, t.Logf
	pub, err := NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := subscribedRaw(t, pub)
	idleFlush := func() {
		pub.mu.Lock()
		pub.flushIdle(time.Now().UnixNano())
		pub.unlock() // the round's end: writes what it queued
	}
	w := (*pub.outs[0].conns.Load())[0].w
	recs := genRecords(t, 20000)
	// Fill the socket: the subscriber does not read yet, so the writer
	// ends up blocked in a write, busy.
	i := 0
	for ; i < 10000; i += 100 {
		pub.Publish(recs[i : i+100])
		pub.Flush()
	}
	waitFor(t, "the writer to block", func() bool { return w.Busy() && w.Stats().QueuedFrames > 1 })
	frames := pub.Stats().Frames
	for j := 0; j < 50; j, i = j+1, i+1 {
		pub.Publish(recs[i : i+1])
		idleFlush()
	}
	if got := pub.Stats().Frames; got != frames {
		t.Fatalf("%d frames sent while the writer was busy, want 0 (held)", got-frames)
	}
	// Read the open frame under the publisher's lock: a writer that goes
	// idle flushes held frames from its own goroutine.
	pub.mu.Lock()
	n, held := pub.parts[0].enc.Count(), pub.parts[0].held
	pub.mu.Unlock()
	if n != 50 || !held {
		t.Fatalf("open frame holds %d records (held %v), want 50", n, held)
	}
	go io.Copy(io.Discard, sub) // the subscriber catches up
	waitFor(t, "the held frame to be sent", func() bool { return pub.Stats().Records == int64(i) })
	waitFor(t, "the writer to write it", func() bool { return w.Stats().Written.Records == int64(i) })
	pub.mu.Lock()
	open := pub.parts[0].cur != nil
	pub.mu.Unlock()
	if open || pub.outs[0].held.Load() {
		t.Fatal("frame still open after the writer went idle")
	}
	// An idle writer gets every frame at once: no holding at low rates.
	for j := 0; j < 20; j, i = j+1, i+1 {
		waitFor(t, "the writer to go idle", func() bool { return !w.Busy() })
		before := pub.Stats().Frames
		pub.Publish(recs[i : i+1])
		idleFlush()
		if got := pub.Stats().Frames; got != before+1 {
			t.Fatalf("record %d: %d frames sent to an idle writer, want 1", j, got-before)
		}
	}
}

// allocsPerFrame measures the allocations of publishing one frame of
// size records and writing it to one subscriber (publish → stamp → batch
// → fan-out → writer → socket), the subscriber reading without
// allocating.
func allocsPerFrame(t testing.TB, size int, rewind int64) float64 {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 1, Heartbeat: -1, Linger: -1, Rewind: rewind})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := rawSub(t, pubEndpoint(t, pub))
	go func() {
		buf := make([]byte, 256<<10)
		for {
			if _, err := sub.Read(buf); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	w := (*pub.outs[0].conns.Load())[0].w
	recs := genRecords(t, size)
	sent := int64(0)
	one := func() {
		pub.Publish(recs)
		pub.Flush()
		sent++
		for w.Stats().Written.Frames < sent {
			runtime.Gosched()
		}
	}
	for i := 0; i < 50; i++ {
		one()
	}
	return testing.AllocsPerRun(300, one)
}

// TestPublishAllocsPerFrame pins the allocations per frame on the
// publisher's path at their measured value, none: full frames are pooled,
// and small ones are right-sized into pooled buffers by size class (see
// rightSize).
func TestPublishAllocsPerFrame(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	// The rewind window holds references to the pooled frames: once it is
	// full (the warm-up fills a 16 KiB one), every frame it evicts goes
	// back to the pool, so the window costs no allocation either.
	for _, c := range []struct {
		records int
		rewind  int64
		want    float64
	}{{500, -1, 0}, {20, -1, 0}, {3, -1, 0}, {500, 16 << 10, 0}, {20, 16 << 10, 0}, {3, 16 << 10, 0}} {
		if got := allocsPerFrame(t, c.records, c.rewind); got > c.want {
			t.Errorf("frames of %d records, rewind %d: %.2f allocations per frame, want at most %v", c.records, c.rewind, got, c.want)
		} else {
			t.Logf("frames of %d records, rewind %d: %.2f allocations per frame", c.records, c.rewind, got)
		}
	}
}

// BenchmarkPublishFrame reports the cost and allocations of one frame on
// the publish → fan-out path.
//
//	go test -run XXX -bench PublishFrame -benchmem ./shard
func BenchmarkPublishFrame(b *testing.B) {
	for _, size := range []int{20, 500} {
		b.Run(map[int]string{20: "records=20", 500: "records=500"}[size], func(b *testing.B) {
			// Lossless, so the loop is paced by the subscriber instead of
			// dropping at the HWM.
			pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 1, Heartbeat: -1, Linger: -1, Lossless: true})
			if err != nil {
				b.Fatal(err)
			}
			defer pub.Close()
			sub := rawSub(b, pubEndpoint(b, pub))
			go io.Copy(io.Discard, bufio.NewReaderSize(sub, 256<<10))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pub.WaitSubscribers(ctx, 1)
			w := (*pub.outs[0].conns.Load())[0].w
			recs := genRecords(b, size)
			b.ReportAllocs()
			b.SetBytes(int64(size * 100))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pub.Publish(recs)
				pub.Flush()
			}
			for st := w.Stats(); st.Written.Frames+st.Dropped.Frames < int64(b.N); st = w.Stats() {
				runtime.Gosched()
			}
		})
	}
}

// TestIdlePublisherAnswersPing: with nothing to publish (heartbeats off),
// a subscriber's ZMTP PING is answered at once — libzmq's
// ZMQ_HEARTBEAT_TIMEOUT and bbox's own subscriber liveness rely on it.
func TestIdlePublisherAnswersPing(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Heartbeat: -1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := subscribedRaw(t, pub)
	br := bufio.NewReader(sub)
	for i := 0; i < 3; i++ {
		// PING: TTL 1s (in tenths), context "c<i>".
		if _, err := sub.Write([]byte{0x04, 9, 4, 'P', 'I', 'N', 'G', 0, 10, 'c', byte('0' + i)}); err != nil {
			t.Fatal(err)
		}
		sub.SetReadDeadline(time.Now().Add(10 * time.Second))
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatalf("ping %d: no answer: %v", i, err)
		}
		body := make([]byte, hdr[1])
		if _, err := io.ReadFull(br, body); err != nil || hdr[0] != 0x04 || string(body[:5]) != "\x04PONG" {
			t.Fatalf("ping %d: got flags %#x %q (%v), want a PONG command", i, hdr[0], body, err)
		}
	}
}

// TestPublisherCloseLeavesNoGoroutines: Close returns only when every
// connection's reader and writer, the listener and the background
// goroutine have exited.
func TestPublisherCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range pub.Endpoints() {
		c := rawSub(t, strings.TrimPrefix(ep, "tcp://"))
		go io.Copy(io.Discard, c)
	}
	silentSub(t, pub.Endpoints()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The dialers' handshakes are done; the publisher's accepting side
	// may still be finishing one: wait until it holds all three.
	waitFor(t, "the publisher to hold three connections", func() bool { return len(pub.Stats().Conns) == 3 })
	pub.Publish(genRecords(t, 1000))
	pub.Close()
	if st := pub.Stats(); len(st.Conns) != 3 || st.Shards[0].Closed["shutdown"]+st.Shards[1].Closed["shutdown"] != 3 {
		t.Fatalf("after Close: %+v", st)
	}
}
