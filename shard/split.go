package shard

import "github.com/bbox-dev/bbox/feed"

// OnePartition wraps a sink that needs every batch to hold records of one
// origin (publisher, epoch, partition): the subscriber delivers everything
// one read brought at once, which can span partitions, and a sink that
// re-encodes a batch as one wire frame (workers.PushDispatcher) takes its
// header from the first record. Batches of one origin pass through; others
// are cut into runs that share the read's buffer. Aborter is passed on.
func OnePartition(s Sink) Sink {
	if a, ok := s.(Aborter); ok {
		return onePartAborter{onePart{s}, a}
	}
	return onePart{s}
}

type onePart struct{ s Sink }

type onePartAborter struct {
	onePart
	a Aborter
}

func (o onePartAborter) Abort() { o.a.Abort() }

func sameOrigin(a, b *feed.Record) bool {
	return a.Partition == b.Partition && a.Publisher == b.Publisher && a.Epoch == b.Epoch
}

func (o onePart) Deliver(shard int, b *feed.Batch) {
	recs := b.Recs
	cut := 0
	for i := 1; i < len(recs) && cut == 0; i++ {
		if !sameOrigin(&recs[i], &recs[0]) {
			cut = i
		}
	}
	if cut == 0 {
		o.s.Deliver(shard, b)
		return
	}
	for start := 0; start < len(recs); {
		end := start + 1
		for end < len(recs) && sameOrigin(&recs[end], &recs[start]) {
			end++
		}
		nb := feed.GetBatch()
		nb.Share(b)
		nb.Recs = append(nb.Recs, recs[start:end]...)
		o.s.Deliver(shard, nb)
		start = end
	}
	feed.PutBatch(b)
}
