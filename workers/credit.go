package workers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// The credit protocol between `bbox sub --push` and `bbox worker`
// (docs/wire.md, "Worker credit"). Credit is a ZMTP command, which libzmq
// drops without delivering it, so a libzmq PUSH that a bbox worker connects
// to ignores it; a libzmq PULL that never sends credit is served as a plain
// PULL and never sees the end-of-stream reason (sent to credit workers
// only, as a two-part message: endMarker, then code and reason).
const (
	// cmdCredit (worker → dispatcher) announces the worker's window and
	// acknowledges, cumulatively, what it has handled on this connection.
	cmdCredit = "BBCREDIT"

	creditVersion = 1
	creditLen     = 1 + 4 + 8 + 8
	maxReason     = 1024
)

// End codes carried by the end-of-stream reason message.
const (
	endFinished byte = 0 // the subscriber finished: everything was sent
	endAborted  byte = 1 // the subscriber croaked: what is queued is stale
)

// credit is one BBCREDIT body: window is how many batches the worker can
// hold beyond those it has handled; batches and records count what it
// has handled on this connection since it was opened.
type credit struct {
	window  uint32
	batches uint64
	records uint64
}

func (c credit) marshal() []byte {
	b := make([]byte, 0, creditLen)
	b = append(b, creditVersion)
	b = binary.LittleEndian.AppendUint32(b, c.window)
	b = binary.LittleEndian.AppendUint64(b, c.batches)
	return binary.LittleEndian.AppendUint64(b, c.records)
}

func parseCredit(b []byte) (credit, error) {
	if len(b) < creditLen {
		return credit{}, fmt.Errorf("%s: %d bytes, want %d", cmdCredit, len(b), creditLen)
	}
	if b[0] != creditVersion {
		return credit{}, fmt.Errorf("%s: version %d, want %d", cmdCredit, b[0], creditVersion)
	}
	return credit{
		window:  binary.LittleEndian.Uint32(b[1:]),
		batches: binary.LittleEndian.Uint64(b[5:]),
		records: binary.LittleEndian.Uint64(b[13:]),
	}, nil
}

func marshalEnd(code byte, reason string) []byte {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	return append([]byte{code}, reason...)
}

func parseEnd(b []byte) (code byte, reason string, err error) {
	if len(b) < 1 {
		return 0, "", errors.New("end-of-stream reason: empty body")
	}
	return b[0], string(b[1:]), nil
}

// zmtpMsg is one message or command read by readZMTP.
type zmtpMsg struct {
	cmd    bool
	name   string   // command name
	body   []byte   // command body
	frames [][]byte // message frames
}

var (
	errBadCommand = errors.New("malformed ZMTP command")
	errTooLarge   = errors.New("ZMTP frame over the size limit")
)

// maxCommand bounds a command's body: bbox's own are a few bytes.
const maxCommand = 64 << 10

// readPeer reads the next message or command from p. The guard under p
// has vetted frame sizes and swallowed PINGs.
func readPeer(p *zmqx.Peer, alloc func(n int) []byte) (zmtpMsg, error) {
	return readZMTP(p, 1<<62, alloc)
}

// readZMTP reads the next ZMTP message or command from r (zmq4's RecvMsg
// drops command names, and bbox needs them). A frame over limit bytes, or
// a command over maxCommand, is an error; alloc supplies message frames.
func readZMTP(r io.Reader, limit uint64, alloc func(n int) []byte) (zmtpMsg, error) {
	var m zmtpMsg
	var hdr [9]byte
	for more := true; more; {
		if _, err := io.ReadFull(r, hdr[:2]); err != nil {
			return m, err
		}
		flags, size := hdr[0], uint64(hdr[1])
		if flags&0x02 != 0 {
			if _, err := io.ReadFull(r, hdr[2:9]); err != nil {
				return m, err
			}
			size = binary.BigEndian.Uint64(hdr[1:9])
		}
		more = flags&0x01 != 0
		isCmd := flags&0x04 != 0
		if size > limit || (isCmd && size > maxCommand) {
			return m, errTooLarge
		}
		var b []byte
		if isCmd {
			b = make([]byte, size)
		} else {
			b = alloc(int(size))
		}
		if _, err := io.ReadFull(r, b); err != nil {
			return m, err
		}
		if isCmd {
			if more || len(m.frames) > 0 || len(b) < 1 || int(b[0]) > len(b)-1 {
				return m, errBadCommand
			}
			m.cmd, m.name, m.body = true, string(b[1:1+b[0]]), b[1+b[0]:]
			return m, nil
		}
		m.frames = append(m.frames, b)
	}
	return m, nil
}
