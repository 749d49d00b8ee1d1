package alerts

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// Watch subscribes with its prefix, hands over each well-formed event and
// drops (and says so) a message of the wrong shape or with bad JSON.
func TestWatch(t *testing.T) {
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	subs := make(chan string, 1)
	croak := Squawk{Kind: "late", Croak: true, Name: "risk-a", Topic: "AAPL", Seq: 7, Delay: 80 * time.Millisecond, Limit: 50 * time.Millisecond}
	body, _ := json.Marshal(Event{Kind: "croak", Source: "risk-a", Message: croak.String(), Squawk: &croak})
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) {
		m, err := p.RecvMsg()
		if err != nil || len(m.Frames) != 1 {
			return
		}
		subs <- string(m.Frames[0])
		p.Send([]byte(Topic + "croak"))                // one frame: dropped
		p.Send([]byte(Topic+"croak"), []byte("{nope")) // bad JSON: dropped
		p.Send([]byte(Topic+"croak"), body)            // delivered
		p.RecvMsg()                                    // until Watch hangs up
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var logs []string
	got := make(chan Event, 1)
	go Watch(ctx, ln.Endpoint(), Topic+"croak", zmqx.Options{}, func(ev Event) { got <- ev; cancel() },
		func(f string, a ...any) { mu.Lock(); logs = append(logs, f); mu.Unlock() })
	select {
	case s := <-subs:
		if s != "\x01"+Topic+"croak" {
			t.Fatalf("subscription %q", s)
		}
	case <-time.After(10 * time.Second):
		// Not ctx.Done: the event may already have arrived and cancelled
		// it, and select picks among ready cases at random.
		t.Fatal("Watch never subscribed")
	}
	var ev Event
	select {
	case ev = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	if ev.Kind != "croak" || ev.Squawk == nil || ev.Squawk.Seq != 7 || !strings.HasPrefix(ev.Message, "CROAK: risk-a shard 0: record AAPL seq 7") {
		t.Fatalf("event %+v", ev)
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(logs, "\n")
	if !strings.Contains(all, "dropped an alert message of %d frames") || !strings.Contains(all, "dropped a malformed alert") {
		t.Fatalf("logs:\n%s", all)
	}
}
