package zmqx

// The read side of a Peer. Every frame header is parsed once, by the
// guard's peekHeader (which vets it and swallows PINGs) or, for a message
// MessageBuffered looked at first, by its look-ahead; the receive
// methods below are thin forms of one reader, recv. Only the NULL
// mechanism is used by bbox, so frames need no decryption. One goroutine
// reads.

// ErrBadCommand reports a malformed ZMTP command: one with MORE set or
// inside a message (ZMTP 3 commands are single frames), a name that does
// not fit its frame, or (for Recv) a body over 64 KiB. The connection is
// closed and the frame counted in Counters.BadFrames.
var ErrBadCommand = &guardError{"peer sent a malformed ZMTP command"}

// Msg is one message or command from Recv or RecvMsg.
type Msg struct {
	Frames [][]byte // a message's frames; none for a command
	Cmd    string   // a command's name; "" for a message
	Body   []byte   // a command's data
}

// IsCommand reports whether m is a ZMTP command rather than a message.
func (m Msg) IsCommand() bool { return m.Cmd != "" }

// RecvMsg reads the next message or command into new buffers.
func (p *Peer) RecvMsg() (Msg, error) { return p.Recv(nil, nil) }

// Recv reads the next message or command: a message's frames into
// buffers from alloc(i, n) (frame i, n bytes; nil allocates each), so a
// reader can receive into pooled memory (zmq4 allocates every frame at its
// size, which at millions of records a second keeps the garbage collector
// busy). Frame sizes are vetted by the guard before alloc is called.
func (p *Peer) Recv(dst [][]byte, alloc func(i, n int) []byte) (Msg, error) {
	frames, b, cmd, err := p.recv(dst, alloc, true, false)
	if err != nil || !cmd {
		return Msg{Frames: frames}, err
	}
	// recv checked that the name fits.
	return Msg{Cmd: string(b[1 : 1+b[0]]), Body: b[1+b[0]:]}, nil
}

// RecvMessage is Recv for a read loop that only needs to know a command
// came (a PONG proves a silent peer alive): for a command it returns cmd
// true and no frames, the body discarded unread.
func (p *Peer) RecvMessage(dst [][]byte, alloc func(i, n int) []byte) (frames [][]byte, cmd bool, err error) {
	frames, _, cmd, err = p.recv(dst, alloc, false, false)
	return frames, cmd, err
}

// LendReads makes p read the socket into buffers from mem (each of at
// least n bytes, with one reference for p), so that RecvLent can hand out
// frames that alias them instead of copying each out. Call it from the
// reading goroutine, between messages, after the handshake.
func (p *Peer) LendReads(mem func(n int) ReadMem) { p.g.br.lendFrom(mem) }

// EndLending undoes LendReads, dropping p's reference to the buffer it
// reads into; frames already lent stay valid for whoever retained theirs.
func (p *Peer) EndLending() { p.g.br.endLending() }

// RecvLent is RecvMessage for a Peer that lends (LendReads): the frames
// of a message alias the read-ahead buffer LentFrom returns, which holds
// them all. They stay valid until the next receive; to keep them longer,
// Retain that buffer (and Release it when done). A message bigger than
// the buffer is read into a bigger one.
func (p *Peer) RecvLent(dst [][]byte) (frames [][]byte, cmd bool, err error) {
	g := p.g
	if g.br.mem == nil {
		return dst[:0], false, errNotLending
	}
	// Everything recv will touch must be buffered before it lends the
	// first frame: a read after that could move the buffer under it.
	for {
		need, whole := g.extent()
		if !whole {
			if err := g.br.fill(need); err != nil {
				return dst[:0], false, err
			}
			continue
		}
		if !g.pingAtFront() { // recv would swallow it and read on, unmeasured
			break
		}
	}
	frames, _, cmd, err = p.recv(dst, nil, false, true)
	return frames, cmd, err
}

// LentFrom is the buffer the frames of the last RecvLent alias.
func (p *Peer) LentFrom() ReadMem { return p.g.br.cur }

// recv reads one message into buffers from alloc (or, with lend, as
// slices of the read-ahead buffer that already holds it whole), or one
// command, whose frame (name size, name, data) it returns in body if keep
// is set and otherwise discards unread.
func (p *Peer) recv(dst [][]byte, alloc func(i, n int) []byte, keep, lend bool) (frames [][]byte, body []byte, cmd bool, err error) {
	g := p.g
	dst = dst[:0]
	for {
		h, err := g.nextHeader()
		if err != nil {
			return dst, nil, false, err
		}
		if h.command() {
			if h.more() || len(dst) > 0 || (keep && h.size > maxCommand) {
				return dst[:0], nil, false, g.fail(ErrBadCommand, badFrames)
			}
			if !keep {
				err := g.readBody(nil, int(h.size))
				return dst, nil, err == nil, err
			}
			b := make([]byte, h.size)
			if err := g.readBody(b, len(b)); err != nil {
				return dst, nil, false, err
			}
			if len(b) < 2 || b[0] == 0 || int(b[0]) > len(b)-1 {
				return dst, nil, false, g.fail(ErrBadCommand, badFrames)
			}
			return dst, b, true, nil
		}
		var b []byte
		switch {
		case lend:
			if uint64(g.br.Buffered()) < h.size {
				// RecvLent buffered the whole message: this cannot happen.
				return dst[:0], nil, false, g.fail(ErrBadFrame, badFrames)
			}
			b = g.br.lend(int(h.size))
		case alloc != nil:
			b = alloc(len(dst), int(h.size))
		default:
			b = make([]byte, h.size)
		}
		if !lend {
			if err := g.readBody(b, len(b)); err != nil {
				return dst, nil, false, err
			}
		}
		dst = append(dst, b)
		if !h.more() {
			return dst, nil, false, nil
		}
	}
}

// What a subscriber's read loop needs beyond RecvLent: to know whether
// another whole message already sits in the read-ahead buffer, so one
// socket read can be handled, and delivered, as one unit.

// MessageBuffered reports whether a complete data message (commands
// before it skipped) is already in the read-ahead buffer, so that reading
// it makes no system call, and how many frame bytes it holds. Call it only
// between messages, from the reading goroutine.
func (p *Peer) MessageBuffered() (size int, ok bool) { return p.g.lookAhead() }
