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
	frames, b, cmd, err := p.recv(dst, alloc, true)
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
	frames, _, cmd, err = p.recv(dst, alloc, false)
	return frames, cmd, err
}

// recv reads one message into buffers from alloc, or one command, whose
// frame (name size, name, data) it returns in body if keep is set and
// otherwise discards unread.
func (p *Peer) recv(dst [][]byte, alloc func(i, n int) []byte, keep bool) (frames [][]byte, body []byte, cmd bool, err error) {
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
		if alloc != nil {
			b = alloc(len(dst), int(h.size))
		} else {
			b = make([]byte, h.size)
		}
		if err := g.readBody(b, len(b)); err != nil {
			return dst, nil, false, err
		}
		dst = append(dst, b)
		if !h.more() {
			return dst, nil, false, nil
		}
	}
}

// What a subscriber's read loop needs beyond RecvMessage: to know whether
// another whole message already sits in the read-ahead buffer, so one
// socket read can be handled, and delivered, as one unit.

// Buffered is the number of bytes read from the socket and not yet consumed.
func (p *Peer) Buffered() int { return len(p.g.buffered()) }

// MessageBuffered reports whether a complete data message (commands
// before it skipped) is already in the read-ahead buffer, so that reading
// it makes no system call, and how many frame bytes it holds. Call it only
// between messages, from the reading goroutine.
func (p *Peer) MessageBuffered() (size int, ok bool) { return p.g.lookAhead() }
