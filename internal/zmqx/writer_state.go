package zmqx

import (
	"errors"
	"fmt"
)

// ClosedState says why a peer's connection ended, as nats-server's
// ClosedState does: a value to switch on, with the detail in a string
// beside it (WriterStats.Detail, CloseInfo.Detail). Its String is a stable
// snake_case name, also its JSON form.
type ClosedState uint8

const (
	// Open: the connection is still up.
	Open ClosedState = iota
	// ClosedByPeer: the peer hung up or the connection failed on read.
	ClosedByPeer
	// Stuck: a write made no progress within the write deadline.
	Stuck
	// WriteError: a write failed for another reason (reset, broken pipe).
	WriteError
	// HWM: the queue reached its bound under FullClose.
	HWM
	// Shutdown: our side closed it (publisher or dispatcher closing).
	Shutdown
	// ProtocolError: the peer sent what ZMTP or bbox does not allow.
	ProtocolError
	// Aborted: our side gave up on the stream (a subscriber that croaked).
	Aborted
	// Stalled: the peer kept its connection but made no progress by the
	// caller's measure (no acknowledgements within a deadline).
	Stalled
	numClosedStates
)

var closedNames = [numClosedStates]string{"open", "closed_by_peer", "stuck", "write_error", "hwm", "shutdown", "protocol_error", "aborted", "stalled"}

// closedLabels are for people: "stuck: no progress within ...".
var closedLabels = [numClosedStates]string{"connected", "disconnected", "stuck", "write failed", "over the high-water mark", "closed", "protocol error", "aborted", "stalled"}

// ClosedStates lists every state, Open first, for callers that keep a
// counter per reason.
func ClosedStates() []ClosedState {
	out := make([]ClosedState, numClosedStates)
	for i := range out {
		out[i] = ClosedState(i)
	}
	return out
}

func (s ClosedState) String() string {
	if s < numClosedStates {
		return closedNames[s]
	}
	return fmt.Sprintf("closed_state_%d", uint8(s))
}

// Label is the human form: "disconnected", "stuck", "write failed"...
func (s ClosedState) Label() string {
	if s < numClosedStates {
		return closedLabels[s]
	}
	return s.String()
}

// Describe joins the label and a detail: "stuck: no progress ...".
func (s ClosedState) Describe(detail string) string {
	if detail == "" {
		return s.Label()
	}
	return s.Label() + ": " + detail
}

// MarshalText makes a ClosedState its name in JSON.
func (s ClosedState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (s *ClosedState) UnmarshalText(b []byte) error {
	for i, n := range closedNames {
		if n == string(b) {
			*s = ClosedState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown close reason %q", b)
}

// ReadCloseReason classifies the error that ended a peer's read loop:
// refused input (oversize or malformed frames, a peer that made zmq4
// panic) is a ProtocolError, anything else ClosedByPeer.
func ReadCloseReason(err error) (ClosedState, string) {
	if err == nil {
		return ClosedByPeer, "EOF"
	}
	for _, e := range []error{ErrNotZMTP, ErrFrameTooLarge, ErrBadFrame, ErrBadCommand, ErrPeerPanic} {
		if errors.Is(err, e) {
			return ProtocolError, err.Error()
		}
	}
	return ClosedByPeer, err.Error()
}
