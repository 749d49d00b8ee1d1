package exchange

import (
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// TODWindow reads a window of ITCH times of day, from and to (each a
// replay.TimeOfDay such as 09:30 or 15:59:30.5, "" for an open side), as
// Config.FromTOD and Config.ToTOD: times of day in the feed's own zone,
// as ITCH timestamps count from its midnight. A side that does not parse
// is a *replay.WindowError naming it ("from", "to"); a closed window that
// is empty is replay.ErrEmptyWindow.
func TODWindow(from, to string) (fromTOD, toTOD time.Duration, err error) {
	for _, side := range []struct {
		name, v string
		dst     *time.Duration
	}{{"from", from, &fromTOD}, {"to", to, &toTOD}} {
		if side.v == "" {
			continue
		}
		if *side.dst, err = replay.TimeOfDay(side.v); err != nil {
			return 0, 0, &replay.WindowError{Side: side.name, Err: err}
		}
	}
	if toTOD != 0 && toTOD <= fromTOD {
		return 0, 0, replay.ErrEmptyWindow
	}
	return fromTOD, toTOD, nil
}

// PacedConfig is a one-pass play of files at a pace, as OpenPaced opens
// it. The zero value of every field but Files is usable.
type PacedConfig struct {
	Files []string
	// Speed or Rate paces the play (Config's; 0, 0: as fast as taken).
	Speed, Rate float64
	// Date and TZ are the trading day and zone of exchange inputs, as
	// FeedTime reads them; Strict is Config.Strict. Captures ignore them.
	Date, TZ string
	Strict   bool
}

// OpenPaced opens cfg.Files for one pass in order at cfg's pace, as a
// MoldUDP64 session sends them: exchange inputs (DetectInputs) as a
// Source, else bbox captures, whole. A date or zone FeedTime cannot read
// is an error marked ErrFeedTime; a damaged capture is an error, since a
// session has no way to skip. closeFn closes what was opened.
func OpenPaced(cfg PacedConfig) (src feed.Source, closeFn func(), err error) {
	ins, ok, err := DetectInputs(cfg.Files)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		day, loc, err := FeedTime(cfg.Date, cfg.TZ)
		if err != nil {
			return nil, nil, &markedError{err.Error(), ErrFeedTime}
		}
		xs, err := NewSource(Config{Inputs: ins, Day: day, Loc: loc, Speed: cfg.Speed, Rate: cfg.Rate, Strict: cfg.Strict})
		if err != nil {
			return nil, nil, err
		}
		return xs, func() { xs.Close() }, nil
	}
	readers, err := replay.OpenFiles(cfg.Files)
	if err != nil {
		return nil, nil, err
	}
	if r := readers.Damaged(); r != nil {
		readers.Close()
		return nil, nil, r.Err()
	}
	rs, err := replay.NewSource(replay.SourceConfig{Files: readers, Speed: cfg.Speed, Rate: cfg.Rate})
	if err != nil {
		readers.Close()
		return nil, nil, err
	}
	return rs, func() { rs.Close(); readers.Close() }, nil
}

// StatusLine is a MoldUDP64 session's live status line after el:
// messages and packets sent, rate(messages) the current message rate,
// and the rewind requests answered.
func (m *MoldSend) StatusLine(el time.Duration, rate func(int64) float64) string {
	st := m.Stats()
	return fmt.Sprintf("[%2.0fs] %s messages, %s msg/s, %s packets, %d requests", el.Seconds(), words.Group(st.Messages), words.RateFixed(rate(st.Messages)), words.Group(st.Packets), st.Requests)
}
