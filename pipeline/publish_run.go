package pipeline

import (
	"context"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

// PubRun is one publisher's whole run, as bbox pub and bbox replay make
// it: a Publisher from Config, the wait for its subscribers, then a
// Source published through it (Publish) for at most Duration. The zero
// value of every field but Config.Binds is usable.
type PubRun struct {
	Config shard.PubConfig
	// WaitSubs, if positive, holds the publishing back until every shard
	// has this many subscribers, for at most WaitTimeout (so 0 gives up at
	// once unless they are there); a wait that runs out is Run's error.
	WaitSubs    int
	WaitTimeout time.Duration
	// Duration bounds the publishing (0: until the source ends or ctx
	// does); the wait does not count.
	Duration time.Duration
	// Started, if set, is called once the publisher is bound, before the
	// wait (to log its endpoints, serve its metrics).
	Started func(*shard.Publisher)
	// Around, if set, is called with the publishing and must call it
	// once (to show a status line while it runs).
	Around func(pub *shard.Publisher, publish func())
}

// Run does the run of src and returns the publisher's counters at the end
// and how long it published. The publisher is closed when Run returns.
func (r PubRun) Run(ctx context.Context, src feed.Source) (shard.PubStats, time.Duration, error) {
	pub, err := shard.NewPublisher(r.Config)
	if err != nil {
		return shard.PubStats{}, 0, err
	}
	if r.Started != nil {
		r.Started(pub)
	}
	if r.WaitSubs > 0 {
		wctx, cancel := context.WithTimeout(ctx, r.WaitTimeout)
		err := pub.WaitSubscribers(wctx, r.WaitSubs)
		cancel()
		if err != nil {
			pub.Close()
			return shard.PubStats{}, 0, err
		}
	}
	var elapsed time.Duration
	publish := func() { elapsed, err = Publish(ctx, pub, src, r.Duration) }
	if r.Around != nil {
		r.Around(pub, publish)
	} else {
		publish()
	}
	if err != nil {
		return shard.PubStats{}, elapsed, err
	}
	return pub.Stats(), elapsed, nil
}
