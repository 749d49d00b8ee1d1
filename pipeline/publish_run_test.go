package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

type countSink struct{ n atomic.Int64 }

func (c *countSink) Deliver(_ int, b *feed.Batch) { c.n.Add(int64(len(b.Recs))) }

// A run waits for its subscriber (started from Started, as an operator
// starts one once the endpoints are logged), publishes the whole source
// inside Around, and returns the publisher's final counters.
func TestPubRunWaitsThenPublishes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var sink countSink
	subDone := make(chan error, 1)
	var arounds int
	run := PubRun{
		Config:      shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Lossless: true, Rewind: -1},
		WaitSubs:    1,
		WaitTimeout: 20 * time.Second,
		Started: func(pub *shard.Publisher) {
			sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints(), ExitOnEOS: true, Recover: shard.RecoverOff}, &sink)
			if err != nil {
				t.Error(err)
				subDone <- err
				return
			}
			go func() { subDone <- sub.Run(ctx) }()
		},
		Around: func(pub *shard.Publisher, publish func()) { arounds++; publish() },
	}
	st, _, err := run.Run(ctx, gen(t, 500))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-subDone; err != nil {
		t.Fatalf("subscriber: %v", err)
	}
	if st.Records != 500 || sink.n.Load() != 500 || arounds != 1 {
		t.Fatalf("published %d, delivered %d, Around called %d times; want 500, 500, 1", st.Records, sink.n.Load(), arounds)
	}
}

// A wait that runs out is the run's error, and nothing is published.
func TestPubRunWaitTimesOut(t *testing.T) {
	started := false
	run := PubRun{
		Config:      shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Rewind: -1},
		WaitSubs:    1,
		WaitTimeout: 50 * time.Millisecond,
		Started:     func(*shard.Publisher) { started = true },
		Around:      func(*shard.Publisher, func()) { t.Error("published without its subscriber") },
	}
	_, _, err := run.Run(context.Background(), gen(t, 10))
	if !errors.Is(err, context.DeadlineExceeded) || !started {
		t.Fatalf("Run = %v (Started called: %v); want context.DeadlineExceeded after Started", err, started)
	}
}

// Duration ends a source that would not end by itself; that is no error.
func TestPubRunDuration(t *testing.T) {
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 10, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	run := PubRun{Config: shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Rewind: -1}, Duration: 100 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := run.Run(ctx, g); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("Duration did not end the run")
	}
}

// A config NewPublisher refuses is Run's error.
func TestPubRunBadConfig(t *testing.T) {
	if _, _, err := (PubRun{}).Run(context.Background(), gen(t, 1)); err == nil {
		t.Fatal("no binds: no error")
	}
}
