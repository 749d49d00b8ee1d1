package shard

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// collect is a Sink that records (partition, seq) pairs.
type collect struct {
	mu   sync.Mutex
	seen map[[2]uint64]int
	n    int
}

func (c *collect) Deliver(shard int, b *feed.Batch) {
	c.mu.Lock()
	for _, r := range b.Recs {
		c.seen[[2]uint64{uint64(r.Partition), r.Seq}]++
		c.n++
	}
	c.mu.Unlock()
	feed.PutBatch(b)
}

func TestPubSubLoopback(t *testing.T) {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	sink := &collect{seen: map[[2]uint64]int{}}
	sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), ExitOnEOS: true, Logf: t.Logf}, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Records: 200000})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := sub.Stats()
	t.Logf("pub %+v", pub.Stats().Shards)
	t.Logf("sub %+v", st)
	if sink.n != 200000 || st.Lost != 0 || st.Gaps != 0 {
		t.Fatalf("received %d of 200000, lost %d, gaps %d", sink.n, st.Lost, st.Gaps)
	}
	for k, n := range sink.seen {
		if n != 1 {
			t.Fatalf("record %v received %d times", k, n)
		}
	}
}
