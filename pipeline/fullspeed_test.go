package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

// At full speed the publisher waits for the subscriber: a source that
// outruns it loses nothing, and the config is still a valid one.
func TestFullSpeed(t *testing.T) {
	pc := FullSpeed(shard.PubConfig{Partitions: 8})
	if !pc.Lossless || pc.HWM != fullSpeedHWM || pc.Partitions != 8 {
		t.Fatalf("%+v", pc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loop, err := Start(ctx, LoopConfig{Pub: pc, Receiver: ReceiverConfig{Sub: shard.SubConfig{ExitOnEOS: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	const n = 50000
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 10, Records: n})
	if err != nil {
		t.Fatal(err)
	}
	res, err := loop.Run(ctx, g, 0)
	if err != nil || res.SubErr != nil {
		t.Fatalf("run: %v, receiver: %v", err, res.SubErr)
	}
	ps, ss := loop.Publisher().Stats(), loop.Receiver().Subscriber().Stats()
	if ps.Records != n || ps.DroppedRecords != 0 || ss.Received != n {
		t.Fatalf("published %d, dropped %d, received %d; want %d, 0, %d", ps.Records, ps.DroppedRecords, ss.Received, n, n)
	}
}
