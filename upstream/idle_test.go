package upstream

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// TestUpstreamIdleExit (issue 16.12): a finite feed ends the source once
// nothing has arrived for IdleExit, and the stats give the feed's active
// span and rate rather than an average over the wait.
func TestUpstreamIdleExit(t *testing.T) {
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), IdleExit: 300 * time.Millisecond})
	wait := goNextAll(u) // fails the test unless Next ends with io.EOF
	p, _ := fu.accept(t, 1)
	const n = 200
	for i := 0; i < n; i++ {
		send(t, p, []byte("AAPL"), []byte{byte(i)})
	}
	got := wait(t)
	st := u.Stats()
	if len(got) != n || st.Records != n || !st.IdleExit {
		t.Fatalf("got %d records, stats %+v; want %d and idle_exit", len(got), st, n)
	}
	first, last := u.firstRecv.Load(), u.lastRecv.Load()
	if first <= 0 || last < first || got[0].SourceTS != first || got[n-1].SourceTS != last {
		t.Fatalf("active span [%d, %d] is not the first and last record's receive time [%d, %d]", first, last, got[0].SourceTS, got[n-1].SourceTS)
	}
	if last > first {
		want := float64(last-first) / 1e9
		if st.ActiveSeconds != want || st.ActiveRPS != float64(n)/want {
			t.Fatalf("active %vs at %v/s, want %vs at %v/s", st.ActiveSeconds, st.ActiveRPS, want, float64(n)/want)
		}
	}
}

// TestUpstreamIdleExitNothingArrives: with no message at all the source
// still ends, IdleExit after the first Next, with no active span.
func TestUpstreamIdleExitNothingArrives(t *testing.T) {
	fu := newFakeUpstream(t)
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), IdleExit: 100 * time.Millisecond})
	wait := goNextAll(u)
	fu.accept(t, 1)
	if got := wait(t); len(got) != 0 {
		t.Fatalf("%d records from a silent upstream", len(got))
	}
	if st := u.Stats(); !st.IdleExit || st.ActiveSeconds != 0 || st.ActiveRPS != 0 {
		t.Fatalf("stats %+v: want idle_exit and no active span", st)
	}
}

func TestParseUpstreamIdleExit(t *testing.T) {
	c, err := Parse("zmq+tcp://h:1?idle-exit=2s")
	if err != nil || c.IdleExit != 2*time.Second {
		t.Fatalf("idle-exit=2s: %+v, %v", c, err)
	}
	for _, bad := range []string{"0", "-1s", "soon"} {
		if _, err := Parse("zmq+tcp://h:1?idle-exit=" + bad); err == nil || !strings.Contains(err.Error(), "idle-exit=") {
			t.Errorf("idle-exit=%s: %v, want an error naming the option", bad, err)
		}
	}
	if err := (Config{Endpoint: "tcp://h:1", IdleExit: -time.Second}).Validate(); err == nil {
		t.Error("a negative IdleExit validates")
	}
}

// TestUpstreamIdleExitDrainsQueue: messages that arrived before the
// upstream fell quiet are all handed on, however long the publisher took
// to ask for them, before the idle exit ends the source.
func TestUpstreamIdleExitDrainsQueue(t *testing.T) {
	fu := newFakeUpstream(t)
	const idle = 50 * time.Millisecond
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), IdleExit: idle, Chunk: 1})
	first := make(chan error, 1)
	go func() {
		var b feed.Batch
		first <- u.Next(context.Background(), &b) // starts the connection
	}()
	p, _ := fu.accept(t, 1)
	const n = 50
	for i := 0; i < n; i++ {
		send(t, p, []byte("AAPL"), []byte{byte(i)})
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every message to be queued", func() bool { return u.Stats().Received == n })
	time.Sleep(2 * idle) // the upstream is now quiet for longer than IdleExit, with n-1 queued
	got, err := nextAll(u)
	if err != io.EOF || len(got) != n-1 || !u.Stats().IdleExit {
		t.Fatalf("after the quiet: %d records, %v, stats %+v; want the %d queued, then io.EOF", len(got), err, u.Stats(), n-1)
	}
}
