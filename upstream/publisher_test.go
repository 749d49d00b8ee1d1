package upstream

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

// countSink counts what a subscriber delivers.
type countSink struct{ n atomic.Int64 }

func (c *countSink) Deliver(_ int, b *feed.Batch) {
	c.n.Add(int64(len(b.Recs)))
	feed.PutBatch(b)
}

// TestUpstreamThroughPublisher runs an upstream feed through a publisher
// and a subscriber: every message arrives once, per topic in order.
func TestUpstreamThroughPublisher(t *testing.T) {
	fu := newFakeUpstream(t)
	const n = 5000
	u := newTestUpstream(t, Config{Endpoint: fu.ln.Endpoint(), Records: n})
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	col := &countSink{}
	sub, err := shard.NewSubscriber(shard.SubConfig{Connect: pub.Endpoints(), ExitOnEOS: true, Logf: t.Logf}, col)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subDone := make(chan error, 1)
	go func() { subDone <- sub.Run(ctx) }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	pubDone := make(chan error, 1)
	go func() { pubDone <- pub.Run(ctx, u) }()
	p, _ := fu.accept(t, 1)
	topics := []string{"AAPL", "MSFT", "IBM", "GOOG", "NVDA"}
	for i := 0; i < n; i++ {
		send(t, p, []byte(topics[i%len(topics)]), binary.LittleEndian.AppendUint32(nil, uint32(i)))
	}
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if err := <-subDone; err != nil {
		t.Fatal(err)
	}
	if col.n.Load() != n {
		t.Fatalf("subscriber got %d records, want %d", col.n.Load(), n)
	}
	if st := pub.Stats(); st.Records != n {
		t.Fatalf("published %d, want %d", st.Records, n)
	}
}
