package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/bench"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	r, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

func TestServer(t *testing.T) {
	for _, pp := range []bool{false, true} {
		s, err := Serve(ServerConfig{Addr: "127.0.0.1:0", Command: "test", Pprof: pp})
		if err != nil {
			t.Fatal(err)
		}
		want := "metrics on http://" + s.Addr() + "/metrics"
		if pp {
			want += ", pprof on http://" + s.Addr() + "/debug/pprof/"
		}
		if s.String() != want {
			t.Errorf("String = %q, want %q", s.String(), want)
		}
		s.Squawk(false)
		s.Squawk(true)
		if x := s.SubExtra(); x.Squawks != 2 || x.Croaks != 1 {
			t.Errorf("SubExtra = %+v", x)
		}
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "test_gauge", Help: "a gauge"})
		g.Set(42)
		if err := s.Register(g); err != nil {
			t.Fatal(err)
		}
		if s.Register(g) == nil {
			t.Error("a clashing collector was registered twice")
		}
		b, err := s.Bench()
		if b2, err2 := s.Bench(); err != nil || err2 != nil || b2 != b {
			t.Errorf("Bench: %v, %v; a second call made another", err, err2)
		}
		b.Interval("bbox", bench.IntervalStat{Published: 7}, hdrhistogram.New(1, 1e9, 3))
		code, body := get(t, "http://"+s.Addr()+"/metrics")
		if code != 200 || !strings.Contains(body, "bbox_test_gauge 42") || !strings.Contains(body, `bbox_build_info{command="test"`) ||
			!strings.Contains(body, `bbox_bench_records_sent_total{path="bbox"} 7`) {
			t.Errorf("/metrics: %d\n%s", code, body)
		}
		if code, _ := get(t, "http://"+s.Addr()+"/debug/pprof/"); code == 200 != pp {
			t.Errorf("pprof %v: /debug/pprof/ answered %d", pp, code)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if _, err := Serve(ServerConfig{Addr: "127.0.0.1:-1"}); err == nil {
		t.Error("a bad address was served")
	}
}

// TestServerWrappers: the wrappers count and pass on, and a nil Server
// (no --metrics) leaves the callbacks as they were.
func TestServerWrappers(t *testing.T) {
	var nilSrv *Server
	if nilSrv.CountSquawks(nil) != nil {
		t.Error("nil Server wrapped a nil OnSquawk")
	}
	if f, err := nilSrv.BenchInterval("bbox", nil); f != nil || err != nil {
		t.Error("nil Server wrapped a nil OnInterval")
	}
	s, err := Serve(ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var passed int
	sq := s.CountSquawks(func(alerts.Squawk) { passed++ })
	sq(alerts.Squawk{Croak: true})
	sq(alerts.Squawk{})
	s.CountSquawks(nil)(alerts.Squawk{})
	if x := s.SubExtra(); passed != 2 || x.Squawks != 3 || x.Croaks != 1 {
		t.Errorf("passed %d, counted %+v", passed, x)
	}
	var got int64
	iv, err := s.BenchInterval("tcp", func(st bench.IntervalStat, _ *hdrhistogram.Histogram) { got += st.Published })
	if err != nil {
		t.Fatal(err)
	}
	iv(bench.IntervalStat{Published: 5}, nil)
	if _, body := get(t, "http://"+s.Addr()+"/metrics"); got != 5 || !strings.Contains(body, `bbox_bench_records_sent_total{path="tcp"} 5`) {
		t.Errorf("passed %d; metrics:\n%s", got, body)
	}
	if RecordAge(func(func(*hdrhistogram.Histogram)) {}) == nil {
		t.Error("RecordAge")
	}
}

// TestLingerEndsOnCancel: a signal (the context) ends the wait.
func TestLingerEndsOnCancel(t *testing.T) {
	s, err := Serve(ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Linger(ctx, time.Hour); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Linger did not end when its context did")
	}
	s.Linger(context.Background(), time.Millisecond)
}

func TestShutdown(t *testing.T) {
	for _, c := range []struct {
		linger   time.Duration
		canceled bool
		want     string
	}{{0, false, ""}, {time.Millisecond, false, "holding the final metrics on http://ADDR/metrics for 1ms (a signal ends it)\n"}, {time.Hour, true, ""}} {
		s, err := Serve(ServerConfig{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if c.canceled {
			cancel()
		}
		var log strings.Builder
		s.Shutdown(ctx, c.linger, func(f string, a ...any) { fmt.Fprintf(&log, f+"\n", a...) })
		cancel()
		if got := strings.ReplaceAll(log.String(), s.Addr(), "ADDR"); got != c.want {
			t.Errorf("linger %v canceled %v: logged %q, want %q", c.linger, c.canceled, got, c.want)
		}
		if _, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + s.Addr() + "/metrics"); err == nil {
			t.Error("still serving after Shutdown")
		}
	}
}
