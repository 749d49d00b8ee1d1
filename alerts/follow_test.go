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

// TestLineLabelOnce (16.2): a console line shows the kind once.
func TestLineLabelOnce(t *testing.T) {
	croak := Squawk{Kind: "late", Croak: true, Name: "risk-a", Shard: 0, Topic: "AAPL", Seq: 7, Delay: 80 * time.Millisecond, Limit: 50 * time.Millisecond}
	late := croak
	late.Croak = false
	for _, c := range []struct {
		ev   Event
		want string
	}{
		{Event{Kind: "croak", Message: croak.String(), Squawk: &croak, Host: "b", PID: 9}, " b pid 9 CROAK: risk-a shard 0: record AAPL seq 7"},
		{Event{Kind: "late", Message: late.String(), Squawk: &late, Host: "b", PID: 9}, " b pid 9 LATE: risk-a shard 0: record AAPL seq 7"},
		{Event{Kind: "slow_consumer", Message: "shard 1: slow subscriber 10.0.0.2:5000: over the high-water mark", Host: "a", PID: 3}, " a pid 3 SLOW_CONSUMER: shard 1: slow subscriber"},
	} {
		got := Line(c.ev)
		if !strings.Contains(got, c.want) || strings.Count(strings.ToUpper(got), strings.ToUpper(c.ev.Kind)+":") != 1 || strings.Contains(got, "warning:") {
			t.Errorf("Line = %q, want it to contain %q with the label once", got, c.want)
		}
	}
}

// Follow subscribes to each kind asked for, shows Count events and
// returns; a bad endpoint is logged and ends it.
func TestFollow(t *testing.T) {
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var smu sync.Mutex
	subs := map[string]bool{}
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) {
		m, err := p.RecvMsg()
		if err != nil || len(m.Frames) != 1 {
			return
		}
		kind := strings.TrimPrefix(string(m.Frames[0]), "\x01"+Topic)
		smu.Lock()
		subs[kind] = true
		smu.Unlock()
		for i := 0; i < 3; i++ {
			body, _ := json.Marshal(Event{Kind: kind, Message: "m", PID: i})
			p.Send([]byte(Topic+kind), body)
		}
		p.RecvMsg() // until Follow hangs up
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []Event
	Follow(ctx, FollowConfig{Endpoints: []string{ln.Endpoint()}, Kinds: []string{"croak", "gap"}, Count: 4}, func(ev Event) { got = append(got, ev) })
	if ctx.Err() != nil || len(got) != 4 {
		t.Fatalf("Follow: %d events %+v (ctx %v), want 4", len(got), got, ctx.Err())
	}
	smu.Lock()
	if !subs["croak"] || !subs["gap"] {
		t.Errorf("subscriptions %v, want croak and gap", subs)
	}
	smu.Unlock()
	var logs []string
	Follow(ctx, FollowConfig{Endpoints: []string{"nope://x"}, Logf: func(f string, a ...any) { logs = append(logs, f) }}, func(Event) {})
	if len(logs) != 1 || ctx.Err() != nil {
		t.Errorf("bad endpoint: logs %q", logs)
	}
}
