package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ServeLogged is Serve for a command whose log lines go to h: the HTTP
// server's own complaints (a bad request line) become WARN records of h
// instead of lines on the standard logger.
func ServeLogged(cfg ServerConfig, h slog.Handler) (*Server, error) {
	cfg.ErrorLog = slog.NewLogLogger(h, slog.LevelWarn)
	return Serve(cfg)
}

// RegisterEach adds each collector to the registry and passes a clash
// with one already there to onErr (a programming error to log, not one to
// stop for); on a nil Server (no --metrics) it does nothing.
func (s *Server) RegisterEach(onErr func(error), cs ...prometheus.Collector) {
	if s == nil {
		return
	}
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			onErr(err)
		}
	}
}

// Stop is Shutdown for a command that may have no server: on a nil
// Server (no --metrics) it does nothing.
func (s *Server) Stop(ctx context.Context, linger time.Duration, logf func(format string, args ...any)) {
	if s != nil {
		s.Shutdown(ctx, linger, logf)
	}
}
