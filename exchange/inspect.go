package exchange

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
)

// Inspect reads every message of the inputs of cfg (bbox inspect for
// ITCH files and pcaps) and reports per-type counts, the top busiest
// symbols and, for captures, the flows and their gaps. names are the
// inputs as the user gave them (nil: their paths).
func Inspect(ctx context.Context, cfg Config, names []string, top int) (*InspectReport, error) {
	if cfg.Loc == nil {
		_, cfg.Loc, _ = FeedTime("", "")
	}
	src, err := NewSource(cfg)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := feed.Each(ctx, src, func(*feed.Record) error { return nil }); err != nil {
		return nil, err
	}
	st := src.Stats()
	var fileBytes int64
	for _, in := range cfg.Inputs {
		if fi, err := os.Stat(in.Path); err == nil {
			fileBytes += fi.Size()
		}
		if names == nil {
			names = append(names, in.Path)
		}
	}
	return &InspectReport{Command: "inspect", Format: string(cfg.Inputs[0].Kind), Records: st.Records, Symbols: st.Symbols, FirstTS: st.FirstTS,
		LastTS: st.LastTS, Bytes: st.Bytes, CompressedBytes: fileBytes, TopSymbols: src.TopSymbols(top), Exchange: st, names: names, loc: cfg.Loc}, nil
}

// InspectReport is what Inspect found (its JSON is bbox inspect --json's
// object for exchange inputs, with the keys of a capture's where they
// mean the same: compressed_bytes is the files' size, chunks 0).
type InspectReport struct {
	Command         string     `json:"command"`
	Format          string     `json:"format"`
	Records         int64      `json:"records"`
	Symbols         int        `json:"symbols"`
	FirstTS         int64      `json:"first_ts"`
	LastTS          int64      `json:"last_ts"`
	Bytes           int64      `json:"bytes"`
	CompressedBytes int64      `json:"compressed_bytes"`
	Chunks          int64      `json:"chunks"`
	TopSymbols      []SymCount `json:"top_symbols"`
	Exchange        Stats      `json:"exchange"`

	names []string
	loc   *time.Location
}

// WriteText writes the report for a person: a headline and the source's
// detail (Stats.WriteText).
func (r *InspectReport) WriteText(w io.Writer) {
	st := &r.Exchange
	fmt.Fprintf(w, "%s: %s, %s ITCH 5.0 messages, %s bytes of them, %s symbols\n", strings.Join(r.names, ", "), r.Format,
		words.Group(st.Messages), words.Group(st.Bytes), words.Group(int64(st.Symbols)))
	st.WriteText(w, r.TopSymbols, r.loc)
}

// Trouble says, in one line, why the inputs are not sound: messages
// skipped as bad, or lost from a capture; "" when they are.
func (r *InspectReport) Trouble() string {
	st := &r.Exchange
	if st.Bad() > 0 || (st.Capture != nil && st.Capture.Lost > 0) {
		return strings.Join(st.Warnings(), "; ")
	}
	return ""
}
