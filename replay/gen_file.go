package replay

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/words"
)

// SourceLocation is the zone a recording is made in (SourceZone's rules:
// "" is UTC, "Local" this box's zone by its IANA name), loaded.
func SourceLocation(name string) (*time.Location, error) {
	zone, err := SourceZone(name)
	if err != nil {
		return nil, err
	}
	return time.LoadLocation(zone)
}

// GenFile is one synthetic day written into a new capture file (bbox
// gen): make it with CreateGen, then Run it once. Status is safe to call
// from another goroutine while Run runs: Run publishes its progress once
// per chunk the generator returns.
type GenFile struct {
	g    *feed.Generator
	w    *Writer
	day  feed.Day
	path string

	generated, written atomic.Int64 // for Status
}

// progress is f's generator as WriteGenerated's source, publishing what
// the generator and the writer have done after every chunk.
type progress struct{ f *GenFile }

func (p progress) Next(ctx context.Context, b *feed.Batch) error {
	err := p.f.g.Next(ctx, b)
	p.f.publish()
	return err
}

func (f *GenFile) publish() {
	f.generated.Store(f.g.Generated())
	f.written.Store(f.w.Stats().Bytes)
}

// CreateGen creates (or truncates) the capture file path for g, the
// generator of day. The file's Created is the simulated open, not now,
// and its meta is day's: the same day gives the same bytes. Whether an
// existing file may be replaced is the caller's decision, made before.
func CreateGen(g *feed.Generator, day feed.Day, path string, cfg WriterConfig) (*GenFile, error) {
	cfg.Created, cfg.Meta = day.Open.UnixNano(), day.Meta()
	w, err := Create(path, cfg)
	if err != nil {
		return nil, err
	}
	return &GenFile{g: g, w: w, day: day, path: path}, nil
}

// GenSummary is bbox gen's closing report: the file's GenReport (its
// JSON keys are the report's) and its text, in the day's zone.
type GenSummary struct {
	feed.GenReport
	loc *time.Location
}

// WriteText describes the file for people (GenReport.WriteText).
func (s *GenSummary) WriteText(w io.Writer) { s.GenReport.WriteText(w, s.loc) }

// Run writes the day into the file and closes it (WriteGenerated). When
// ctx ends first the error says how far it got; the file is complete
// either way.
func (f *GenFile) Run(ctx context.Context) (*GenSummary, error) {
	rep, err := WriteGenerated(ctx, progress{f}, f.w, f.path, f.day.Symbols, f.day.Seed)
	f.publish() // the last chunk's bytes, flushed at Close
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted after %s of %s records; %s holds them and is complete",
			words.Group(f.w.Stats().Records), words.Group(f.day.Records), f.path)
	}
	return &GenSummary{GenReport: rep, loc: f.day.Open.Location()}, err
}

// Status is the live status line after el: records generated of the
// day's, at rate(records) per second, and the bytes written.
func (f *GenFile) Status(el time.Duration, rate func(n int64) float64) string {
	n := f.generated.Load()
	return fmt.Sprintf("[%2.0fs] %s/%s records  %s rec/s  %s written", el.Seconds(), words.Group(n), words.Group(f.day.Records),
		words.RateFixed(rate(n)), words.Group(f.written.Load()))
}
