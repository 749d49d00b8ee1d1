package replay

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
)

// TestArchiveAnswers: a recording answers a range with the recorded
// records (sequences and timestamps as recorded), in frames a subscriber
// decodes, cut at the byte cap; a range it never held is partial; an
// unknown stream is said so.
func TestArchiveAnswers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.bbc")
	rec, err := NewRecorder(RecorderConfig{Out: out, Flush: -1})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := feed.NewGenerator(feed.GenConfig{Seed: 3, Records: 300000, Symbols: 50})
	const pub, epoch = 11, 22
	seq := [2]uint64{}
	for {
		b := feed.GetBatch()
		err := g.Next(t.Context(), b)
		for i := range b.Recs {
			r := &b.Recs[i]
			p := uint32(i % 2)
			seq[p]++
			r.Publisher, r.Epoch, r.Partition, r.Seq, r.SendTS = pub, epoch, p, seq[p], int64(seq[p])*7
			if seq[p] >= 1000 && seq[p] < 1100 && p == 1 {
				r.Partition = 9 // a hole in partition 1: 1000..1099 not recorded
			}
		}
		rec.Deliver(0, b)
		if err != nil {
			break
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	a := NewArchive(func() []string { return []string{out} })
	ask := func(part uint32, from uint64, count uint32, maxBytes int) ([]feed.Record, shard.RecoveryReply) {
		var got []feed.Record
		start := time.Now()
		rep := a.Answer(&shard.RecoveryRequest{ID: 1, Publisher: pub, Epoch: epoch, Partition: part, From: from, Count: count}, maxBytes,
			func(f *zmqx.Frame) bool {
				recs, h, err := feed.DecodeFrame(f.Body, nil)
				if err != nil || h.Partition != part {
					t.Fatalf("reply frame: %v (partition %d)", err, h.Partition)
				}
				got = append(got, recs...)
				f.Unref()
				return true
			})
		t.Logf("partition %d from %d count %d: %d records, %+v in %v", part, from, count, len(got), rep, time.Since(start))
		return got, rep
	}
	got, rep := ask(0, 1, 100000, 64<<20)
	if len(got) != 100000 || rep.Status != shard.RecOK || rep.ServedTo != 100001 {
		t.Fatalf("partition 0: %d records, %+v", len(got), rep)
	}
	for i, r := range got {
		if r.Seq != uint64(i+1) || r.SendTS != int64(r.Seq)*7 {
			t.Fatalf("record %d: seq %d send %d", i, r.Seq, r.SendTS)
		}
	}
	got, rep = ask(0, 1, 100000, 1<<20)
	if rep.ServedTo <= 1 || rep.ServedTo > 100001 || uint64(len(got)) != rep.ServedTo-1 {
		t.Fatalf("capped: %d records, %+v", len(got), rep)
	}
	got, _ = ask(1, 990, 20, 1<<20)
	if len(got) != 10 || got[9].Seq != 999 {
		t.Fatalf("partition 1 around its hole: %d records", len(got))
	}
	got, rep = ask(1, 1000, 50, 1<<20)
	if len(got) != 0 || rep.Status != shard.RecPartial {
		t.Fatalf("inside the hole: %d records, %+v", len(got), rep)
	}
	if _, rep = ask(5, 1, 10, 1<<20); rep.Status != shard.RecUnknownStream {
		t.Fatalf("unknown partition: %+v", rep)
	}
}
