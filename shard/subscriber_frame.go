package shard

// The per-message half of a shard thread's read loop: decoding a
// message, sequencing and filtering its records, the late check, and
// end-of-stream. Everything here runs on the shard thread that owns t.

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// frame decodes one message (its batch frame in b.Buf) and appends its
// new, wanted records to b; it returns true when the thread should exit.
func (t *shardThread) frame(frames [][]byte, b *feed.Batch, now int64) bool {
	s, st := t.s, t.st
	if len(frames) != 2 {
		return t.malformed(fmt.Errorf("message of %d frames, want [prefix][batch]", len(frames)))
	}
	part, ok := feed.ParsePrefix(frames[0])
	if !ok {
		return t.malformed(fmt.Errorf("bad prefix frame %q", frames[0]))
	}
	start := len(b.Recs)
	recs, h, err := feed.DecodeFrame(frames[1], b.Recs)
	b.Recs = recs
	if err == nil && h.Partition != part {
		err = fmt.Errorf("prefix says partition %d, header says %d", part, h.Partition)
	}
	drop := func() { clear(b.Recs[start:]); b.Recs = b.Recs[:start] }
	if err != nil {
		drop()
		return t.malformed(err)
	}
	if s.cfg.dropFrame != nil && s.cfg.dropFrame(t.id, &h) {
		drop()
		return false
	}
	t.nFrames++
	t.nBytes += int64(len(frames[1]))

	// Sequences: per (publisher, partition), so topic filtering and
	// partial subscriptions never look like gaps.
	k := seqKey{h.Publisher, h.Partition}
	q := t.seqs[k]
	joining := false
	switch {
	case q == nil || h.Epoch > q.epoch:
		if q != nil {
			st.restarts.Add(1)
			s.cfg.Logf("shard %d: publisher %x restarted (epoch %d → %d): sequences start over", t.id, h.Publisher, q.epoch, h.Epoch)
			if q.eos {
				t.eosSeen--
			}
		}
		q = &seqState{epoch: h.Epoch, next: h.FirstSeq}
		if from := s.cfg.JoinFrom; t.rec != nil && from > 0 && h.FirstSeq > from {
			// A late join that wants the past: recovered below as a gap
			// that is not one.
			q.next, joining = from, true
		}
		if q.next > 1 {
			st.joined.Add(int64(q.next - 1))
		}
		t.seqs[k] = q
		// Up to next; from there the frame (and the recovery of a join
		// from an earlier sequence) counts below.
		st.published.Add(int64(q.next - 1))
	case h.Epoch < q.epoch:
		// A frame from a previous incarnation, still in flight: stale.
		drop()
		return false
	}
	if h.FirstSeq > q.next && t.recoveryOn(now, h.FirstSeq-q.next, joining) {
		if !joining {
			st.gaps.Add(1)
		}
		t.startRecovery(k, h.Epoch, q.next, h.FirstSeq, now)
	} else if h.FirstSeq > q.next {
		missing := h.FirstSeq - q.next
		st.gaps.Add(1)
		st.lost.Add(int64(missing))
		sq := Squawk{Kind: "gap", Name: s.cfg.Name, Shard: t.id, Publisher: h.Publisher, Partition: h.Partition,
			Seq: h.FirstSeq, Expected: q.next, Missing: missing, Time: now,
			Croak: s.cfg.GapCroak && missing > s.cfg.MaxGap}
		if sq.Croak {
			drop()
			s.croak(sq)
			return true
		}
		s.squawk(sq)
	} else if h.FirstSeq < q.next && len(b.Recs) > start {
		// Overlap (should not happen on PUB/SUB): keep only the new records.
		skip := int(min(q.next-h.FirstSeq, uint64(len(b.Recs)-start)))
		st.dups.Add(int64(skip))
		n := copy(b.Recs[start:], b.Recs[start+skip:])
		clear(b.Recs[start+n:])
		b.Recs = b.Recs[:start+n]
	}
	end := h.FirstSeq + uint64(h.Count)
	if end > q.next {
		st.published.Add(int64(end - q.next))
		q.next = end
	}
	if h.Flags&feed.FlagEOS != 0 && !q.eos {
		q.eos = true
		if t.eosDone(&h) {
			return true
		}
	}
	if len(b.Recs) == start {
		return false
	}
	if t.recovering(k) {
		// Held behind the recovery; filtered now, aged when handed over.
		t.filterTopics(b, start)
		if len(b.Recs) == start {
			return false
		}
		return t.holdRecs(k, b, start, now)
	}

	// The snail: the clock was read once for the read; records in a
	// frame are in send order, so the first is the oldest.
	if age := now - b.Recs[start].SendTS - int64(s.cfg.ClockOffset); age > t.maxAge {
		t.maxAge = age
	}
	if s.cfg.MaxDelay > 0 && time.Since(s.start) >= s.cfg.Warmup {
		if t.checkLate(b.Recs[start:], now) {
			drop()
			return true
		}
	}

	t.filterTopics(b, start)
	return false
}

// filterTopics keeps b.Recs[start:] whose topic matches, counting the rest.
func (t *shardThread) filterTopics(b *feed.Batch, start int) {
	s := t.s
	if len(s.topics) == 0 {
		return
	}
	keep := b.Recs[:start]
	for _, r := range b.Recs[start:] {
		for _, p := range s.topics {
			if bytes.HasPrefix(r.Topic, p) {
				keep = append(keep, r)
				break
			}
		}
	}
	t.st.filtered.Add(int64(len(b.Recs) - len(keep)))
	clear(b.Recs[len(keep):])
	b.Recs = keep
}

// checkLate applies MaxDelay to every record; true means croak.
func (t *shardThread) checkLate(recs []feed.Record, now int64) bool {
	s := t.s
	limit := int64(s.cfg.MaxDelay)
	off := int64(s.cfg.ClockOffset)
	for i := range recs {
		r := &recs[i]
		age := now - r.SendTS - off
		if age <= limit {
			continue
		}
		t.st.late.Add(1)
		sq := Squawk{Kind: "late", Name: s.cfg.Name, Shard: t.id, Publisher: r.Publisher, Partition: r.Partition,
			Topic: string(r.Topic), Seq: r.Seq, Delay: time.Duration(age), Limit: s.cfg.MaxDelay,
			Croak: s.cfg.OnLate == LateCroak, Time: now}
		if sq.Croak {
			s.croak(sq)
			return true
		}
		// Warn: one line per second at most, with how many were late since.
		t.warnBacklog++
		if time.Since(t.lastWarn) >= time.Second {
			if s.cfg.OnSquawk != nil {
				s.cfg.OnSquawk(sq)
			} else {
				s.cfg.Logf("%s (%d late records since the last warning)", sq, t.warnBacklog)
			}
			t.lastWarn, t.warnBacklog = time.Now(), 0
		}
	}
	return false
}

// eosDone records an end-of-stream and reports whether, with ExitOnEOS,
// every partition this thread expects has ended.
func (t *shardThread) eosDone(h *feed.Header) bool {
	t.eosSeen++
	if !t.s.cfg.ExitOnEOS {
		return false
	}
	if t.expect == nil {
		t.expect = map[uint32]bool{}
		want := map[uint32]bool{}
		for _, p := range t.s.cfg.Partitions {
			want[p] = true
		}
		for p := uint32(h.Shard); p < h.Partitions; p += uint32(max(h.Shards, 1)) {
			if len(want) == 0 || want[p] {
				t.expect[p] = true
			}
		}
	}
	for p := range t.expect {
		q := t.seqs[seqKey{h.Publisher, p}]
		if q == nil || !q.eos {
			return false
		}
	}
	t.st.eos.Store(true)
	return true
}

// ended reports whether every stream this thread has seen sent its
// end-of-stream (a publisher that closes after it is done, not lost).
func (t *shardThread) ended() bool {
	for _, q := range t.seqs {
		if !q.eos {
			return false
		}
	}
	return len(t.seqs) > 0
}

func (t *shardThread) malformed(err error) bool {
	n := t.st.malformed.Add(1)
	if n <= 10 || n%1000 == 0 {
		t.s.cfg.Logf("shard %d: dropped malformed message #%d from %s: %v", t.id, n, t.s.eps[t.id].Raw, err)
	}
	return false
}
