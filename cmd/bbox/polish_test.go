package main

// Issue 16 items 5, 11, 12 and 13, as a user runs them: separate processes.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/tuning"
	"github.com/bbox-dev/bbox/upstream"
	"github.com/go-zeromq/zmq4"
)

// TestDemoBannerFirst (16.13): the banner is demo's first line, before
// any connection is logged, and stdout starts with the summary itself.
func TestDemoBannerFirst(t *testing.T) {
	code, p := runBBox(t, 60*time.Second, "demo", "--duration", "300ms", "--rate", "20000", "--cpus", "none")
	if code != 0 {
		t.Fatalf("demo exited %d\n%s", code, p.stderr.String())
	}
	errLines := strings.Split(p.stderr.String(), "\n")
	if !strings.HasPrefix(errLines[0], "bbox demo: synthetic feed (1,000 symbols, ~100-byte records) at 20.0k/s for 300ms → 2 shards → 2 subscriber threads → 2 workers") {
		t.Errorf("stderr does not start with the banner:\n%s", p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "connected to") {
		t.Errorf("no connection logged after the banner:\n%s", p.stderr.String())
	}
	if out := p.stdout.String(); !strings.HasPrefix(out, "demo: ") {
		t.Errorf("stdout does not start with the summary: %q", out[:min(len(out), 80)])
	}
}

// TestCoreWarningOnce (16.5): the same layout — two subscriber threads
// pinned by auto, two in-process workers — gets the same warnings from
// bbox demo and bbox sub, each said once in the log and once in the
// summary. On a 2-core box that is one warning; the expected text comes
// from tuning.PlanCores for this box's cores.
func TestCoreWarningOnce(t *testing.T) {
	online := tuning.Online()
	cpus := []int{online[0], online[1%len(online)]}
	plan, err := tuning.PlanCores(tuning.CoreInput{Online: online, Shards: 2, ShardCPUs: cpus, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(online) == 2 && len(plan.Warnings) != 1 {
		t.Fatalf("2-core box: PlanCores warns %q, want one warning", plan.Warnings)
	}
	ports := freePorts(t, 2)
	_, demo := runBBox(t, 60*time.Second, "demo", "--duration", "200ms", "--rate", "10000", "--cpus", "auto", "--workers", "2")
	_, sub := runBBox(t, 60*time.Second, "sub", "--connect", tcpEndpoints(ports...), "--cpus", "auto", "--workers", "2", "--duration", "200ms")
	for _, p := range []*proc{demo, sub} {
		log, out := p.stderr.String(), p.stdout.String()
		for _, w := range plan.Warnings {
			if n := strings.Count(log, "warning: "+w+"\n"); n != 1 {
				t.Errorf("%s: warning %q logged %d times, want once:\n%s", p.name, w, n, log)
			}
			if n := strings.Count(out, "  warning: "+w+"\n"); n != 1 {
				t.Errorf("%s: warning %q in the summary %d times, want once:\n%s", p.name, w, n, out)
			}
		}
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "warning: ") && strings.Contains(l, "core") && !containsAny(l, plan.Warnings) {
				t.Errorf("%s: another warning about cores: %q", p.name, l)
			}
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestWorkerConfig (16.11): bbox worker reads the same topology file as
// pub and sub and connects to its [workers] endpoint.
func TestWorkerConfig(t *testing.T) {
	ports := freePorts(t, 2)
	cfg := writeConfig(t, fmt.Sprintf(`[pub]
rate = max
wait-subs = 1

[sub]
exit-on-eos = true

[workers]
endpoint = tcp://127.0.0.1:%d

[shard 0]
endpoint = tcp://127.0.0.1:%d
`, ports[0], ports[1]))
	worker := startBBox(t, "worker", "worker", "--config", cfg, "--exit-on-eos", "--json")
	sub := startBBox(t, "sub", "sub", "--config", cfg, "--json")
	pub := startBBox(t, "pub", "pub", "--config", cfg, "--records", "3000", "--json")
	for _, p := range []*proc{pub, sub, worker} {
		if code := p.wait(60 * time.Second); code != 0 {
			t.Fatalf("%s exited %d\n%s", p.name, code, tail(p.stderr.String(), 20))
		}
	}
	var ws struct {
		Records int64 `json:"records"`
		EOS     int64 `json:"eos"`
	}
	worker.summary(&ws)
	if ws.Records != 3000 || ws.EOS != 1 {
		t.Fatalf("worker handled %d records, %d end-of-streams; want all 3000 through the file's [workers] endpoint, 1", ws.Records, ws.EOS)
	}
	// A flag on the command line wins over the file, and says so.
	code, p := runBBox(t, 30*time.Second, "worker", "--config", cfg, "--connect", "tcp://127.0.0.1:1", "--duration", "100ms")
	if code != 0 || !strings.Contains(p.stderr.String(), "--connect on the command line overrides "+cfg+":9 ([workers] endpoint)") {
		t.Fatalf("worker --connect with --config: exit %d\n%s", code, p.stderr.String())
	}
}

// TestUpstreamIdleExit (16.12): the README's upstream example with
// --idle-exit ends by itself after a finite feed (the upstream stays
// connected, only quiet, as a feed handler after the close), and reports
// the feed's rate while it flowed, not an average over the idle wait.
func TestUpstreamIdleExit(t *testing.T) {
	const sent = 20000
	ports := freePorts(t, 2)
	up := tcpEndpoints(ports[0])
	ep, _ := zmqx.ParseEndpoint(up)
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fed := make(chan error, 1)
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) {
		// The feed handler: wait for bbox's subscription, send, then stay.
		m, err := p.RecvMsg()
		if err == nil && (len(m.Frames) != 1 || string(m.Frames[0]) != "\x01") {
			err = fmt.Errorf("subscription %q, want everything", m.Frames)
		}
		for i := 0; i < sent && err == nil; i++ {
			err = p.Send([]byte("AAPL"), []byte(strconv.Itoa(i)))
		}
		fed <- err
	})
	const idle = time.Second
	pub := startBBox(t, "pub", "pub", "--source", "zmq+"+up, "--bind", tcpEndpoints(ports[1]),
		"--idle-exit", idle.String(), "--json")
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("pub exited %d\n%s", code, tail(pub.stderr.String(), 20))
	}
	if err := <-fed; err != nil {
		t.Fatalf("feeding: %v", err)
	}
	var s struct {
		RecordsPublished int64           `json:"records_published"`
		ThroughputRPS    float64         `json:"throughput_rps"`
		Seconds          float64         `json:"seconds"`
		Upstream         *upstream.Stats `json:"upstream"`
	}
	pub.summary(&s)
	u := s.Upstream
	if s.RecordsPublished != sent || u == nil || u.Records != sent || !u.IdleExit {
		t.Fatalf("published %d, upstream %+v; want %d records and idle_exit", s.RecordsPublished, u, sent)
	}
	// The run includes at least the idle wait after the last record, so
	// the active span is shorter than the run by at least that much.
	if u.ActiveSeconds <= 0 || u.ActiveSeconds > s.Seconds-idle.Seconds()*0.99 {
		t.Fatalf("active %.3fs of a %.3fs run with a %v idle wait at the end", u.ActiveSeconds, s.Seconds, idle)
	}
	if s.ThroughputRPS != u.ActiveRPS || s.ThroughputRPS <= float64(sent)/s.Seconds {
		t.Fatalf("throughput_rps %.0f, active rate %.0f, average over the run %.0f: want the active rate", s.ThroughputRPS, u.ActiveRPS, float64(sent)/s.Seconds)
	}
	t.Logf("bbox pub:\n%s", tail(pub.stderr.String(), 6))
	if !strings.Contains(pub.stderr.String(), "while the feed was active") {
		t.Errorf("the summary does not say the rate is the feed's active rate:\n%s", pub.stderr.String())
	}
}
