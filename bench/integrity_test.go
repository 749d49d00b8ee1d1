package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// TestPooledBuffersIntact: subscribers receive into pooled buffers that
// records alias; a buffer recycled while a worker still reads it would
// show as a record whose bytes changed under it. Workers split batches by
// topic (sharing the buffer) and handle them slowly, so buffers are reused
// while others are in flight, and every record is checked against what
// the generator writes (a MarketMsg, then the topic repeated).
func TestPooledBuffersIntact(t *testing.T) {
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var checked, bad atomic.Int64
	var first atomic.Value
	pool, err := workers.NewPool(workers.PoolConfig{Workers: 3, Order: workers.OrderTopic, Queue: 4,
		NewHandler: func(int) workers.Handler {
			return workers.HandlerFunc(func(recs []feed.Record) {
				time.Sleep(20 * time.Microsecond)
				for i := range recs {
					r := &recs[i]
					fill := bytes.Repeat(r.Topic, 256/len(r.Topic)+1)
					_, ok := feed.ParseMarketMsg(r.Payload)
					if !ok || !bytes.HasPrefix(fill, r.Payload[feed.MarketMsgLen:]) {
						if bad.Add(1) == 1 {
							first.Store(fmt.Sprintf("%s seq %d payload %q", r.Topic, r.Seq, r.Payload))
						}
					}
					checked.Add(1)
				}
			})
		}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints(), ExitOnEOS: true}, pool)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 4, Records: 300000, VarySize: true})
	if err := pub.Run(ctx, gen); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pool.Close()
	if checked.Load() != 300000 || bad.Load() != 0 {
		t.Fatalf("checked %d of 300000 records, %d corrupted; first: %v", checked.Load(), bad.Load(), first.Load())
	}
}
