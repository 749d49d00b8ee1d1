package metrics

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/bench"
)

// ServerConfig configures Serve. Addr is required; the zero value of
// each other field is noted.
type ServerConfig struct {
	// Addr is the host:port to listen on (port 0 picks a free one; an
	// empty host, every interface).
	Addr string
	// Command labels bbox_build_info (NewRegistry); "" leaves the label
	// empty.
	Command string
	// Pprof also serves net/http/pprof under /debug/pprof/; false does
	// not.
	Pprof bool
	// ErrorLog receives the HTTP server's own complaints (a bad request
	// line); nil means the log package's standard logger.
	ErrorLog *log.Logger
}

// Server serves a command's registry on http://Addr/metrics until Close,
// and holds the counts a command keeps for its collectors (squawks and
// croaks) and its lazily made Bench collector. Its methods are safe for
// concurrent use.
type Server struct {
	reg      *prometheus.Registry
	srv      *http.Server
	addr     string
	pprof    bool
	serveErr chan error

	squawks, croaks atomic.Int64

	benchOnce sync.Once
	bench     *Bench
}

// Validate reports an Addr that is missing or not host:port.
func (c ServerConfig) Validate() error {
	if c.Addr == "" {
		return errors.New("metrics: no address to listen on")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// Serve listens on cfg.Addr and starts serving a NewRegistry(cfg.Command)
// in its own goroutine. The error is the listener's.
func Serve(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{reg: NewRegistry(cfg.Command), addr: ln.Addr().String(), pprof: cfg.Pprof, serveErr: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: cfg.ErrorLog}
	go func() { s.serveErr <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on (the port picked for 0).
func (s *Server) Addr() string { return s.addr }

// String says what is served where, for the log.
func (s *Server) String() string {
	what := "metrics on http://" + s.addr + "/metrics"
	if s.pprof {
		what += ", pprof on http://" + s.addr + "/debug/pprof/"
	}
	return what
}

// Register adds c to the registry; an error is a collector that clashes
// with one already there.
func (s *Server) Register(c prometheus.Collector) error { return s.reg.Register(c) }

// Squawk counts one squawk (and a croak) for SubExtra.
func (s *Server) Squawk(croak bool) {
	s.squawks.Add(1)
	if croak {
		s.croaks.Add(1)
	}
}

// SubExtra is the squawks and croaks counted, for Subscriber's extra.
func (s *Server) SubExtra() SubExtra {
	return SubExtra{Squawks: s.squawks.Load(), Croaks: s.croaks.Load()}
}

// Bench is the server's Bench collector, made and registered on the
// first call, whose error is the registration's (the Bench still works).
func (s *Server) Bench() (*Bench, error) {
	var err error
	s.benchOnce.Do(func() {
		s.bench = NewBench()
		err = s.Register(s.bench)
	})
	return s.bench, err
}

// CountSquawks wraps a subscriber's OnSquawk (next, which may be nil) so
// its squawks and croaks are counted for SubExtra; on a nil Server it is
// next.
func (s *Server) CountSquawks(next func(alerts.Squawk)) func(alerts.Squawk) {
	if s == nil {
		return next
	}
	return func(q alerts.Squawk) {
		s.Squawk(q.Croak)
		if next != nil {
			next(q)
		}
	}
}

// BenchInterval wraps a bench run's OnInterval (next, which may be nil)
// so the run's intervals are also served under path; on a nil Server it
// is next. The error is Bench's.
func (s *Server) BenchInterval(path string, next func(bench.IntervalStat, *hdrhistogram.Histogram)) (func(bench.IntervalStat, *hdrhistogram.Histogram), error) {
	if s == nil {
		return next, nil
	}
	b, err := s.Bench()
	return func(iv bench.IntervalStat, h *hdrhistogram.Histogram) {
		b.Interval(path, iv, h)
		if next != nil {
			next(iv, h)
		}
	}, err
}

// RecordAge is the subscriber's record-age histogram collector over
// visit (the merged per-thread histograms, in ns).
func RecordAge(visit func(func(*hdrhistogram.Histogram))) prometheus.Collector {
	return Histogram("sub_record_age_seconds",
		"Record age at the subscriber thread: arrival time minus the publisher's send stamp (what --max-delay checks).",
		nil, visit)
}

// Linger keeps serving for d, or until ctx is done: so a scraper reads
// a finished command's final counts.
func (s *Server) Linger(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Shutdown ends a command's serving: it holds the final metrics for
// linger unless ctx is already done (a signal ended the command), then
// closes; logf (a log line per event) says both.
func (s *Server) Shutdown(ctx context.Context, linger time.Duration, logf func(format string, args ...any)) {
	if linger > 0 && ctx.Err() == nil {
		logf("holding the final metrics on http://%s/metrics for %v (a signal ends it)", s.addr, linger)
		s.Linger(ctx, linger)
	}
	if err := s.Close(); err != nil {
		logf("warning: metrics server on %s: %v", s.addr, err)
	}
}

// Close stops the server and waits for its serving goroutine; the error
// is one the server stopped with before Close, if any.
func (s *Server) Close() error {
	s.srv.Close()
	if err := <-s.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
