package metrics

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ServeLogged's server reports its own trouble as WARN records of the
// handler it was given; Stop closes it, and does nothing on a nil Server.
func TestServeLoggedAndStop(t *testing.T) {
	var logged bytes.Buffer
	s, err := ServeLogged(ServerConfig{Addr: "127.0.0.1:0", Command: "test"}, slog.NewTextHandler(&logged, nil))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, "http://"+s.Addr()+"/metrics"); code != 200 {
		t.Fatalf("/metrics answered %d", code)
	}
	// What net/http writes to its ErrorLog (an accept error, a TLS
	// handshake error) arrives through this logger.
	s.srv.ErrorLog.Print("http: a complaint")
	if got := logged.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, `msg="http: a complaint"`) {
		t.Fatalf("the server's complaint was logged as %q", got)
	}
	var lines strings.Builder
	logf := func(f string, a ...any) { fmt.Fprintf(&lines, f+"\n", a...) }
	s.Stop(context.Background(), 0, logf)
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Error("still serving after Stop")
	}
	var none *Server
	none.Stop(context.Background(), time.Hour, logf)
	if lines.Len() != 0 {
		t.Errorf("Stop logged %q", lines.String())
	}
}

// RegisterEach registers every collector and reports each clash; a nil
// Server registers nothing and reports nothing.
func TestRegisterEach(t *testing.T) {
	s, err := Serve(ServerConfig{Addr: "127.0.0.1:0", Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "test_a", Help: "a"})
	b := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "test_b", Help: "b"})
	var clashes []error
	s.RegisterEach(func(err error) { clashes = append(clashes, err) }, a, b, a)
	if len(clashes) != 1 {
		t.Fatalf("clashes %v, want the second a only", clashes)
	}
	if _, body := get(t, "http://"+s.Addr()+"/metrics"); !strings.Contains(body, "bbox_test_a 0") || !strings.Contains(body, "bbox_test_b 0") {
		t.Errorf("/metrics lacks a or b:\n%s", body)
	}
	var none *Server
	none.RegisterEach(func(err error) { t.Errorf("a nil Server reported %v", err) }, a)
}
