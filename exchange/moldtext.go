package exchange

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/moldudp64"
)

// lineNames are lines as a log or report names them: "G:P%nic and G2:P2".
func lineNames(lines []moldudp64.Line) string {
	var s []string
	for _, l := range lines {
		s = append(s, l.String())
	}
	return strings.Join(s, " and ")
}

// Joined says what a live source joins, for the log line of its start:
// its lines and its rewind server (or that gaps will be lost).
func (c *LiveConfig) Joined() string {
	rw := "no rewind server: gaps on every line are lost"
	if c.Receiver.Rewind != "" {
		rw = "rewind " + c.Receiver.Rewind
	}
	return fmt.Sprintf("joined %s; %s", lineNames(c.Receiver.Lines), rw)
}

// StatusText is a live feed's part of a status line: the next sequence
// number, each line's packets, duplicates and gaps, what was recovered
// and what was lost.
func (s *LiveStats) StatusText() string {
	var b strings.Builder
	fmt.Fprintf(&b, " | mold next %d", s.Next)
	for _, l := range s.Lines {
		fmt.Fprintf(&b, " %s %s pkts %s dup %d gaps", l.Name, words.Group(l.Packets), words.Group(l.Duplicates), l.Gaps)
	}
	fmt.Fprintf(&b, " | recovered %s lost %s", words.Group(s.Recovered), words.Group(s.Lost))
	return b.String()
}

// Warnings says what a live feed's run lost or could not use: messages
// missing on every line, those sent before the join, a feed gone silent,
// messages that are not ITCH 5.0 and malformed packets.
func (s *LiveStats) Warnings() []string {
	var w []string
	g := words.Group
	if s.Lost > 0 {
		w = append(w, fmt.Sprintf("%s messages LOST: missing on every line and not recovered (%d gaps, %d requests, %s recovered)",
			g(s.Lost), s.Gaps, s.Requests, g(s.Recovered)))
	}
	if s.BeforeJoin > 0 {
		w = append(w, fmt.Sprintf("joined at sequence %d: %s earlier messages were sent before the join (not requested)",
			s.BeforeJoin+1, g(int64(s.BeforeJoin))))
	}
	if s.Idle {
		w = append(w, "moldudp64: the feed went silent (idle=): session given up before its end")
	}
	if s.Unknown+s.BadLength > 0 {
		w = append(w, fmt.Sprintf("%s messages are not ITCH 5.0 (%s unknown type, %s wrong length): skipped",
			g(s.Unknown+s.BadLength), g(s.Unknown), g(s.BadLength)))
	}
	if s.Malformed > 0 {
		w = append(w, fmt.Sprintf("%s malformed packets dropped", g(s.Malformed)))
	}
	return w
}

// MoldSend sends a source's records as a MoldUDP64 session (bbox replay
// --mold): a Sender on the spec's lines, fed by SendMold. Run is called
// once; Stats may be called from any goroutine meanwhile.
type MoldSend struct {
	spec SenderSpec
	snd  *moldudp64.Sender
}

// NewMoldSend opens the sender (and its rewind server) and logs, with
// logf, the session, its lines and its request server.
func NewMoldSend(spec SenderSpec, logf func(format string, args ...any)) (*MoldSend, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	spec.Sender.Logf = logf
	snd, err := moldudp64.NewSender(spec.Sender)
	if err != nil {
		return nil, err
	}
	rw := snd.RewindAddr()
	if rw == "" {
		rw = "none"
	}
	logf("moldudp64: session %q on %s; request server %s", spec.Sender.Session.String(), lineNames(spec.Sender.Lines), rw)
	return &MoldSend{spec: spec, snd: snd}, nil
}

// Stats are the sender's counters so far.
func (m *MoldSend) Stats() moldudp64.SenderStats { return m.snd.Stats() }

// Close closes the sender.
func (m *MoldSend) Close() error { return m.snd.Close() }

// Run sends every record of src at its own pacing, ends the session and
// lingers for requests (SendMold), and reports what went out. ctx ending
// stops it without an error.
func (m *MoldSend) Run(ctx context.Context, src feed.Source) (*MoldSendReport, error) {
	t0 := time.Now()
	n, err := SendMold(ctx, src, m.snd, m.spec.Linger)
	secs := time.Since(t0).Seconds()
	if err != nil {
		return nil, err
	}
	return &MoldSendReport{Command: "replay", RecordsPublished: n, ThroughputRPS: float64(n) / secs, Seconds: secs, Mold: m.snd.Stats(),
		lines: lineNames(m.spec.Sender.Lines)}, nil
}

// MoldSendReport is what a MoldUDP64 session sent (its JSON is bbox
// replay --mold --json's object).
type MoldSendReport struct {
	Command          string                `json:"command"`
	RecordsPublished int64                 `json:"records_published"`
	ThroughputRPS    float64               `json:"throughput_rps"`
	Seconds          float64               `json:"seconds"`
	Mold             moldudp64.SenderStats `json:"moldudp64"`

	lines string
}

// WriteText writes the report for a person: what was sent on which
// lines, what the rewind server answered, and any test drops.
func (r *MoldSendReport) WriteText(w io.Writer) {
	st := &r.Mold
	fmt.Fprintf(w, "replay: %s messages sent as MoldUDP64 session %q in %s packets on %s (%.1fs, %s msg/s)\n",
		words.Group(r.RecordsPublished), st.Session, words.Group(st.Packets), r.lines, r.Seconds, words.RateFixed(r.ThroughputRPS))
	fmt.Fprintf(w, "  rewind   %s answered with %s, %s unavailable\n", words.Count(st.Requests, "request", "requests"),
		words.Count(st.Retransmitted, "message", "messages"), words.Group(st.Unavailable))
	if st.Dropped != nil {
		fmt.Fprintf(w, "  test drops: %s; %s on no line\n", DropsText(st.Dropped), words.Count(st.DroppedBoth, "message", "messages"))
	}
}

// DropsText names the packets left out on purpose, per line: "5 packets
// left out of line A, 3 of line B".
func DropsText(perLine []int64) string {
	parts := make([]string, len(perLine))
	for i, n := range perLine {
		line := string(rune('A' + i))
		if i == 0 {
			parts[i] = words.Count(n, "packet", "packets") + " left out of line " + line
		} else {
			parts[i] = words.Group(n) + " of line " + line
		}
	}
	return strings.Join(parts, ", ")
}
