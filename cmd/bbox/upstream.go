package main

// `bbox pub --source zmq+tcp://HOST:PORT[?topic=PFX&kind=C&heartbeat=D&timeout=D&idle-exit=D]`:
// ingest an existing ZeroMQ feed (upstream.Source; spelling in
// upstream.Parse and docs/wire.md section 8).

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/report"
	"github.com/bbox-dev/bbox/upstream"
)

func init() {
	sourceOpeners = append(sourceOpeners, openUpstream)
}

// commandSource is a --source that wants the command's logger and
// connection flags before it runs (attach, which the command must call
// before anything else), adds its own counts to the summary (report), and
// is closed when the command ends.
type commandSource interface {
	feed.Source
	attach(log *logger, pf *pubFlags) error
	report(s *report.Summary)
	Close() error
}

// upstreamSource is checked when opened (a bad spelling is a usage error)
// and builds its upstream.Source on attach, so the upstream connection gets
// the command's --max-frame, buffers and log.
type upstreamSource struct {
	cfg upstream.Config
	u   *upstream.Source // nil until attach
}

func openUpstream(name string, gen feed.GenConfig) (feed.Source, bool, error) {
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
	return &upstreamSource{cfg: cfg}, true, nil
}

func (s *upstreamSource) attach(log *logger, pf *pubFlags) error {
	s.cfg.Logf = log.Logf
	s.cfg.Conn = pf.conn.options(log)
	u, err := upstream.New(s.cfg) // connects on the first Next
	s.u = u
	return err
}

func (s *upstreamSource) Next(ctx context.Context, b *feed.Batch) error { return s.u.Next(ctx, b) }
func (s *upstreamSource) Pending() bool                                 { return s.u.Pending() }
func (s *upstreamSource) Close() error                                  { return s.u.Close() }

// setIdleExit applies pub's --idle-exit, which only an upstream has use for.
func setIdleExit(src feed.Source, d time.Duration) error {
	u, ok := src.(*upstreamSource)
	if !ok {
		return fmt.Errorf("ends an upstream --source (%stcp://HOST:PORT); other sources end by themselves or with --duration/--records", upstream.Scheme)
	}
	u.cfg.IdleExit = d
	return nil
}

func (s *upstreamSource) report(sum *report.Summary) {
	st := s.u.Stats()
	sum.Upstream = &st
	if st.ActiveSeconds > 0 {
		sum.ThroughputRPS = st.ActiveRPS
	}
	sum.Warnings = append(sum.Warnings, st.Warnings()...)
}
