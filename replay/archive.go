package replay

import (
	"os"
	"sort"
	"sync"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
)

// Archive answers recovery requests (docs/wire.md section 9) from capture
// files, finished and in progress (bbox record --serve): a subscriber
// that the publisher's window cannot serve any more, or one that starts
// hours late with --from-start, gets the recorded records with their
// original sequences and send and source timestamps.
//
// It keeps, per file, which sequences of which (publisher, epoch,
// partition) each chunk holds, read once per chunk; a file that has
// grown since is scanned again for its new chunks only. Answers are
// rebuilt as batch frames from the recorded records: one frame per run
// of consecutive sequences, so a hole in a recording is a hole in the
// answer (the END message then says what was served).
//
// Answer is safe for concurrent use (one mutex; the files are read under it).
type Archive struct {
	files func() []string

	mu  sync.Mutex
	idx map[string]*archFile
}

type streamKey struct {
	pub, epoch uint64
	part       uint32
}

type archFile struct {
	size   int64
	chunks []archChunk
}

type archChunk struct {
	info    ChunkInfo
	streams map[streamKey][2]uint64 // lowest and highest sequence
}

// NewArchive serves the capture files files() lists (asked on every
// request, so a rotating recorder's new files are found).
func NewArchive(files func() []string) *Archive {
	return &Archive{files: files, idx: map[string]*archFile{}}
}

// refresh indexes the chunks written since the last look.
func (a *Archive) refresh() {
	for _, name := range a.files() {
		st, err := os.Stat(name)
		if err != nil {
			continue
		}
		af := a.idx[name]
		if af != nil && af.size == st.Size() {
			continue
		}
		if af == nil {
			af = &archFile{}
			a.idx[name] = af
		}
		r, err := Open(name)
		if err != nil {
			continue // not even a header yet
		}
		known := map[int64]bool{}
		for _, c := range af.chunks {
			known[c.info.Offset] = true
		}
		var ch Chunk
		var recs []feed.Record
		for _, info := range r.Chunks() {
			if known[info.Offset] {
				continue
			}
			if r.ReadChunk(info, &ch) != nil {
				continue
			}
			recs, err = ch.Decode(recs[:0])
			if err != nil {
				continue
			}
			c := archChunk{info: info, streams: map[streamKey][2]uint64{}}
			for i := range recs {
				k := streamKey{recs[i].Publisher, recs[i].Epoch, recs[i].Partition}
				sp, ok := c.streams[k]
				if !ok {
					sp = [2]uint64{recs[i].Seq, recs[i].Seq}
				}
				sp[0], sp[1] = min(sp[0], recs[i].Seq), max(sp[1], recs[i].Seq)
				c.streams[k] = sp
			}
			af.chunks = append(af.chunks, c)
		}
		sort.Slice(af.chunks, func(i, j int) bool { return af.chunks[i].info.Offset < af.chunks[j].info.Offset })
		af.size = r.Size()
		r.Close()
	}
}

// Answer implements shard.RecoveryStore.
func (a *Archive) Answer(req *shard.RecoveryRequest, maxBytes int, send func(*zmqx.Frame) bool) shard.RecoveryReply {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh()
	k := streamKey{req.Publisher, req.Epoch, req.Partition}
	to := req.From + uint64(req.Count)
	if to < req.From {
		to = ^uint64(0)
	}
	// Every held record of the range, from every file, in sequence order.
	var want []struct {
		name string
		c    archChunk
	}
	var lowest, highest uint64
	for name, af := range a.idx {
		for _, c := range af.chunks {
			sp, ok := c.streams[k]
			if !ok {
				continue
			}
			if lowest == 0 || sp[0] < lowest {
				lowest = sp[0]
			}
			highest = max(highest, sp[1])
			if sp[1] >= req.From && sp[0] < to {
				want = append(want, struct {
					name string
					c    archChunk
				}{name, c})
			}
		}
	}
	// Lowest sequences first, so a reply cut at maxBytes ends at a
	// sequence below which everything held was read.
	sort.Slice(want, func(i, j int) bool { return want[i].c.streams[k][0] < want[j].c.streams[k][0] })
	rep := shard.RecoveryReply{Status: shard.RecOK, FirstAvailable: lowest, NextSeq: highest + 1, ServedFrom: req.From, ServedTo: req.From}
	if lowest == 0 {
		return shard.RecoveryReply{Status: shard.RecUnknownStream}
	}
	var recs []feed.Record
	var ch Chunk
	var got []feed.Record
	bytes := 0
	readers := map[string]*Reader{}
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for _, w := range want {
		r := readers[w.name]
		if r == nil {
			var err error
			if r, err = Open(w.name); err != nil {
				continue
			}
			readers[w.name] = r
		}
		if r.ReadChunk(w.c.info, &ch) != nil {
			continue
		}
		var err error
		if recs, err = ch.Decode(recs[:0]); err != nil {
			continue
		}
		for _, rec := range recs {
			if rec.Publisher == k.pub && rec.Epoch == k.epoch && rec.Partition == k.part && rec.Seq >= req.From && rec.Seq < to {
				// Copied: the chunk's buffers are reused.
				rec.Topic = append([]byte(nil), rec.Topic...)
				rec.Payload = append([]byte(nil), rec.Payload...)
				got = append(got, rec)
				bytes += rec.WireSize(false)
			}
		}
		if bytes >= maxBytes {
			break
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Seq < got[j].Seq })
	if len(got) == 0 || got[0].Seq > req.From {
		rep.Status = shard.RecPartial
		rep.ServedFrom = to
		if len(got) > 0 {
			rep.ServedFrom = got[0].Seq
		}
		rep.ServedTo = rep.ServedFrom
	}
	// One frame per run of consecutive sequences, up to 64 KiB each.
	hdr := shard.DataHeader(req.ID)
	var enc feed.Encoder
	open := false
	sent := 0
	flush := func() bool {
		if !open {
			return true
		}
		open = false
		body := enc.Finish()
		rep.Frames++
		rep.Records += uint32(enc.Count())
		sent += len(body)
		return send(zmqx.NewFrame(hdr, body, enc.Count()))
	}
	var next uint64
	for i := range got {
		r := &got[i]
		if i > 0 && r.Seq < next {
			continue // recorded twice (overlapping files)
		}
		if sent >= maxBytes {
			break
		}
		if open && (r.Seq != next || enc.Len()+r.WireSize(false) > 64<<10) {
			if !flush() {
				return rep
			}
		}
		if !open {
			enc.Reset(make([]byte, 0, 64<<10+512), feed.Header{Shard: r.Shard, Shards: 1, Partition: k.part,
				Partitions: k.part + 1, Publisher: k.pub, Epoch: k.epoch, FirstSeq: r.Seq})
			open = true
		}
		enc.Append(r)
		next = r.Seq + 1
		rep.ServedTo = next
	}
	flush()
	return rep
}
