package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// ImportConfig is a conversion of exchange inputs into a bbox capture.
type ImportConfig struct {
	// Source says what to read and how; its Loc (nil: DefaultTZ) is the
	// feed's zone, also stored in the capture for replay --from/--to.
	Source Config
	// Names are the inputs as the user gave them, options included, for
	// the capture's metadata and the report (nil: the inputs' paths).
	Names []string
	// Out is the capture to create (required). An existing file is
	// replaced: the caller decides whether it may be.
	Out string
	// Writer sets chunk size and level; its Meta gets source, format,
	// input and tz.
	Writer replay.WriterConfig
}

// Import converts exchange inputs into a bbox capture (bbox import).
// Run is called once, by one goroutine; Records may be called from any
// goroutine meanwhile (a progress line).
type Import struct {
	cfg ImportConfig
	src *Source
	w   *replay.Writer
}

// Validate reports the first unusable field: no inputs or an unknown
// kind (Config.Validate), no Out, Names that do not match the inputs one
// for one, or a bad Writer.
func (c ImportConfig) Validate() error {
	if err := c.Source.Validate(); err != nil {
		return err
	}
	switch {
	case c.Out == "":
		return errors.New("import: no capture to write")
	case c.Names != nil && len(c.Names) != len(c.Source.Inputs):
		return fmt.Errorf("import: %d names for %d inputs", len(c.Names), len(c.Source.Inputs))
	}
	return c.Writer.Validate()
}

// NewImport opens the inputs and creates the capture.
func NewImport(cfg ImportConfig) (*Import, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err // before any input is opened or the capture created
	}
	if cfg.Source.Loc == nil {
		_, cfg.Source.Loc, _ = FeedTime("", "")
	}
	if cfg.Names == nil {
		for _, in := range cfg.Source.Inputs {
			cfg.Names = append(cfg.Names, in.Path)
		}
	}
	src, err := NewSource(cfg.Source)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"source": "bbox import", "format": string(cfg.Source.Inputs[0].Kind), "input": strings.Join(cfg.Names, ","), "tz": cfg.Source.Loc.String()}
	for k, v := range cfg.Writer.Meta {
		meta[k] = v
	}
	cfg.Writer.Meta = meta
	w, err := replay.Create(cfg.Out, cfg.Writer)
	if err != nil {
		src.Close()
		return nil, err
	}
	return &Import{cfg: cfg, src: src, w: w}, nil
}

// Records is how many records have been read so far.
func (im *Import) Records() int64 { return im.src.Stats().Records }

// Run converts every message, closes the inputs and the capture, and
// reports what it wrote. An error (a read, a write, ctx ending, or the
// first bad message when Source.Strict) leaves the capture with the whole
// chunks written before it.
func (im *Import) Run(ctx context.Context) (*ImportReport, error) {
	defer im.src.Close()
	t0 := time.Now()
	err := feed.Each(ctx, im.src, im.w.Append)
	cerr := im.w.Close()
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	st := im.src.Stats()
	ws := im.w.Stats()
	return &ImportReport{Command: "import", Out: im.cfg.Out, Records: ws.Records, Symbols: st.Symbols, FirstTS: st.FirstTS, LastTS: st.LastTS,
		Bytes: ws.WireBytes, CompressedBytes: ws.Bytes, Chunks: ws.Chunks, Seconds: time.Since(t0).Seconds(), Exchange: st,
		TopSymbols: im.src.TopSymbols(10), Warnings: st.Warnings(), names: im.cfg.Names, loc: im.cfg.Source.Loc}, nil
}

// ImportReport is what an import wrote (its JSON is bbox import --json's
// object).
type ImportReport struct {
	Command         string     `json:"command"`
	Out             string     `json:"out"`
	Records         int64      `json:"records"`
	Symbols         int        `json:"symbols"`
	FirstTS         int64      `json:"first_ts"`
	LastTS          int64      `json:"last_ts"`
	Bytes           int64      `json:"bytes"`
	CompressedBytes int64      `json:"compressed_bytes"`
	Chunks          int64      `json:"chunks"`
	Seconds         float64    `json:"seconds"`
	Exchange        Stats      `json:"exchange"`
	TopSymbols      []SymCount `json:"top_symbols"`
	Warnings        []string   `json:"warnings,omitempty"`

	names []string
	loc   *time.Location
}

// WriteText writes the report for a person: a headline, the source's
// detail (Stats.WriteText) and the warnings.
func (r *ImportReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "import: %s of %s (%s) → %s in %s, %s bytes in %s, %.1fs\n",
		words.Count(r.Exchange.Messages, "ITCH message", "ITCH messages"), words.Count(r.Symbols, "symbol", "symbols"), strings.Join(r.names, ", "),
		words.Count(r.Records, "record", "records"), r.Out, words.Group(r.CompressedBytes), words.Count(r.Chunks, "chunk", "chunks"), r.Seconds)
	r.Exchange.WriteText(w, r.TopSymbols, r.loc)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}
