package pubsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/upstream"
)

// Source is an opened --source. The live ones (upstream, MoldUDP64) are
// checked when opened but built by Start, so their connections get the
// command's options; until then Next must not be called.
type Source struct {
	src  feed.Source // nil until Start for the live ones
	up   *upstream.Config
	u    *upstream.Source
	mold *exchange.LiveConfig
	live *exchange.Live
	x    *exchange.Source
	logf func(format string, args ...any)
}

// Open opens name for a publisher: "gen" is the synthetic generator of
// gen; an exchange file or moldudp64:// feed, a capture file (at gen.Rate,
// gen.Records of it) or a zmq+tcp:// upstream otherwise, tried in that
// order (an exchange file is not taken for a damaged capture). An error
// about a file (there but bad, or a path that is not there) is a
// *FileError.
func Open(name string, gen feed.GenConfig) (*Source, error) {
	s, err := open(name, gen)
	if err != nil {
		return nil, fileError(name, err)
	}
	return s, nil
}

func open(name string, gen feed.GenConfig) (*Source, error) {
	if name == "gen" {
		g, err := feed.NewGenerator(gen)
		if err != nil {
			return nil, err
		}
		return &Source{src: g}, nil
	}
	for _, open := range []func(string, feed.GenConfig) (*Source, bool, error){openExchange, openCapture, openUpstream} {
		if s, ok, err := open(name, gen); ok {
			return s, err
		}
	}
	return nil, fmt.Errorf("%q is not gen, and no capture file or upstream source by that name can be opened", name)
}

func openExchange(name string, gen feed.GenConfig) (*Source, bool, error) {
	if strings.HasPrefix(name, exchange.MoldScheme) {
		cfg, err := exchange.ParseLive(name)
		if err != nil {
			return nil, true, err
		}
		cfg.Records = gen.Records
		return &Source{mold: &cfg}, true, nil
	}
	ins, ok, err := exchange.DetectSource(name)
	if !ok || err != nil {
		return nil, ok, err
	}
	s := &Source{}
	// Loc nil: the feed's own zone, exchange.DefaultTZ.
	x, err := exchange.NewSource(exchange.Config{Inputs: ins, Rate: gen.Rate, Records: gen.Records,
		OnProblem: func(p itch.Problem) {
			if s.logf != nil {
				s.logf("skipped: %v", p)
			}
		}})
	if err != nil {
		return nil, true, err
	}
	s.src, s.x = x, x
	return s, true, nil
}

// openCapture publishes a capture file at gen.Rate (0: as fast as the
// engine takes it), gen.Records of it.
func openCapture(name string, gen feed.GenConfig) (*Source, bool, error) {
	st, err := os.Stat(name)
	if err != nil || st.IsDir() {
		return nil, false, nil
	}
	r, err := replay.Open(name)
	if err != nil {
		return nil, true, err
	}
	if err := r.Err(); err != nil {
		r.Close()
		return nil, true, fmt.Errorf("%v (bbox replay --skip-corrupt plays the readable part)", err)
	}
	src, err := replay.NewSource(replay.SourceConfig{Files: []*replay.Reader{r}, Rate: gen.Rate})
	if err != nil {
		r.Close()
		return nil, true, err
	}
	return &Source{src: feed.Limit(src, gen.Records)}, true, nil
}

// openUpstream checks a zmq+tcp:// spelling (upstream.Parse); Start
// builds the source.
func openUpstream(name string, gen feed.GenConfig) (*Source, bool, error) {
	if !strings.HasPrefix(name, upstream.Scheme) {
		return nil, false, nil
	}
	cfg, err := upstream.Parse(name)
	if err != nil {
		return nil, true, err
	}
	cfg.Records = gen.Records // --records bounds an upstream too; --rate, --size etc. are gen's
	if err := cfg.Validate(); err != nil {
		return nil, true, err
	}
	return &Source{up: &cfg}, true, nil
}

// SetIdleExit ends an upstream source once nothing has arrived for d; the
// other sources end by themselves.
func (s *Source) SetIdleExit(d time.Duration) error {
	if s.up == nil {
		return fmt.Errorf("ends an upstream --source (%stcp://HOST:PORT); other sources end by themselves or with --duration/--records", upstream.Scheme)
	}
	s.up.IdleExit = d
	return nil
}

// Start gives the source the command's log and connection options and
// builds a live one; it must be called before Next. An upstream connects
// on its first Next.
func (s *Source) Start(logf func(format string, args ...any), conn zmqx.Options) error {
	s.logf = logf
	switch {
	case s.up != nil:
		s.up.Logf, s.up.Conn = logf, conn
		u, err := upstream.New(*s.up)
		if err != nil {
			return err
		}
		s.u, s.src = u, u
	case s.mold != nil:
		l, err := exchange.NewLive(*s.mold)
		if err != nil {
			return err
		}
		s.live, s.src = l, l
		logf("moldudp64: %s", s.mold.Joined())
	}
	return nil
}

// Next is the source's next batch.
func (s *Source) Next(ctx context.Context, b *feed.Batch) error {
	if s.src == nil {
		return errors.New("pubsource: Next before Start")
	}
	return s.src.Next(ctx, b)
}

// Pending is the source's feed.Pender answer; false (flush now) for one
// that cannot tell.
func (s *Source) Pending() bool {
	p, ok := s.src.(feed.Pender)
	return ok && p.Pending()
}

// StatusLine is what a live MoldUDP64 feed adds to the publisher's
// status line ("" for the others).
func (s *Source) StatusLine() string {
	if s.live == nil {
		return ""
	}
	st := s.live.Stats()
	return st.StatusText()
}

// Report adds the source's own counts to the publisher's summary: an
// upstream's rates and warnings, a MoldUDP64 feed's losses (they are this
// publisher's: records_lost and gaps say so), an exchange file's warnings.
func (s *Source) Report(sum *report.Summary) {
	switch {
	case s.u != nil:
		st := s.u.Stats()
		sum.Upstream = &st
		if st.ActiveSeconds > 0 {
			sum.ThroughputRPS = st.ActiveRPS
		}
		sum.Warnings = append(sum.Warnings, st.Warnings()...)
	case s.live != nil:
		st := s.live.Stats()
		sum.RecordsLost += st.Lost
		sum.Gaps += st.Gaps
		sum.Warnings = append(sum.Warnings, st.Warnings()...)
	case s.x != nil:
		st := s.x.Stats()
		sum.Warnings = append(sum.Warnings, st.Warnings()...)
	}
}

// JSON is pub's JSON summary: sum, with a MoldUDP64 feed's or an
// exchange file's counters as its "moldudp64" or "exchange" block.
func (s *Source) JSON(sum report.Summary) any {
	switch {
	case s.live != nil:
		return struct {
			report.Summary
			Mold exchange.LiveStats `json:"moldudp64"`
		}{sum, s.live.Stats()}
	case s.x != nil:
		return report.WithExchange(sum, s.x.Stats())
	}
	return sum
}

// Close closes an upstream, MoldUDP64 or exchange source.
func (s *Source) Close() error {
	switch {
	case s.u != nil:
		return s.u.Close()
	case s.live != nil:
		return s.live.Close()
	case s.x != nil:
		return s.x.Close()
	}
	return nil
}
