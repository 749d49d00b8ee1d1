package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// Bounds per console: an alert is a few hundred bytes, so 4 MiB is
// thousands of events behind before one is dropped, and a console that
// takes nothing for 2s is cut off rather than left to hold its queue.
const (
	consoleHWM     = 4 << 20
	consoleTimeout = 2 * time.Second
)

// Pub publishes events on a bound ZeroMQ PUB endpoint, as the two-frame
// message [Topic+Kind][JSON of Event], to every console whose subscription
// matches. Each console has its own zmqx.Writer with a bounded queue, so a
// stuck console never delays the process that squawks: past the bound its
// events are dropped (logged), and a write that makes no progress within
// 2s disconnects it. Safe for concurrent use.
type Pub struct {
	ln   *zmqx.Listener
	name string // "alerts ENDPOINT", for logs
	host string
	logf func(string, ...any)
	hwm  int           // consoleHWM; tests shrink it
	wdl  time.Duration // consoleTimeout; tests lengthen it

	mu      sync.Mutex // serialises conns updates and closing
	conns   atomic.Pointer[[]*console]
	closing bool
	wg      sync.WaitGroup // the accept loop and every console's reader
}

// console is one connected console.
type console struct {
	pub  *Pub
	peer *zmqx.Peer
	w    *zmqx.Writer
	subs atomic.Pointer[[][]byte]
}

// NewPub binds endpoint; the error names it. logf (nil: silent) reports
// consoles that fall behind or go away.
func NewPub(endpoint string, o zmqx.Options, logf func(string, ...any)) (*Pub, error) {
	return newPub(endpoint, o, logf, consoleHWM, consoleTimeout)
}

func newPub(endpoint string, o zmqx.Options, logf func(string, ...any), hwm int, wdl time.Duration) (*Pub, error) {
	ep, err := zmqx.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err // names the endpoint
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ln, err := zmqx.Listen(ep, o)
	if err != nil {
		return nil, err // "bind ENDPOINT: why"
	}
	host, _ := os.Hostname()
	a := &Pub{ln: ln, name: "alerts " + ep.Raw, host: host, logf: logf, hwm: hwm, wdl: wdl}
	a.conns.Store(&[]*console{})
	a.wg.Add(1)
	go func() { defer a.wg.Done(); ln.Serve(zmq4.Pub, a.add) }()
	return a, nil
}

// Endpoint is the bound endpoint (with the real port).
func (a *Pub) Endpoint() string { return a.ln.Endpoint() }

func (a *Pub) add(p *zmqx.Peer) {
	c := &console{pub: a, peer: p}
	c.subs.Store(&[][]byte{})
	w, err := zmqx.NewWriter(p, zmqx.WriterConfig{MaxBytes: a.hwm, Full: zmqx.FullDrop, WriteTimeout: a.wdl,
		OnHWM: c.overHWM, OnClose: c.closed})
	if err != nil { // a config we built: cannot happen, but never leak the peer
		p.Close()
		a.logf("%s: console %s: %v", a.name, p.Remote, err)
		return
	}
	c.w = w
	a.mu.Lock()
	if a.closing {
		a.mu.Unlock()
		w.Close(zmqx.Shutdown, "alerts closed")
		<-w.Done()
		return
	}
	next := append(append([]*console(nil), *a.conns.Load()...), c)
	a.conns.Store(&next)
	a.wg.Add(1)
	a.mu.Unlock()
	go c.readLoop()
}

// Publish queues ev for every subscribed console. Host, PID and Time are
// filled in when zero. On a nil *Pub (Open of no endpoint) it does nothing.
func (a *Pub) Publish(ev Event) {
	if a == nil {
		return
	}
	if ev.Host == "" {
		ev.Host = a.host
	}
	if ev.PID == 0 {
		ev.PID = os.Getpid()
	}
	if ev.Time == 0 {
		ev.Time = time.Now().UnixNano()
	}
	body, _ := json.Marshal(ev)
	f := zmqx.NewFrame([]byte(Topic+ev.Kind), body, 0)
	for _, c := range *a.conns.Load() {
		if c.matches(f.Prefix) {
			c.w.Send(f) // FullDrop: never blocks
		}
	}
	f.Unref()
}

// Consoles is the number of connected, subscribed consoles.
func (a *Pub) Consoles() int {
	n := 0
	for _, c := range *a.conns.Load() {
		if len(*c.subs.Load()) > 0 {
			n++
		}
	}
	return n
}

// Close waits up to d for every console to have taken what was published
// (so a croak's event is delivered before the process exits), then
// disconnects them and returns when every connection's goroutines have
// exited. On a nil *Pub it does nothing.
func (a *Pub) Close(d time.Duration) {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for _, c := range *a.conns.Load() {
		c.w.Drain(ctx) // a console that goes meanwhile has nothing left to wait for
	}
	a.mu.Lock()
	a.closing = true
	conns := *a.conns.Load()
	a.mu.Unlock()
	a.ln.Close()
	for _, c := range conns {
		c.w.Close(zmqx.Shutdown, "alerts closed")
	}
	for _, c := range conns {
		<-c.w.Done()
	}
	a.wg.Wait()
}

func (c *console) matches(topic []byte) bool {
	for _, s := range *c.subs.Load() {
		if bytes.HasPrefix(topic, s) {
			return true
		}
	}
	return false
}

// readLoop applies subscription messages ([1|0][prefix], as a ZMTP 3.0
// SUB sends them) until the console goes. Reading is also what lets the
// guard see (and the writer answer) PINGs.
func (c *console) readLoop() {
	defer c.pub.wg.Done()
	for {
		m, err := c.peer.RecvMsg()
		if err != nil {
			c.w.Close(zmqx.ReadCloseReason(err))
			return
		}
		if m.IsCommand() || len(m.Frames) != 1 || len(m.Frames[0]) == 0 || m.Frames[0][0] > 1 {
			continue
		}
		b := m.Frames[0]
		topic := b[1:]
		var next [][]byte
		for _, s := range *c.subs.Load() {
			if !bytes.Equal(s, topic) {
				next = append(next, s)
			}
		}
		if b[0] == 1 {
			next = append(next, topic)
		}
		c.subs.Store(&next)
	}
}

// overHWM reports the start of a drop episode.
func (c *console) overHWM(int) {
	c.pub.logf("%s: slow console %s: over the high-water mark (%d bytes queued): dropping its events",
		c.pub.name, c.peer.Remote, c.pub.hwm)
}

// closed runs once on the writer goroutine when the connection has ended.
func (c *console) closed(info zmqx.CloseInfo) {
	a := c.pub
	a.mu.Lock()
	old := *a.conns.Load()
	next := make([]*console, 0, len(old))
	for _, o := range old {
		if o != c {
			next = append(next, o)
		}
	}
	a.conns.Store(&next)
	closing := a.closing
	a.mu.Unlock()
	if closing {
		return
	}
	msg := fmt.Sprintf("%s: console %s %s", a.name, c.peer.Remote, info)
	if d := info.Discarded; d.Frames > 0 {
		msg += fmt.Sprintf("; discarded %d events still queued for it", d.Frames)
	}
	a.logf("%s", msg)
}
