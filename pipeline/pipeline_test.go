package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bbox-dev/bbox/alerts"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func gen(t *testing.T, records int64) *feed.Generator {
	t.Helper()
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 50, Seed: 7, Records: records})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A whole run over loopback delivers every record once, to the workers,
// and the counters make the verdict say so.
func TestLoopDeliversEverything(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var observed atomic.Int64
	loop, err := Start(ctx, LoopConfig{
		Shards: 2,
		Pub:    shard.PubConfig{Lossless: true},
		Receiver: ReceiverConfig{
			Sub:  shard.SubConfig{ExitOnEOS: true, Name: "test", Observe: func(_ int, _ int64, recs []feed.Record) { observed.Add(int64(len(recs))) }},
			Pool: workers.PoolConfig{Workers: 3},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	const n = 20000
	res, err := loop.Run(ctx, gen(t, n), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.SubErr != nil || res.DrainExpired || res.Interrupted {
		t.Fatalf("result %+v", res)
	}
	ps, ss := loop.Publisher().Stats(), loop.Receiver().Subscriber().Stats()
	if ps.Records != n || ss.Received != n || observed.Load() != n {
		t.Fatalf("published %d, received %d, observed %d; want %d each", ps.Records, ss.Received, observed.Load(), n)
	}
	var handled int64
	for _, w := range loop.Receiver().WorkerStats() {
		handled += w.Records
	}
	if handled != n {
		t.Fatalf("workers took %d of %d", handled, n)
	}
	if top := loop.Receiver().TopSymbols(5); len(top) != 5 {
		t.Fatalf("top symbols %v", top)
	}
	in := loop.Receiver().VerdictInput(ss)
	in.Published, in.PublishedExact, in.Discarded = ps.Records, true, 0
	if v := verdict.Judge(in); v.Code != verdict.ExactlyOnce {
		t.Fatalf("verdict %s: %s", v.Code, v.Detail)
	}
	if _, err := loop.Run(ctx, gen(t, 1), 0); err == nil {
		t.Fatal("a second Run succeeded")
	}
}

// An interrupted run stops the publisher, not the subscriber: what was
// sent still arrives and nothing is lost.
func TestLoopInterruptDrains(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loop, err := Start(ctx, LoopConfig{Receiver: ReceiverConfig{Sub: shard.SubConfig{ExitOnEOS: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	rctx, rcancel := context.WithCancel(ctx)
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 10, Rate: 20000})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// Interrupt once records are flowing.
		for loop.Publisher().Stats().Records < 1000 && rctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		rcancel()
	}()
	res, err := loop.Run(rctx, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.SubErr != nil {
		t.Fatalf("result %+v", res)
	}
	ps, ss := loop.Publisher().Stats(), loop.Receiver().Subscriber().Stats()
	if ss.Received != ps.Records || ss.Lost != 0 {
		t.Fatalf("published %d, received %d, lost %d", ps.Records, ss.Received, ss.Lost)
	}
}

// Squawks are kept for the summary, shown, and passed on; a croak is
// remembered and reaches the verdict input.
func TestReceiverCroak(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var shown, passed, croakAlerts atomic.Int64
	loop, err := Start(ctx, LoopConfig{
		Receiver: ReceiverConfig{
			// Every record is older than 1ns: the first one croaks.
			Sub:  shard.SubConfig{ExitOnEOS: true, MaxDelay: time.Nanosecond, OnSquawk: func(shard.Squawk) { passed.Add(1) }},
			Show: func(line string) { shown.Add(1) },
			Alert: func(ev alerts.Event) {
				if ev.Kind == "croak" {
					croakAlerts.Add(1)
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	res, err := loop.Run(ctx, gen(t, 1000), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ce *shard.CroakError
	if !errors.As(res.SubErr, &ce) {
		t.Fatalf("receiver ended with %v, want a croak", res.SubErr)
	}
	rx := loop.Receiver()
	if rx.Croak() == nil || len(rx.Squawks()) == 0 || shown.Load() == 0 || passed.Load() == 0 || croakAlerts.Load() != 1 {
		t.Fatalf("croak %v, %d squawks kept, %d shown, %d passed on, %d croak alerts", rx.Croak(), len(rx.Squawks()), shown.Load(), passed.Load(), croakAlerts.Load())
	}
	in := rx.VerdictInput(rx.Subscriber().Stats())
	if !in.Croaked || !strings.Contains(in.CroakReason, ce.Error()) {
		t.Fatalf("verdict input croaked %v %q", in.Croaked, in.CroakReason)
	}
}

func TestLoopConfigValidate(t *testing.T) {
	for _, c := range []LoopConfig{{Shards: -1}, {Shards: 65}, {Drain: -1}, {Wait: -time.Second}} {
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "pipeline: ") {
			t.Errorf("%+v: %v", c, err)
		}
		if _, err := Start(context.Background(), c); err == nil {
			t.Errorf("%+v: Start succeeded", c)
		}
	}
	if err := (LoopConfig{}).Validate(); err != nil {
		t.Error(err)
	}
}

// A bad worker endpoint fails before anything subscribes.
func TestReceiverBadPush(t *testing.T) {
	_, err := NewReceiver(ReceiverConfig{Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}, Push: &workers.PushConfig{Bind: "nonsense"}})
	if err == nil {
		t.Fatal("NewReceiver accepted a bad push endpoint")
	}
}

// Stop before Run still ends Run: a Loop whose Start fails stops its
// receiver before the goroutine running it may have begun.
func TestReceiverStopBeforeRun(t *testing.T) {
	rx, err := NewReceiver(ReceiverConfig{Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	rx.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rx.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("Run after Stop ran until its context ended")
	}
}
