package shard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
)

// RecoverMode is where a subscriber recovers what it missed.
type RecoverMode int

const (
	// RecoverOff counts what is missing as lost (the zero value).
	RecoverOff RecoverMode = iota
	// RecoverWindow asks the publisher's rewind window.
	RecoverWindow
	// RecoverArchive asks the window first, then the archives
	// (SubConfig.Archive: bbox record --serve).
	RecoverArchive
)

// ParseRecoverMode reads off, window or archive.
func ParseRecoverMode(s string) (RecoverMode, error) {
	switch s {
	case "off":
		return RecoverOff, nil
	case "window":
		return RecoverWindow, nil
	case "archive":
		return RecoverArchive, nil
	}
	return 0, fmt.Errorf("%q: want off, window or archive", s)
}

// Defaults for the recovery fields of SubConfig.
const (
	DefaultMaxHold        = 64 << 20
	DefaultRecoverTimeout = 3 * time.Second
)

// Unrecoverable is a range of one partition that recovery could not fill:
// sequences First..Last (inclusive), counted as lost.
type Unrecoverable struct {
	Shard     int    `json:"shard"`
	Publisher uint64 `json:"publisher"`
	Partition uint32 `json:"partition"`
	First     uint64 `json:"first_seq"`
	Last      uint64 `json:"last_seq"`
	Records   int64  `json:"records"`
	Reason    string `json:"reason"`
}

func (u Unrecoverable) String() string {
	return fmt.Sprintf("publisher %x partition %d seq %d..%d (%d records): %s", u.Publisher, u.Partition, u.First, u.Last, u.Records, u.Reason)
}

// maxRanges bounds the unrecoverable ranges a shard remembers by name;
// the record counts stay exact.
const maxRanges = 256

// recoveryCounters are a shard thread's recovery counts.
type recoveryCounters struct {
	mu                         sync.Mutex
	recovered, requests, unrec int64
	recoveries                 int64 // ranges finished (recovered in full or not)
	maxNs, totalNs             int64 // time from the gap to the records' hand-over
	ranges                     []Unrecoverable
	omitted                    int64
}

// recWork is one missing range for the recoverer.
type recWork struct {
	id       uint64
	key      seqKey
	epoch    uint64
	from, to uint64
}

type recDone struct {
	id    uint64
	recs  []feed.Record
	holes []seqRange
}

// recoverer is a shard thread's recovery goroutine: it takes missing
// ranges in order and asks its endpoints (the window, then archives) for
// each, so the shard thread never waits on a request.
type recoverer struct {
	clients []*recoveryClient
	work    chan recWork
	done    chan recDone
	stopped chan struct{}
}

func newRecoverer(eps []zmqx.Endpoint, o zmqx.Options, timeout time.Duration, requests func()) *recoverer {
	r := &recoverer{work: make(chan recWork, 4096), done: make(chan recDone, 8), stopped: make(chan struct{})}
	o.Stats = nil
	for _, ep := range eps {
		r.clients = append(r.clients, &recoveryClient{ep: ep, o: o, timeout: timeout, requests: requests})
	}
	return r
}

func (r *recoverer) run(ctx context.Context) {
	defer close(r.stopped)
	defer func() {
		for _, c := range r.clients {
			c.close()
		}
	}()
	for {
		var w recWork
		select {
		case <-ctx.Done():
			return
		case w = <-r.work:
		}
		d := recDone{id: w.id}
		missing := []seqRange{{w.from, w.to, "no recovery endpoint"}}
		for _, c := range r.clients {
			var still []seqRange
			for _, m := range missing {
				recs, holes, _ := c.fetch(ctx, w.key.pub, w.epoch, w.key.part, m.from, m.to)
				d.recs = append(d.recs, recs...)
				still = append(still, holes...)
			}
			missing = still
			if len(missing) == 0 {
				break
			}
		}
		d.holes = missing
		if len(r.clients) > 1 {
			sortRecs(d.recs)
		}
		select {
		case r.done <- d:
		case <-ctx.Done():
			return
		}
	}
}

// sortRecs orders records from several endpoints by sequence (each
// endpoint's are sorted; the window's come first but start later).
func sortRecs(rs []feed.Record) {
	slices.SortFunc(rs, func(a, b feed.Record) int { return cmp.Compare(a.Seq, b.Seq) })
}

// pitem is one entry of a partition's hand-over queue: a missing range
// being recovered, or live records held behind one.
type pitem struct {
	id       uint64 // 0 for held live records
	epoch    uint64
	from, to uint64
	started  int64
	done     bool
	recs     []feed.Record
	holes    []seqRange
	bytes    int // held: memory counted against MaxHold
}

// recState is the shard thread's side of recovery: per partition, the
// queue of what must be handed over in sequence order before its live
// records can flow again.
type recState struct {
	rc     *recoverer
	queues map[seqKey][]*pitem
	pend   map[uint64]*pitem
	nextID uint64
	hold   int
	// missing is the records of the ranges under recovery.
	missing uint64
	// pausedUntil (ns): after the hold overflowed, gaps are counted as
	// lost for a while instead of recovered: a subscriber that cannot
	// keep up with the live stream is only slowed further by recovering.
	pausedUntil int64
}

// recoverPause is how long recovery rests after the hold overflowed.
const recoverPause = 5 * time.Second

// maxOutstanding bounds the records of gaps (not late joins) a shard has
// under recovery at once: a subscriber missing more than this is behind
// the live stream, and recovering would only put it further behind.
const maxOutstanding = 2 << 20

// recoveryOn reports whether a gap of n records found now is to be
// recovered; past the bound recovery pauses.
func (t *shardThread) recoveryOn(now int64, n uint64, joining bool) bool {
	r := t.rec
	if r == nil || now < r.pausedUntil {
		return false
	}
	if !joining && r.missing+n > maxOutstanding {
		t.s.cfg.Logf("shard %d: %d records missing and under recovery: this subscriber cannot keep up; gaps are counted as lost, not recovered, for %v",
			t.id, r.missing+n, recoverPause)
		r.pausedUntil = now + int64(recoverPause)
		return false
	}
	return true
}

// recovering reports whether k has records queued behind a recovery.
func (t *shardThread) recovering(k seqKey) bool {
	return t.rec != nil && len(t.rec.queues[k]) > 0
}

// recoverSlice bounds the records one recovery result carries, so a late
// joiner recovering a whole day holds a slice at a time, not the day.
const recoverSlice = 256 << 10

// startRecovery queues [from, to) of k for recovery, in slices.
func (t *shardThread) startRecovery(k seqKey, epoch, from, to uint64, now int64) {
	r := t.rec
	t.s.cfg.Logf("shard %d: publisher %x partition %d: missing seq %d..%d (%d records): recovering", t.id, k.pub, k.part, from, to-1, to-from)
	for lo := from; lo < to; {
		hi := min(to, lo+recoverSlice)
		r.nextID++
		it := &pitem{id: r.nextID, epoch: epoch, from: lo, to: hi, started: now}
		r.queues[k] = append(r.queues[k], it)
		r.pend[it.id] = it
		r.missing += hi - lo
		select {
		case r.rc.work <- recWork{id: it.id, key: k, epoch: epoch, from: lo, to: hi}:
		default:
			delete(r.pend, it.id)
			it.done, it.holes = true, []seqRange{{lo, hi, "too many recoveries queued"}}
		}
		lo = hi
	}
}

// holdRecs moves b.Recs[start:] (k's live records, topic-filtered) into
// k's queue, copied: the read's buffer is recycled after delivery.
func (t *shardThread) holdRecs(k seqKey, b *feed.Batch, start int, now int64) bool {
	r := t.rec
	recs := b.Recs[start:]
	size := 0
	for i := range recs {
		size += len(recs[i].Topic) + len(recs[i].Payload) + 96
	}
	if r.hold+size > t.s.cfg.MaxHold {
		// Over the bound: give up the ranges still recovering for k (they
		// are lost), hand over what is queued, then these records.
		if now >= r.pausedUntil {
			t.s.cfg.Logf("shard %d: live records held behind recoveries passed %d bytes: this subscriber cannot keep up; gaps are counted as lost, not recovered, for %v",
				t.id, t.s.cfg.MaxHold, recoverPause)
		}
		r.pausedUntil = now + int64(recoverPause)
		live := append([]feed.Record(nil), recs...)
		clear(b.Recs[start:])
		b.Recs = b.Recs[:start]
		for _, it := range r.queues[k] {
			if !it.done {
				delete(r.pend, it.id)
				it.done = true
				it.holes = []seqRange{{it.from, it.to, fmt.Sprintf("live records held behind the recovery passed the hold limit (%d bytes)", t.s.cfg.MaxHold)}}
			}
		}
		if t.release(k, b, now) {
			return true
		}
		b.Recs = append(b.Recs, live...)
		return false
	}
	arena := make([]byte, 0, size)
	held := make([]feed.Record, len(recs))
	for i, rec := range recs {
		off := len(arena)
		arena = append(arena, rec.Topic...)
		rec.Topic = arena[off:len(arena):len(arena)]
		off = len(arena)
		arena = append(arena, rec.Payload...)
		rec.Payload = arena[off:len(arena):len(arena)]
		held[i] = rec
	}
	clear(b.Recs[start:])
	b.Recs = b.Recs[:start]
	r.hold += size
	r.queues[k] = append(r.queues[k], &pitem{done: true, recs: held, bytes: size})
	return false
}

// pollRecovery takes finished recoveries and hands over, into b, what
// has become deliverable; true means the subscriber croaked.
func (t *shardThread) pollRecovery(b *feed.Batch, now int64) bool {
	r := t.rec
	got := false
	for {
		select {
		case d := <-r.rc.done:
			if it := r.pend[d.id]; it != nil {
				delete(r.pend, d.id)
				it.done, it.recs, it.holes = true, d.recs, d.holes
				got = true
			}
			continue
		default:
		}
		break
	}
	if !got {
		return false
	}
	for k := range r.queues {
		if t.release(k, b, now) {
			return true
		}
	}
	return false
}

// release hands over k's finished queue head items into b, in order.
func (t *shardThread) release(k seqKey, b *feed.Batch, now int64) bool {
	r, s := t.rec, t.s
	q := r.queues[k]
	for len(q) > 0 && q[0].done {
		it := q[0]
		q[0] = nil
		q = q[1:]
		start := len(b.Recs)
		if it.id == 0 {
			r.hold -= it.bytes
			b.Recs = append(b.Recs, it.recs...)
		} else {
			if t.account(k, it, now) {
				r.queues[k] = q
				return true
			}
			b.Recs = append(b.Recs, it.recs...)
			t.filterTopics(b, start)
		}
		// The snail still rules: these records keep their send time.
		if len(b.Recs) > start {
			if age := now - b.Recs[start].SendTS - int64(s.cfg.ClockOffset); age > t.maxAge {
				t.maxAge = age
			}
			if s.cfg.MaxDelay > 0 && time.Since(s.start) >= s.cfg.Warmup && t.checkLate(b.Recs[start:], now) {
				clear(b.Recs[start:])
				b.Recs = b.Recs[:start]
				r.queues[k] = q
				return true
			}
		}
	}
	if len(q) == 0 {
		delete(r.queues, k)
	} else {
		r.queues[k] = q
	}
	return false
}

// account counts a finished recovery: records recovered, ranges lost.
func (t *shardThread) account(k seqKey, it *pitem, now int64) bool {
	s, st, c := t.s, t.st, &t.st.rc
	var lost int64
	var found []Unrecoverable
	for _, h := range it.holes {
		if h.to <= h.from {
			continue
		}
		n := int64(h.to - h.from)
		lost += n
		found = append(found, Unrecoverable{Shard: t.id, Publisher: k.pub, Partition: k.part, First: h.from, Last: h.to - 1, Records: n, Reason: h.reason})
	}
	took := now - it.started
	t.rec.missing -= it.to - it.from
	c.mu.Lock()
	c.recovered += int64(len(it.recs))
	c.unrec += lost
	c.recoveries++
	c.totalNs += took
	c.maxNs = max(c.maxNs, took)
	for _, u := range found {
		if n := len(c.ranges); n > 0 && c.ranges[n-1].Publisher == u.Publisher && c.ranges[n-1].Partition == u.Partition &&
			c.ranges[n-1].Last+1 == u.First && c.ranges[n-1].Reason == u.Reason {
			// The next slice of the same hole: one range.
			c.ranges[n-1].Last, c.ranges[n-1].Records = u.Last, c.ranges[n-1].Records+u.Records
			continue
		}
		if len(c.ranges) < maxRanges {
			c.ranges = append(c.ranges, u)
		} else {
			c.omitted++
		}
	}
	c.mu.Unlock()
	if lost > 0 {
		st.lost.Add(lost)
	}
	if len(found) == 0 {
		// A notice on stderr and the alert stream: the gap was real.
		s.squawk(Squawk{Kind: "recovered", Name: s.cfg.Name, Shard: t.id, Publisher: k.pub, Partition: k.part,
			Expected: it.from, Seq: it.to, Missing: uint64(len(it.recs)), Delay: time.Duration(took), Time: now})
		return false
	}
	for _, u := range found {
		s.cfg.Logf("shard %d: unrecoverable: %s", t.id, u)
		sq := Squawk{Kind: "gap", Name: s.cfg.Name, Shard: t.id, Publisher: k.pub, Partition: k.part,
			Seq: u.Last + 1, Expected: u.First, Missing: uint64(u.Records), Time: now,
			Croak: s.cfg.GapCroak && uint64(u.Records) > s.cfg.MaxGap}
		if sq.Croak {
			s.croak(sq)
			return true
		}
		s.squawk(sq)
	}
	return false
}

// finishRecovery runs when the shard thread is done reading: it waits
// (bounded) for recoveries still under way if the stream ended, counts
// what is still missing as unrecoverable, and hands everything over.
func (t *shardThread) finishRecovery(ctx context.Context) {
	r := t.rec
	if r == nil {
		return
	}
	wait := time.NewTimer(4 * t.s.cfg.RecoverTimeout)
	defer wait.Stop()
	for len(r.pend) > 0 && ctx.Err() == nil {
		select {
		case d := <-r.rc.done:
			if it := r.pend[d.id]; it != nil {
				delete(r.pend, d.id)
				it.done, it.recs, it.holes = true, d.recs, d.holes
			}
			continue
		case <-ctx.Done():
		case <-wait.C:
		}
		break
	}
	for id, it := range r.pend {
		delete(r.pend, id)
		it.done = true
		it.holes = []seqRange{{it.from, it.to, "the run ended before the recovery finished"}}
	}
	b := feed.GetBatch()
	now := time.Now().UnixNano()
	for k := range r.queues {
		if t.release(k, b, now) {
			break
		}
	}
	t.deliver(b, now)
}

// recoveryStats adds a shard's recovery counters to ss and out.
func (c *recoveryCounters) addTo(ss *ShardSubStats, out *SubStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ss.Recovered, ss.Unrecoverable = c.recovered, c.unrec
	out.Recovered += c.recovered
	out.RecoveryRequests += c.requests
	out.Unrecoverable += c.unrec
	out.Recoveries += c.recoveries
	out.RecoveryMaxNs = max(out.RecoveryMaxNs, c.maxNs)
	out.RecoveryTotalNs += c.totalNs
	out.UnrecoverableRanges = append(out.UnrecoverableRanges, c.ranges...)
	out.RangesOmitted += c.omitted
}

// recoveryEndpoints are the endpoints shard i asks, in order.
func (c *SubConfig) recoveryEndpoints(i int) []zmqx.Endpoint {
	var out []zmqx.Endpoint
	if c.Recover == RecoverOff {
		return nil
	}
	if len(c.RecoveryConnect) > i && c.RecoveryConnect[i] != "" && c.RecoveryConnect[i] != "off" {
		ep, _ := zmqx.ParseEndpoint(c.RecoveryConnect[i])
		out = append(out, ep)
	} else if c.RecoveryConnect == nil {
		if raw, err := DefaultRecoveryEndpoint(c.Connect[i]); err == nil && !strings.HasSuffix(raw, ":0") {
			ep, _ := zmqx.ParseEndpoint(raw)
			out = append(out, ep)
		}
	}
	if c.Recover == RecoverArchive {
		for _, a := range c.Archive {
			ep, _ := zmqx.ParseEndpoint(a)
			out = append(out, ep)
		}
	}
	return out
}
