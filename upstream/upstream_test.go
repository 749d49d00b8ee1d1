package upstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

func le64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

func TestParseUpstreamMessage(t *testing.T) {
	const recv = 1_700_000_000_000_000_000
	long := bytes.Repeat([]byte("T"), 256)
	maxPayload := make([]byte, MaxBody-4)
	f := func(name string, frames [][]byte, want upClass, wantTS int64) {
		t.Helper()
		m, class, why := parseUpstream(frames, recv)
		if class != want {
			t.Fatalf("%s: class %d (%s), want %d", name, class, why, want)
		}
		if (class == upOK) != (why == "") {
			t.Fatalf("%s: class %d with reason %q", name, class, why)
		}
		if class != upOK {
			return
		}
		if !bytes.Equal(m.topic, frames[0]) || !bytes.Equal(m.payload, frames[1]) || m.ts != wantTS {
			t.Fatalf("%s: got %q %q %d, want %q %q %d", name, m.topic, m.payload, m.ts, frames[0], frames[1], wantTS)
		}
	}
	f("plain", [][]byte{[]byte("AAPL"), []byte("x")}, upOK, recv)
	f("empty payload", [][]byte{[]byte("AAPL"), {}}, upOK, recv)
	f("binary", [][]byte{{0, 1, 0xff}, {0, 0, 0}}, upOK, recv)
	f("timestamp", [][]byte{[]byte("MSFT"), []byte("y"), le64(12345)}, upOK, 12345)
	f("255-byte topic", [][]byte{long[:255], []byte("y")}, upOK, recv)
	f("largest", [][]byte{[]byte("ABCD"), maxPayload}, upOK, recv)
	f("no frames", nil, upMalformed, 0)
	f("one frame", [][]byte{[]byte("AAPL payload")}, upMalformed, 0)
	f("four frames", [][]byte{[]byte("A"), {}, le64(1), {}}, upMalformed, 0)
	f("short timestamp", [][]byte{[]byte("A"), {}, {1, 2, 3}}, upMalformed, 0)
	f("zero timestamp", [][]byte{[]byte("A"), {}, le64(0)}, upMalformed, 0)
	f("negative timestamp", [][]byte{[]byte("A"), {}, le64(-5)}, upMalformed, 0)
	f("empty topic", [][]byte{{}, []byte("x")}, upBadTopic, 0)
	f("256-byte topic", [][]byte{long, []byte("x")}, upBadTopic, 0)
	f("too large", [][]byte{[]byte("ABCD"), append(maxPayload, 0)}, upTooLarge, 0)
}

// FuzzParseUpstream: any message is either dropped with a reason or yields
// a record that the wire format (with a worker frame's sequence) carries
// and decodes back to the same topic and payload.
func FuzzParseUpstream(f *testing.F) {
	f.Add([]byte("AAPL\x00hello"), uint8(2))
	f.Add([]byte("MSFT\x00p\x00\x01\x02\x03\x04\x05\x06\x07\x08"), uint8(3))
	f.Add([]byte("\x00x"), uint8(2))
	f.Add([]byte("only"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		// Frames are the NUL-separated parts of data, at most n of them
		// (the last keeps its NULs, so payloads can hold any byte).
		frames := bytes.SplitN(data, []byte{0}, int(n%5))
		m, class, why := parseUpstream(frames, 99)
		if class != upOK {
			if why == "" {
				t.Fatalf("dropped %q without a reason", frames)
			}
			return
		}
		var e feed.Encoder
		e.Reset(nil, feed.Header{Flags: feed.FlagSeq, Partition: 1, Partitions: 2, FirstSeq: 1})
		r := feed.Record{Topic: m.topic, Payload: m.payload, SourceTS: m.ts, Seq: 7, Kind: 'M'}
		if err := e.Append(&r); err != nil {
			t.Fatalf("accepted %d-byte topic, %d-byte payload that the encoder refuses: %v", len(m.topic), len(m.payload), err)
		}
		recs, _, err := feed.DecodeFrame(e.Finish(), nil)
		if err != nil || len(recs) != 1 || !bytes.Equal(recs[0].Topic, frames[0]) || !bytes.Equal(recs[0].Payload, frames[1]) || recs[0].SourceTS != m.ts {
			t.Fatalf("round trip of %q: %v %v", frames, recs, err)
		}
	})
}

func TestParseUpstreamSpelling(t *testing.T) {
	f := func(spec string, want Config, wantErr string) {
		t.Helper()
		got, err := Parse(spec)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("%q: error %v, want one containing %q", spec, err, wantErr)
			}
			if !strings.Contains(err.Error(), spec) {
				t.Fatalf("%q: error %q does not name the spelling", spec, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if got.Endpoint != want.Endpoint || strings.Join(got.Topics, "|") != strings.Join(want.Topics, "|") ||
			got.Kind != want.Kind || got.Heartbeat != want.Heartbeat || got.Timeout != want.Timeout {
			t.Fatalf("%q: got %+v, want %+v", spec, got, want)
		}
	}
	f("zmq+tcp://127.0.0.1:5556", Config{Endpoint: "tcp://127.0.0.1:5556"}, "")
	f("zmq+ipc:///tmp/feed.sock", Config{Endpoint: "ipc:///tmp/feed.sock"}, "")
	f("zmq+tcp://eth1;10.0.0.5:5556", Config{Endpoint: "tcp://eth1;10.0.0.5:5556"}, "")
	f("zmq+tcp://h:1?topic=AAPL&topic=MS&kind=Q", Config{Endpoint: "tcp://h:1", Topics: []string{"AAPL", "MS"}, Kind: 'Q'}, "")
	f("zmq+tcp://h:1?topic=A%20B&topic=%00", Config{Endpoint: "tcp://h:1", Topics: []string{"A B", "\x00"}}, "")
	f("zmq+tcp://h:1?topic=", Config{Endpoint: "tcp://h:1", Topics: []string{""}}, "")
	f("zmq+tcp://h:1?heartbeat=off", Config{Endpoint: "tcp://h:1", Heartbeat: -1}, "")
	f("zmq+tcp://h:1?heartbeat=200ms&timeout=1s", Config{Endpoint: "tcp://h:1", Heartbeat: 200 * time.Millisecond, Timeout: time.Second}, "")
	f("tcp://h:1", Config{}, "want zmq+tcp://HOST:PORT")
	f("zmq+udp://h:1", Config{}, "unsupported transport")
	f("zmq+tcp://nohost", Config{}, "missing port")
	f("zmq+tcp://h:1?topics=A", Config{}, `unknown option "topics"`)
	f("zmq+tcp://h:1?kind=QQ", Config{}, "one printable ASCII character")
	f("zmq+tcp://h:1?kind=%01", Config{}, "one printable ASCII character")
	f("zmq+tcp://h:1?heartbeat=soon", Config{}, "heartbeat=")
	f("zmq+tcp://h:1?timeout=-1s", Config{}, "timeout=")
	f("zmq+tcp://h:1?heartbeat=2s&timeout=1s", Config{}, "must be longer than the heartbeat")
	f("zmq+tcp://h:1?topic="+strings.Repeat("x", 256), Config{}, "topics are at most 255")
	f("zmq+tcp://h:1?topic=%zz", Config{}, "options")
}

// FuzzParseUpstreamSpelling: no spelling panics, and an accepted one
// yields a config that NewUpstream accepts.
func FuzzParseUpstreamSpelling(f *testing.F) {
	f.Add("zmq+tcp://127.0.0.1:5556?topic=AAPL&kind=Q&heartbeat=1s&timeout=5s")
	f.Add("zmq+ipc://@feed?heartbeat=off")
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := Parse(spec)
		if err != nil {
			return
		}
		if _, err := New(c); err != nil {
			t.Fatalf("%q parsed to %+v, which NewUpstream refuses: %v", spec, c, err)
		}
	})
}

// fakeUpstream is a ZeroMQ PUB built from zmqx: each connection is handed
// to the test, which decides what it sends.
type fakeUpstream struct {
	ln    *zmqx.Listener
	peers chan *zmqx.Peer
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeUpstream{ln: ln, peers: make(chan *zmqx.Peer, 4)}
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) { f.peers <- p })
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case p := <-f.peers:
				p.Close()
			default:
				return
			}
		}
	})
	return f
}

// accept waits for the next connection and reads its n subscriptions.
func (f *fakeUpstream) accept(t *testing.T, n int) (*zmqx.Peer, []string) {
	t.Helper()
	var p *zmqx.Peer
	select {
	case p = <-f.peers:
	case <-time.After(10 * time.Second):
		t.Fatal("no connection from the upstream source")
	}
	t.Cleanup(func() { p.Close() })
	var subs []string
	p.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(subs) < n {
		m, err := p.RecvMsg()
		if err != nil {
			t.Fatalf("reading subscriptions: %v", err)
		}
		if m.IsCommand() {
			continue
		}
		if len(m.Frames) != 1 || len(m.Frames[0]) == 0 || m.Frames[0][0] != 1 {
			t.Fatalf("not a subscription: %q", m.Frames)
		}
		subs = append(subs, string(m.Frames[0][1:]))
	}
	p.SetReadDeadline(time.Time{})
	return p, subs
}

func send(t *testing.T, p *zmqx.Peer, frames ...[]byte) {
	t.Helper()
	if err := p.Send(frames...); err != nil {
		t.Fatal(err)
	}
}

func newTestUpstream(t *testing.T, cfg Config) *Source {
	t.Helper()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	u, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// nextAll calls Next until it fails and returns copies of the records and
// the error (io.EOF after Records). It runs off the test goroutine.
func nextAll(u *Source) ([]feed.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []feed.Record
	var b feed.Batch
	for {
		b.Reset()
		err := u.Next(ctx, &b)
		for _, r := range b.Recs {
			r.Topic, r.Payload = bytes.Clone(r.Topic), bytes.Clone(r.Payload)
			out = append(out, r)
		}
		if err != nil {
			return out, err
		}
	}
}

type nextResult struct {
	recs []feed.Record
	err  error
}

// goNextAll runs nextAll in its own goroutine (Next blocks while the test
// plays the upstream); wait collects the result on the test goroutine.
func goNextAll(u *Source) func(t *testing.T) []feed.Record {
	res := make(chan nextResult, 1)
	go func() {
		recs, err := nextAll(u)
		res <- nextResult{recs, err}
	}()
	return func(t *testing.T) []feed.Record {
		t.Helper()
		select {
		case r := <-res:
			if r.err != io.EOF {
				t.Fatalf("Next after %d records: %v, want io.EOF", len(r.recs), r.err)
			}
			return r.recs
		case <-time.After(25 * time.Second):
			t.Fatal("Next did not finish")
		}
		return nil
	}
}

func TestUpstreamReceivesAndDropsBadMessages(t *testing.T) {
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), Topics: []string{"AA", "BB"}, Kind: 'Q', Records: 3})
	start := time.Now().UnixNano()
	wait := goNextAll(u)
	p, subs := fu.accept(t, 2)
	if strings.Join(subs, ",") != "AA,BB" {
		t.Fatalf("subscriptions %q, want AA and BB", subs)
	}
	send(t, p, []byte("AA1"), []byte("first"))
	send(t, p, []byte("AA only one frame"))                           // malformed
	send(t, p, []byte("AA"), []byte("p"), []byte("ts?"))              // malformed
	send(t, p, []byte("BB"), []byte("second"), le64(42))              // source time from the upstream
	send(t, p, []byte("CC"), []byte("not subscribed"))                // filtered here: this fake ignores subscriptions
	send(t, p, []byte{}, []byte("empty topic"))                       // bad topic
	send(t, p, []byte("AA"+strings.Repeat("x", 300)), []byte("long")) // bad topic
	send(t, p, []byte("AA"), make([]byte, feed.MaxRecordLen))         // too large
	send(t, p, []byte("AA3"), []byte{0, 1, 2, 0xff})
	send(t, p, []byte("AA4"), []byte("after the limit"))
	got := wait(t)
	end := time.Now().UnixNano()
	want := []struct {
		topic, payload string
	}{{"AA1", "first"}, {"BB", "second"}, {"AA3", "\x00\x01\x02\xff"}}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		r := got[i]
		if string(r.Topic) != w.topic || string(r.Payload) != w.payload || r.Kind != 'Q' {
			t.Fatalf("record %d: %q %q %c, want %q %q Q", i, r.Topic, r.Payload, r.Kind, w.topic, w.payload)
		}
	}
	if got[1].SourceTS != 42 {
		t.Fatalf("source time %d, want the upstream's 42", got[1].SourceTS)
	}
	for _, i := range []int{0, 2} {
		if ts := got[i].SourceTS; ts < start || ts > end {
			t.Fatalf("record %d: source time %d is not a receive time in [%d, %d]", i, ts, start, end)
		}
	}
	var b feed.Batch
	if err := u.Next(context.Background(), &b); err != io.EOF || u.Pending() {
		t.Fatalf("after Records: Next %v, Pending %v; want io.EOF and false", err, u.Pending())
	}
	// Everything before AA3 was read before AA3 was; AA4 may or may not
	// have been, as reading stops once Records are taken.
	st := u.Stats()
	if st.Received < 9 || st.Records != 3 || st.Malformed != 2 || st.BadTopic != 2 || st.TooLarge != 1 || st.Filtered != 1 || st.Connects != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUpstreamReconnects(t *testing.T) {
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), Records: 4, Retry: 10 * time.Millisecond})
	wait := goNextAll(u)
	p, subs := fu.accept(t, 1)
	if len(subs) != 1 || subs[0] != "" {
		t.Fatalf("subscriptions %q, want the empty prefix (everything)", subs)
	}
	send(t, p, []byte("A"), []byte("1"))
	send(t, p, []byte("A"), []byte("2"))
	waitUntil(t, "two messages", func() bool { return u.Stats().Received == 2 })
	p.Close() // the upstream restarts
	p2, _ := fu.accept(t, 1)
	send(t, p2, []byte("A"), []byte("3"))
	send(t, p2, []byte("A"), []byte("4"))
	got := wait(t)
	var payloads []string
	for _, r := range got {
		payloads = append(payloads, string(r.Payload))
	}
	if strings.Join(payloads, ",") != "1,2,3,4" {
		t.Fatalf("payloads %q, want 1..4 across the reconnect", payloads)
	}
	if st := u.Stats(); st.Connects != 2 {
		t.Fatalf("connects %d, want 2", st.Connects)
	}
}

func TestUpstreamHeartbeat(t *testing.T) {
	const hb, timeout = 20 * time.Millisecond, 300 * time.Millisecond
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), Records: 2, Retry: 10 * time.Millisecond,
		Heartbeat: hb, Timeout: timeout})
	wait := goNextAll(u)

	// A quiet upstream that answers PINGs keeps its connection. The source
	// PINGs at most once a heartbeat, so answering four timeouts' worth of
	// PINGs proves at least four timeouts of silence passed, however
	// loaded the box, without a sleep.
	p, _ := fu.accept(t, 1)
	const enough = int(4 * timeout / hb)
	stop := make(chan struct{})
	pongs := make(chan struct{})
	answered := make(chan struct{})
	go func() {
		defer close(pongs)
		go func() { // reading is what lets the guard see PINGs
			for {
				if _, err := p.RecvMsg(); err != nil {
					return
				}
			}
		}()
		n := 0
		for {
			select {
			case <-stop:
				return
			case <-p.Pinged():
			}
			if p.ServicePings() != nil {
				return
			}
			if n++; n == enough {
				close(answered)
			}
		}
	}()
	select {
	case <-answered:
	case <-time.After(30 * time.Second):
		t.Fatalf("fewer than %d PINGs answered", enough)
	}
	close(stop)
	<-pongs
	if st := u.Stats(); st.Connects != 1 || st.Silent != 0 || !st.Connected {
		t.Fatalf("an upstream answering PINGs was dropped: %+v", st)
	}
	send(t, p, []byte("A"), []byte("alive"))

	// Now it stops answering: the source gives up on it and redials.
	p2, _ := fu.accept(t, 1)
	if st := u.Stats(); st.Silent != 1 {
		t.Fatalf("silent disconnects %d, want 1", st.Silent)
	}
	send(t, p2, []byte("A"), []byte("again"))
	got := wait(t)
	if len(got) != 2 || string(got[0].Payload) != "alive" || string(got[1].Payload) != "again" {
		t.Fatalf("records %v", got)
	}
}

func TestUpstreamPending(t *testing.T) {
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), Chunk: 8})
	if u.Pending() {
		t.Fatal("Pending before anything arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	var b feed.Batch
	err := u.Next(ctx, &b) // connects, nothing to read
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || b.Len() != 0 {
		t.Fatalf("Next with nothing sent: %v, %d records", err, b.Len())
	}
	p, _ := fu.accept(t, 1)
	for i := 0; i < 10; i++ {
		send(t, p, []byte("T"), []byte{byte(i)})
	}
	waitUntil(t, "ten queued messages", func() bool { return len(u.ch) == 10 })
	if !u.Pending() {
		t.Fatal("Pending false with ten messages queued")
	}
	f := func(want int, pending bool) {
		t.Helper()
		b.Reset()
		if err := u.Next(context.Background(), &b); err != nil || b.Len() != want || u.Pending() != pending {
			t.Fatalf("Next: %v, %d records, Pending %v; want %d records, Pending %v", err, b.Len(), u.Pending(), want, pending)
		}
	}
	f(8, true)  // a full chunk, more waiting: the publisher keeps batching
	f(2, false) // the rest: the publisher flushes
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if err := u.Next(context.Background(), &b); err == nil {
		t.Fatal("Next after Close succeeded")
	}
}

// BenchmarkUpstreamIngest measures what an Upstream takes from a ZeroMQ
// PUB (86-byte messages over loopback, the sender coalescing its writes)
// against a bare zmqx SUB connection reading the same stream in the same
// run: the ratio is the cost of checking, stamping and queueing.
func BenchmarkUpstreamIngest(b *testing.B) {
	topic, payload := []byte("AAPL.O"), make([]byte, 80)
	serve := func(p *zmqx.Peer, n int) {
		p.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := p.RecvMsg(); err != nil { // the subscription
			return
		}
		p.Coalesce()
		for i := 0; i < n; i++ {
			if p.Send(topic, payload) != nil {
				return
			}
			if i%256 == 255 && p.Flush(5*time.Second) != nil {
				return
			}
		}
		p.Flush(5 * time.Second)
	}
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	n := b.N
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) { serve(p, n) })
	upEP, _ := zmqx.ParseEndpoint(ln.Endpoint())

	// Baseline: a bare SUB reading n messages.
	b.StopTimer()
	raw := time.Now()
	p, err := zmqx.Dial(context.Background(), upEP, zmq4.Sub, zmqx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Subscribe(nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := p.RecvMsg(); err != nil {
			b.Fatal(err)
		}
	}
	rawDur := time.Since(raw)
	p.Close()

	u, err := New(Config{Endpoint: ln.Endpoint(), Records: int64(n)})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	b.SetBytes(int64(len(topic) + len(payload)))
	b.ReportAllocs()
	b.StartTimer()
	start := time.Now()
	var batch feed.Batch
	for got := 0; got < n; {
		batch.Reset()
		if err := u.Next(context.Background(), &batch); err != nil {
			b.Fatal(err)
		}
		got += batch.Len()
	}
	upDur := time.Since(start)
	b.ReportMetric(float64(n)/upDur.Seconds(), "msgs/s")
	b.ReportMetric(rawDur.Seconds()/upDur.Seconds(), "x_bare_sub")
}
