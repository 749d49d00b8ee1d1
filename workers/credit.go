package workers

import (
	"encoding/binary"
	"errors"
	"fmt"

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

// zmtpMsg is one message or command read by readPeer.
type zmtpMsg struct {
	cmd    bool
	name   string   // command name
	body   []byte   // command body
	frames [][]byte // message frames
}

// readPeer reads the next message or command from p (zmq4's RecvMsg drops
// command names, and bbox needs them). The guard under p has vetted frame
// sizes and swallowed PINGs; a malformed command is zmqx.ErrBadCommand.
func readPeer(p *zmqx.Peer, alloc func(n int) []byte) (zmtpMsg, error) {
	m, err := p.Recv(nil, func(_, n int) []byte { return alloc(n) })
	return zmtpMsg{cmd: m.IsCommand(), name: m.Cmd, body: m.Body, frames: m.Frames}, err
}
