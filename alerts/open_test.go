package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// Without an endpoint Open gives a Pub that takes events and closes
// without doing anything; with one, a bound Pub it logs.
func TestOpen(t *testing.T) {
	var mu sync.Mutex // the Pub logs from its consoles' goroutines too
	var logged []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}
	a, err := Open("", zmqx.Options{}, logf)
	if a != nil || err != nil || len(logged) != 0 { // nothing runs yet: no lock needed
		t.Fatalf("Open(\"\") = %v, %v, logged %q; want nil, nil, nothing", a, err, logged)
	}
	publish := a.Publish
	publish(Event{Kind: "croak"})
	a.Close(time.Second)

	a, err = Open("tcp://127.0.0.1:0", zmqx.Options{}, logf)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := watch(t, ctx, &wg, a.Endpoint(), Topic)
	waitConsoles(t, a, 1)
	a.Publish(Event{Kind: "croak", Message: "CROAK: too slow"})
	if evs := w.wait(t, 1); evs[0].Kind != "croak" {
		t.Errorf("event %+v", evs[0])
	}
	cancel()
	wg.Wait()
	a.Close(time.Second)
	mu.Lock()
	if len(logged) == 0 || logged[0] != "alerts on "+a.Endpoint() {
		t.Errorf("logged %q; want alerts on %s first", logged, a.Endpoint())
	}
	mu.Unlock()
	if _, err := Open("tcp://nowhere", zmqx.Options{}, logf); err == nil {
		t.Error("a bad endpoint opened")
	}
}

func TestFormat(t *testing.T) {
	ev := Event{Kind: "gap", Host: "box", PID: 7, Time: 1, Message: "warning: shard 0 lost 3"}
	if got := Format(ev, false); got != Line(ev) {
		t.Errorf("text %q, want Line's %q", got, Line(ev))
	}
	var back Event
	if err := json.Unmarshal([]byte(Format(ev, true)), &back); err != nil || back.Kind != ev.Kind || back.Message != ev.Message || back.PID != 7 {
		t.Errorf("JSON %q does not read back (%v): %+v", Format(ev, true), err, back)
	}
	if strings.Contains(Format(ev, true), "\n") {
		t.Error("the JSON is not one line")
	}
}
