package alerts

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"
)

// watcher runs Watch on prefix until the test ends, collecting events.
type watcher struct {
	mu  sync.Mutex
	evs []Event
	got chan struct{}
}

func watch(t *testing.T, ctx context.Context, wg *sync.WaitGroup, endpoint, prefix string) *watcher {
	t.Helper()
	w := &watcher{got: make(chan struct{}, 64)}
	wg.Add(1)
	go func() {
		defer wg.Done()
		Watch(ctx, endpoint, prefix, zmqx.Options{}, func(ev Event) {
			w.mu.Lock()
			w.evs = append(w.evs, ev)
			w.mu.Unlock()
			w.got <- struct{}{}
		}, func(string, ...any) {})
	}()
	return w
}

func (w *watcher) wait(t *testing.T, n int) []Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		evs := append([]Event(nil), w.evs...)
		w.mu.Unlock()
		if len(evs) >= n {
			return evs
		}
		select {
		case <-w.got:
		case <-timeout:
			t.Fatalf("got %d events, want %d", len(evs), n)
		}
	}
}

func waitConsoles(t *testing.T, a *Pub, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.Consoles() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d consoles subscribed, want %d", a.Consoles(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPub: every console gets every event its subscription matches, with
// host, PID and time filled in; Close delivers what was published last and
// leaves no goroutine behind.
func TestPub(t *testing.T) {
	defer goleak.VerifyNone(t)
	a, err := NewPub("tcp://127.0.0.1:0", zmqx.Options{}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	all := watch(t, ctx, &wg, a.Endpoint(), Topic)
	all2 := watch(t, ctx, &wg, a.Endpoint(), Topic)
	croaks := watch(t, ctx, &wg, a.Endpoint(), Topic+"croak")
	waitConsoles(t, a, 3)

	a.Publish(Event{Kind: "late", Source: "risk-a", Message: "warning: late"})
	a.Publish(Event{Kind: "croak", Source: "risk-a", Message: "CROAK: late", Host: "elsewhere", PID: 7, Time: 9})
	for _, w := range []*watcher{all, all2} {
		evs := w.wait(t, 2)
		if len(evs) != 2 || evs[0].Kind != "late" || evs[1].Kind != "croak" {
			t.Fatalf("a Topic console got %+v, want late then croak", evs)
		}
		host, _ := os.Hostname()
		if evs[0].Host != host || evs[0].PID != os.Getpid() || evs[0].Time == 0 {
			t.Fatalf("host, pid, time not filled in: %+v", evs[0])
		}
		if evs[1].Host != "elsewhere" || evs[1].PID != 7 || evs[1].Time != 9 {
			t.Fatalf("given host, pid, time overwritten: %+v", evs[1])
		}
	}
	// The croak console got only the croak: the late event was filtered
	// out on our side (it would have arrived first).
	if evs := croaks.wait(t, 1); evs[0].Kind != "croak" {
		t.Fatalf("the croak console got %+v first", evs[0])
	}

	a.Publish(Event{Kind: "croak", Message: "CROAK: last words"})
	a.Close(5 * time.Second)
	if evs := croaks.wait(t, 2); evs[1].Message != "CROAK: last words" {
		t.Fatalf("the event published just before Close: %+v", evs[1])
	}
	if n := a.Consoles(); n != 0 {
		t.Fatalf("%d consoles after Close", n)
	}
	a.Publish(Event{Kind: "croak"}) // after Close: goes nowhere, does not panic
}

// TestPubSlowConsole: a console that stops reading only fills its own
// queue: its events are dropped at the bound, Publish never blocks, the
// other consoles get everything, and Close (bounded by its d) still
// returns.
func TestPubSlowConsole(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	// A 1 MiB bound, and a write deadline long enough that the slow
	// console is never cut off mid-test however loaded the machine.
	const hwm = 1 << 20
	a, err := newPub("tcp://127.0.0.1:0", zmqx.Options{SndBuf: 4096}, func(f string, args ...any) {
		mu.Lock()
		logs = append(logs, f)
		mu.Unlock()
	}, hwm, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	fast := watch(t, ctx, &wg, a.Endpoint(), Topic)

	// The slow console subscribes and then never reads.
	ep, _ := zmqx.ParseEndpoint(a.Endpoint())
	slow, err := zmqx.Dial(ctx, ep, zmq4.Sub, zmqx.Options{RcvBuf: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.Subscribe([]byte(Topic)); err != nil {
		t.Fatal(err)
	}
	waitConsoles(t, a, 2)

	// Paced by the fast console in bursts well under the bound, so only
	// the slow one falls behind: 40 events of 64 KiB are more than twice
	// its bound.
	big := strings.Repeat("x", 64<<10)
	const n, burst = 40, 4
	for i := range n {
		a.Publish(Event{Kind: "late", Message: big, Shard: i})
		if (i+1)%burst == 0 {
			if evs := fast.wait(t, i+1); evs[i].Shard != i {
				t.Fatalf("the fast console's event %d is shard %d", i, evs[i].Shard)
			}
		}
	}
	var queued, dropped int64
	for _, c := range *a.conns.Load() {
		if c.peer.Remote == slow.Local {
			st := c.w.Stats()
			queued, dropped = int64(st.QueuedBytes), st.Dropped.Frames
		}
	}
	// Still connected, its queue at the bound, what did not fit counted.
	if queued == 0 || queued > hwm || dropped == 0 {
		t.Fatalf("the console that never reads: %d bytes queued, %d events dropped", queued, dropped)
	}
	a.Close(100 * time.Millisecond) // cuts the slow console short of its deadline
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(logs, "\n"), "slow console %s: over the high-water mark") {
		t.Fatalf("the drop episode was not logged: %q", logs)
	}
}

// NewPub names the endpoint it cannot use.
func TestNewPubErrors(t *testing.T) {
	for _, ep := range []string{"udp://1.2.3.4:5", "tcp://127.0.0.1:99999"} {
		if _, err := NewPub(ep, zmqx.Options{}, nil); err == nil || !strings.Contains(err.Error(), ep) {
			t.Errorf("NewPub(%q): %v, want an error naming it", ep, err)
		}
	}
	a, err := NewPub("tcp://127.0.0.1:0", zmqx.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(0)
	if _, err := NewPub(a.Endpoint(), zmqx.Options{}, nil); err == nil || !strings.Contains(err.Error(), a.Endpoint()) {
		t.Errorf("binding a bound endpoint: %v", err)
	}
}
