package replay

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// PlayConfig is a replay of bbox captures as a person asks for it (bbox
// replay FILE...): the files by name, the window as text, and the rest
// of a Source's settings. The zero value of every field but Files is
// usable.
type PlayConfig struct {
	Files []string
	// Source is the Source's settings; OpenPlay sets its Files, From and
	// To. Its OnSkip, if nil, logs each skip (SkipLine) to Logf.
	Source SourceConfig
	// From and To are the window (Files.Window), "" for an open side,
	// read in the zone TZ names (Zone: "" is the files' own, else UTC).
	From, To, TZ string
	// Logf receives what a person watching wants to know before the play
	// and during it: the files' index notes and symbols they lack (as
	// "warning: ..."), the skips, and the preloading. nil discards it.
	Logf func(format string, args ...any)
}

// Play is an opened replay: its Source, the files it reads and the zone
// its window was read in. It is used by one goroutine; Source's own
// rules hold for the Source.
type Play struct {
	Source *Source
	Files  Files
	Loc    *time.Location
	cfg    PlayConfig
}

// ConfigError is an OpenPlay error from SourceConfig.Validate: the
// settings, not the files, are at fault.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// OpenPlay opens cfg's files and checks, before anything is played, that
// they can give what cfg asks: a damaged file is an error (naming what
// SkipCorrupt would play) unless cfg.Source.SkipCorrupt; a zone or window
// side that does not parse is a *WindowError (Side "tz", "from" or "to"),
// an empty window ErrEmptyWindow; a window and symbols that select no
// record are an error naming what the files hold instead; settings the
// Source refuses are a *ConfigError. Then it builds the Source
// (preloading it with Source.Preload).
func OpenPlay(cfg PlayConfig) (*Play, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	readers, err := OpenFiles(cfg.Files)
	if err != nil {
		return nil, err
	}
	p := &Play{Files: readers, cfg: cfg}
	if err := p.open(logf); err != nil {
		readers.Close()
		return nil, err
	}
	return p, nil
}

func (p *Play) open(logf func(string, ...any)) error {
	cfg, sc := &p.cfg, &p.cfg.Source
	for _, note := range p.Files.IndexNotes() {
		logf("warning: %s", note)
	}
	if r := p.Files.Damaged(); r != nil && !sc.SkipCorrupt {
		return fmt.Errorf("%v\n(%s)", r.Err(), SkipHint(r))
	}
	var err error
	if p.Loc, err = Zone(cfg.TZ, p.Files.Meta()); err != nil {
		return &WindowError{Side: "tz", Err: err}
	}
	sc.Files = p.Files
	if sc.From, sc.To, err = p.Files.Window(cfg.From, cfg.To, p.Loc); err != nil {
		return err
	}
	// A selection that cannot match is said before anything is bound,
	// with what the files hold instead.
	sel := Select(p.Files, sc.From, sc.To, sc.Symbols, 5)
	if msg := EmptySelection(sel, cfg.Files, cfg.From, cfg.To, sc.Symbols, p.Loc, ZoneNote(cfg.TZ, p.Files.Meta())); msg != "" {
		return errors.New(msg)
	}
	if msg := MissingSymbols(sel, cfg.Files); msg != "" {
		logf("warning: %s", msg)
	}
	if sc.OnSkip == nil {
		sc.OnSkip = func(file string, pr Problem) { logf("%s", SkipLine(file, pr)) }
	}
	if err := sc.Validate(); err != nil {
		return &ConfigError{err}
	}
	if sc.Preload {
		logf("preloading %s ...", strings.Join(cfg.Files, ", "))
	}
	if p.Source, err = NewSource(*sc); err != nil {
		return err
	}
	if st := p.Source.Stats(); sc.Preload {
		logf("preloaded %s uncompressed bytes in %v", words.Group(st.PreloadBytes), st.PreloadTime.Round(time.Millisecond))
	}
	return nil
}

// Progress is the play's status line after el (ProgressLine), rate
// giving the current rate of a count of records.
func (p *Play) Progress(el time.Duration, rate func(int64) float64) string {
	eta, ok := p.Source.ETA()
	st := p.Source.Stats()
	return ProgressLine(el, st, rate(st.Records), eta, ok)
}

// Report is the play's closing report once its Source has run: secs is
// the publisher's clock (it starts once its subscribers are there),
// elapsed the whole run's, used when secs is not positive. For a play
// that went through its files and sent no record, the second result is
// the warning that says why (NothingPlayed: the filters fell between the
// records), else "".
func (p *Play) Report(secs float64, elapsed time.Duration) (PlayReport, string) {
	if secs <= 0 {
		secs = elapsed.Seconds()
	}
	st := p.Source.Stats()
	rep := NewPlayReport(p.cfg.Files, st, secs, p.Source.Skipped(), p.Loc)
	if st.PlayedNothing() {
		return rep, NothingPlayed(p.cfg.Files, p.cfg.From, p.cfg.To, p.cfg.Source.Symbols, st)
	}
	return rep, ""
}

// Close stops the Source and closes the files.
func (p *Play) Close() {
	if p.Source != nil {
		p.Source.Close()
	}
	p.Files.Close()
}
