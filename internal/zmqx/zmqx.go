// Package zmqx is bbox's ZeroMQ connection layer: it uses zmq4 for the
// ZMTP handshake (greeting, NULL mechanism, READY) and owns the rest, the
// framing included, because of what zmq4 gets wrong for a market-data
// engine.
//
// Why not zmq4's PUB/SUB/PUSH sockets (measured in DESIGN.md, v0.17.0):
// PUB writes every subscriber in turn with blocking writes from one
// goroutine behind an unbounded queue (one stuck subscriber stops all,
// memory grows without bound); PUSH sends every message to every peer; the
// accept loop handshakes serially, so one silent peer blocks new
// connections; every received frame is allocated at the size the peer
// announces. So bbox accepts and dials net.Conns itself, wraps each in a
// guard (frame-size and greeting checks, coalesced writev) and runs
// zmq4.Open on it for the handshake only: a Peer then reads frames into the
// caller's buffers through one vetted header reader and writes them with
// writev, and does not expose zmq4's Conn. Above that, the socket
// semantics are ours: shard/ fans out to per-subscriber bounded queues, workers/ chooses
// exactly one worker per batch, and every connection is one peer we can
// name, count and drop. Writer (writer.go) is the one per-peer writer both
// of them use: a bounded queue of reference-counted frames, one goroutine
// writing coalesced writevs under a deadline, PONGs, and exact accounting
// of what a closed peer never got, with a typed ClosedState.
//
// Concurrency: a Listener serves connections from its own goroutines and is
// safe for concurrent use. A Peer may be read by one goroutine and written
// by one other goroutine at the same time, not more (with a Writer, its
// goroutine is the one writer). Writer's methods are safe for concurrent
// use. Counters are atomic.
package zmqx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bbox-dev/bbox/internal/sockbuf"
	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// Defaults for Options' zero values.
const (
	DefaultMaxFrame         = 16 << 20
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultDialTimeout      = 2 * time.Second
	DefaultReadBuf          = 256 << 10
)

// Options are per-endpoint connection settings. The zero value is usable.
type Options struct {
	// MaxFrame is the largest ZMTP frame accepted from a peer, in bytes.
	// A bigger announcement closes the connection before any allocation.
	// 0 means DefaultMaxFrame (16 MiB).
	MaxFrame int64
	// HandshakeTimeout bounds the greeting and NULL handshake. 0 means 5s.
	HandshakeTimeout time.Duration
	// DialTimeout bounds one TCP connect. 0 means 2s.
	DialTimeout time.Duration
	// RcvBuf and SndBuf set SO_RCVBUF/SO_SNDBUF before connect/listen;
	// 0 leaves the kernel's default (and its autotuning).
	RcvBuf, SndBuf int
	// ReadBuf is the read-ahead buffer per connection. 0 means 256 KiB.
	ReadBuf int
	// Stats, if set, receives the counts of refused peers and frames.
	Stats *Counters
	// Logf, if set, reports refused peers (one line each).
	Logf func(format string, args ...any)
}

// Validate reports a negative size or timeout: each is a bound, or 0 for
// its default. The configs that hold Options (a publisher's, a
// subscriber's, a dispatcher's...) check them in their own Validate, and
// Listen does; Dial does not, as a redial loop would retry the error.
func (o Options) Validate() error {
	switch {
	case o.MaxFrame < 0 || o.ReadBuf < 0:
		return fmt.Errorf("max frame %d and read buffer %d bytes must not be negative", o.MaxFrame, o.ReadBuf)
	case o.RcvBuf < 0 || o.SndBuf < 0:
		return fmt.Errorf("socket buffers %d and %d bytes must not be negative", o.RcvBuf, o.SndBuf)
	case o.HandshakeTimeout < 0 || o.DialTimeout < 0:
		return fmt.Errorf("handshake timeout %v and dial timeout %v must not be negative", o.HandshakeTimeout, o.DialTimeout)
	}
	return nil
}

func (o *Options) maxFrame() int64 {
	if o.MaxFrame > 0 {
		return o.MaxFrame
	}
	return DefaultMaxFrame
}

func (o *Options) readBuf() int {
	if o.ReadBuf > 0 {
		return o.ReadBuf
	}
	return DefaultReadBuf
}

func (o *Options) handshakeTimeout() time.Duration {
	if o.HandshakeTimeout > 0 {
		return o.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Counters count what the guard refused. All fields are atomic.
type Counters struct {
	Accepted      atomic.Int64  // connections that completed the handshake (either side)
	NotZMTP       atomic.Int64  // peers whose first bytes were not a ZMTP 3 greeting
	Handshake     atomic.Int64  // handshakes that failed or timed out
	Oversize      atomic.Int64  // frames over MaxFrame (connection closed before allocating)
	BadFrames     atomic.Int64  // frames with reserved flag bits set, malformed commands
	LastOversize  atomic.Uint64 // size the last oversize frame announced
	SockBufCapped atomic.Int64  // SO_RCVBUF/SO_SNDBUF requests the kernel capped
}

// Refused is the number of peers or frames refused for any reason.
func (c *Counters) Refused() int64 {
	return c.NotZMTP.Load() + c.Handshake.Load() + c.Oversize.Load() + c.BadFrames.Load()
}

// Endpoint is a parsed ZeroMQ endpoint.
//
//	tcp://HOST:PORT          tcp://*:PORT binds all addresses
//	tcp://SRC;HOST:PORT      SRC is a device (eth1) or a source IP: the
//	                         socket is bound to it (libzmq's spelling)
//	ipc://PATH               a Unix socket; ipc://@NAME is abstract
type Endpoint struct {
	Raw     string
	Network string // "tcp" or "unix"
	Addr    string // host:port or path
	Device  string // SO_BINDTODEVICE interface, "" for none
	Source  string // local IP to bind a dialing socket to, "" for any
}

func (e Endpoint) String() string { return e.Raw }

// ParseEndpoint parses s; the error names s and what is wrong with it.
func ParseEndpoint(s string) (Endpoint, error) {
	ep := Endpoint{Raw: s}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || rest == "" {
		return ep, fmt.Errorf("endpoint %q: want tcp://HOST:PORT or ipc://PATH", s)
	}
	switch scheme {
	case "ipc":
		ep.Network, ep.Addr = "unix", rest
		return ep, nil
	case "tcp":
	default:
		return ep, fmt.Errorf("endpoint %q: unsupported transport %q (want tcp or ipc)", s, scheme)
	}
	ep.Network = "tcp"
	if src, addr, ok := strings.Cut(rest, ";"); ok {
		if src == "" {
			return ep, fmt.Errorf("endpoint %q: empty source before ';'", s)
		}
		if net.ParseIP(src) != nil {
			ep.Source = src
		} else if h, _, err := net.SplitHostPort(src); err == nil && net.ParseIP(h) != nil {
			ep.Source = h
		} else {
			ep.Device = src
		}
		rest = addr
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return ep, fmt.Errorf("endpoint %q: %v", s, err)
	}
	if port == "" || port == "*" {
		port = "0"
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return ep, fmt.Errorf("endpoint %q: port %q: want a number 0..65535 (0 or *: any free port)", s, port)
	}
	if host == "*" {
		host = ""
	}
	ep.Addr = net.JoinHostPort(host, port)
	return ep, nil
}

// ParseEndpoints splits a comma-separated list (a flag value) and parses each.
func ParseEndpoints(list string) ([]Endpoint, error) {
	var out []Endpoint
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ep, err := ParseEndpoint(s)
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no endpoints in %q", list)
	}
	return out, nil
}

// control applies device binding and socket buffers before bind/connect.
func (o *Options) control(ep Endpoint) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if ep.Device != "" {
				if e := syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, ep.Device); e != nil {
					serr = fmt.Errorf("endpoint %q: bind to device %q: %w", ep.Raw, ep.Device, e)
					return
				}
			}
			for _, b := range []struct {
				buf  sockbuf.Buf
				want int
			}{{sockbuf.Rcv, o.RcvBuf}, {sockbuf.Snd, o.SndBuf}} {
				if b.want <= 0 {
					continue
				}
				got, e := sockbuf.Set(int(fd), b.buf, b.want)
				if e != nil {
					serr = fmt.Errorf("endpoint %q: %w", ep.Raw, e)
					return
				}
				if got < b.want && o.Stats != nil {
					o.Stats.SockBufCapped.Add(1)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// Peer is one ZMTP connection after a completed handshake. zmq4 ran the
// handshake; from there on the Peer reads and writes frames itself
// (readloop.go, send.go), through the guard, and exposes only what bbox
// uses: receive (Recv, RecvMsg, RecvMessage), send (Send, SendCmd,
// Subscribe, Ping, ServicePings), coalesced writes (Coalesce, Flush), and
// the connection's life (Close, ResetOnClose, SetReadDeadline).
type Peer struct {
	g      *guardConn
	Remote string // peer address, for counters and logs
	Local  string
}

// Close closes the connection.
func (p *Peer) Close() error { return p.g.Close() }

// Coalesce switches writes to coalescing mode: they are sent by Flush.
// Call it from the writing goroutine, once, before the first coalesced write.
func (p *Peer) Coalesce() { p.g.coalesceWrites() }

// Flush sends coalesced writes; a write that does not finish within d
// returns an error wrapping ErrStuck. After an error, close the peer.
func (p *Peer) Flush(d time.Duration) error { return p.g.Flush(d) }

// Pinged is signalled, without blocking the reader, when the peer sends a
// ZMTP PING. A writer with nothing else to send selects on it and answers
// with ServicePings and Flush: a libzmq peer with ZMQ_HEARTBEAT_TIMEOUT
// drops a connection whose PONG is late.
func (p *Peer) Pinged() <-chan struct{} { return p.g.pinged }

// SetReadDeadline bounds the next reads.
func (p *Peer) SetReadDeadline(t time.Time) error { return p.g.SetReadDeadline(t) }

// ErrPeerPanic reports a peer whose handshake made zmq4 panic; the
// connection is dropped and the process carries on.
var ErrPeerPanic = errors.New("peer's ZMTP made zmq4 panic")

// openZMTP runs zmq4's handshake, turning its panics into errors: zmq4
// v0.17.0 panics on a READY whose Socket-Type it does not know (found by
// FuzzGuard), and a hostile peer must not take the process down.
// The *zmq4.Conn it returns is not kept: after the handshake the Peer
// reads and writes frames itself.
func openZMTP(g *guardConn, typ zmq4.SocketType, server bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrPeerPanic, r)
		}
	}()
	_, err = zmq4.Open(g, null.Security(), typ, zmq4.SocketIdentity(""), server, nil)
	return err
}

func handshake(c net.Conn, typ zmq4.SocketType, server bool, o *Options) (*Peer, error) {
	g := newGuard(c, o)
	c.SetDeadline(time.Now().Add(o.handshakeTimeout()))
	if err := openZMTP(g, typ, server); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	g.handshook.Store(true)
	if o.Stats != nil {
		o.Stats.Accepted.Add(1)
	}
	return &Peer{g: g, Remote: c.RemoteAddr().String(), Local: c.LocalAddr().String()}, nil
}

// Dial connects to ep as a socket of type typ and completes the handshake.
// It makes one attempt; callers own their retry policy.
func Dial(ctx context.Context, ep Endpoint, typ zmq4.SocketType, o Options) (*Peer, error) {
	d := net.Dialer{Timeout: o.DialTimeout, Control: o.control(ep)}
	if d.Timeout == 0 {
		d.Timeout = DefaultDialTimeout
	}
	if ep.Source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ep.Source)}
	}
	c, err := d.DialContext(ctx, ep.Network, ep.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", ep.Raw, err)
	}
	p, err := handshake(c, typ, false, &o)
	if err != nil {
		if o.Stats != nil {
			o.Stats.Handshake.Add(1)
		}
		return nil, fmt.Errorf("connect %s: ZMTP handshake: %w", ep.Raw, err)
	}
	return p, nil
}

// Listener accepts ZMTP peers on one endpoint.
type Listener struct {
	ep   Endpoint
	ln   net.Listener
	opts Options
	wg   sync.WaitGroup // handshakes and handle calls under way

	mu      sync.Mutex
	shaking map[net.Conn]struct{} // connections still in their handshake
	closed  bool
}

// Listen binds ep. For ipc endpoints a stale socket file that nobody
// listens on is replaced, as libzmq does.
func Listen(ep Endpoint, o Options) (*Listener, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("bind %s: %w", ep.Raw, err)
	}
	addr := ep.Addr
	if ep.Source != "" {
		// A listener's local address is its host: tcp://SRC;*:PORT binds
		// SRC, and a source that contradicts the host is a mistake.
		host, port, _ := net.SplitHostPort(addr)
		if host == "" {
			addr = net.JoinHostPort(ep.Source, port)
		} else if ip := net.ParseIP(host); ip == nil || !ip.Equal(net.ParseIP(ep.Source)) {
			return nil, fmt.Errorf("bind %s: source %s and address %s disagree (to bind an address, make it the host)", ep.Raw, ep.Source, host)
		}
	}
	lc := net.ListenConfig{Control: o.control(ep)}
	ln, err := lc.Listen(context.Background(), ep.Network, addr)
	if err != nil && ep.Network == "unix" && errors.Is(err, syscall.EADDRINUSE) && !strings.HasPrefix(ep.Addr, "@") {
		if c, derr := net.DialTimeout("unix", ep.Addr, time.Second); derr == nil {
			c.Close()
		} else if os.Remove(ep.Addr) == nil {
			ln, err = lc.Listen(context.Background(), ep.Network, ep.Addr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", ep.Raw, err)
	}
	return &Listener{ep: ep, ln: ln, opts: o}, nil
}

// Addr is the bound address (useful with port 0).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Endpoint returns the endpoint with the actual bound port, for peers to dial.
func (l *Listener) Endpoint() string {
	if l.ep.Network == "unix" {
		return l.ep.Raw
	}
	prefix := "tcp://"
	if l.ep.Device != "" {
		prefix += l.ep.Device + ";"
	}
	return prefix + l.ln.Addr().String()
}

// Serve accepts connections until Close, handshaking each in its own
// goroutine (so a silent or hostile peer delays nobody) and passing
// completed peers to handle. It returns after Close, once the handle
// calls under way have returned: an owner that waits for Serve knows no
// handle call comes after.
func (l *Listener) Serve(typ zmq4.SocketType, handle func(*Peer)) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				l.wg.Wait()
				return
			}
			time.Sleep(5 * time.Millisecond) // EMFILE and friends: back off, don't spin
			continue
		}
		if !l.shake(c) {
			c.Close()
			continue // closed meanwhile: Accept says so next
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			p, err := handshake(c, typ, true, &l.opts)
			closing := l.shook(c)
			if err != nil {
				if closing {
					return // cut by Close: not the peer's failure
				}
				if l.opts.Stats != nil && !errors.Is(err, ErrNotZMTP) && !errors.Is(err, ErrFrameTooLarge) {
					l.opts.Stats.Handshake.Add(1)
				}
				l.opts.logf("%s: refused peer %s: %v", l.ep.Raw, c.RemoteAddr(), err)
				return
			}
			handle(p)
		}()
	}
}

// shake registers c as in its handshake, unless the listener is closed.
func (l *Listener) shake(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.shaking == nil {
		l.shaking = map[net.Conn]struct{}{}
	}
	l.shaking[c] = struct{}{}
	return true
}

// shook ends c's handshake registration and reports whether the
// listener has been closed.
func (l *Listener) shook(c net.Conn) (closed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.shaking, c)
	return l.closed
}

// Close stops accepting and cuts the handshakes under way, so Serve
// returns without waiting out a silent peer's handshake timeout;
// established peers are the caller's to close.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	for c := range l.shaking {
		c.Close()
	}
	l.mu.Unlock()
	return l.ln.Close()
}
