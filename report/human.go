package report

import (
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/shard"
)

var (
	plural = words.Count[int64]
	commas = words.Group
	human  = words.RateFixed
	usDur  = words.Micros
)

// WriteHuman writes a receiving command's summary for a newcomer to read,
// elapsed being the time its headline rate is over. It ends with the one
// verdict line, judged from the counters (and judged here if the caller
// has not).
func WriteHuman(w io.Writer, s *Summary, elapsed time.Duration) {
	fmt.Fprintf(w, "%s: %s received in %.1fs (%s records/s)\n", s.Command, plural(s.RecordsReceived, "record", "records"), elapsed.Seconds(), human(s.ThroughputRPS))
	published := "published"
	for _, sh := range s.Shards {
		if sh.Silent || sh.Disconnected {
			// The count comes from sequence numbers seen: a feed that went
			// away may have published more.
			published = "published at least"
		}
	}
	fmt.Fprintf(w, "  %s %s   received %s   lost %s   gaps %d", published, commas(s.RecordsPublished), commas(s.RecordsReceived), commas(s.RecordsLost), s.Gaps)
	if s.BeforeJoin > 0 {
		fmt.Fprintf(w, "   missed before join %s", commas(s.BeforeJoin))
	}
	if s.LostToWorkers > 0 {
		fmt.Fprintf(w, "   lost to workers %s", commas(s.LostToWorkers))
	}
	if s.NotHanded > 0 {
		fmt.Fprintf(w, "   discarded before a worker %s", commas(s.NotHanded))
	}
	if s.Redelivered > 0 {
		fmt.Fprintf(w, "   redelivered %s", commas(s.Redelivered))
	}
	if s.RecordsFiltered > 0 {
		fmt.Fprintf(w, "   filtered out %s", commas(s.RecordsFiltered))
	}
	if s.Stalls > 0 {
		fmt.Fprintf(w, "   stalls %d", s.Stalls)
	}
	fmt.Fprintln(w)
	if s.RecoveryKeys != nil {
		writeRecovery(w, s.RecoveryKeys)
	}
	l := s.LatencyUS
	fmt.Fprintf(w, "  latency (publish → subscriber thread): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		usDur(l.P50), usDur(l.P90), usDur(l.P99), usDur(l.P999), usDur(l.Max))
	for _, sh := range s.Shards {
		pin := "unpinned"
		if sh.CPU >= 0 {
			pin = fmt.Sprintf("pinned to cpu %d", sh.CPU)
		}
		fmt.Fprintf(w, "  shard %d   %12s records   subscriber thread %s", sh.ID, commas(sh.Records), pin)
		if sh.BeforeJoin > 0 {
			fmt.Fprintf(w, "   missed before join %s", commas(sh.BeforeJoin))
		}
		if sh.Lost > 0 {
			fmt.Fprintf(w, "   lost %s in %d gaps", commas(sh.Lost), sh.Gaps)
		}
		if sh.Stalls > 0 {
			fmt.Fprintf(w, "   stalls %d", sh.Stalls)
		}
		if sh.Silent {
			fmt.Fprintf(w, " (silent at the end)")
		}
		fmt.Fprintln(w)
	}
	for _, wk := range s.Workers {
		fmt.Fprintf(w, "  worker %d  %12s records", wk.ID, commas(wk.Records))
		if wk.Peer != "" {
			fmt.Fprintf(w, "   %s (%s)", wk.Peer, wk.State)
		}
		fmt.Fprintln(w)
	}
	if len(s.TopSymbols) > 0 {
		fmt.Fprintf(w, "  busiest symbols:")
		for _, t := range s.TopSymbols {
			fmt.Fprintf(w, "  %s %s (VWAP %.2f)", t.Symbol, commas(t.Count), t.VWAP)
		}
		fmt.Fprintln(w)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	s.writeEnd(w)
}

// writeEnd writes how a summary ends: the croak, if any, on a line of its
// own, then the one verdict line (judged from the counters, never written
// here).
func (s *Summary) writeEnd(w io.Writer) {
	if s.Croaked {
		fmt.Fprintf(w, "CROAKED: %s\n", s.CroakReason)
	}
	if s.Verdict == "" {
		s.Judge()
	}
	fmt.Fprintln(w, s.verdict.Line())
}

// writeRecovery writes the human summary's recovery lines.
func writeRecovery(w io.Writer, k *RecoveryKeys) {
	if k.RecoveryRequests == 0 && k.RecordsRecovered == 0 && k.RecordsUnrecoverable == 0 {
		return
	}
	fmt.Fprintf(w, "  recovery: %s recovered in %s (%s), time to recover max %.1f ms, mean %.1f ms",
		commas(k.RecordsRecovered), plural(k.Recoveries, "range", "ranges"), plural(k.RecoveryRequests, "request", "requests"), k.RecoveryMaxMs, k.RecoveryMeanMs)
	if k.RecordsUnrecoverable > 0 {
		fmt.Fprintf(w, "; %s UNRECOVERABLE", commas(k.RecordsUnrecoverable))
	}
	fmt.Fprintln(w)
	for _, u := range k.Unrecoverable {
		fmt.Fprintf(w, "    unrecoverable: shard %d %s\n", u.Shard, u)
	}
	if k.UnrecoverableOmitted > 0 {
		fmt.Fprintf(w, "    (%d more unrecoverable ranges not listed; the counts include them)\n", k.UnrecoverableOmitted)
	}
}

// WritePub writes a publisher's summary (bbox pub, replay).
func WritePub(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "%s: %s published in %.1fs (%s records/s%s)\n", s.Command, plural(s.RecordsPublished, "record", "records"), s.Seconds, human(s.ThroughputRPS), ActiveNote(s))
	for _, sh := range s.Shards {
		fmt.Fprintf(w, "  shard %d  %12s records  %s\n", sh.ID, commas(sh.Records), sh.Endpoint)
	}
	if u := s.Upstream; u != nil {
		fmt.Fprintf(w, "  upstream %s  %s, %s, %s dropped, %s\n",
			u.Endpoint, plural(u.Received, "message", "messages"), plural(u.Records, "record", "records"), commas(u.Dropped()), plural(u.Connects, "connect", "connects"))
	}
	for _, c := range s.Connections {
		fmt.Fprintf(w, "  subscriber %-21s shard %d  %12s records  dropped %s  discarded %s  (%s)\n",
			c.Peer, c.Shard, commas(c.Records), commas(c.DroppedRecords), commas(c.DiscardedRecords), c.State)
	}
	if l := s.PubLoss; l != nil && (s.RecordsDropped > 0 || l.RecordsDiscarded > 0) {
		fmt.Fprintf(w, "  not delivered: %s records dropped over a subscriber's high-water mark, %s discarded when connections ended (%d cut off)\n",
			commas(s.RecordsDropped), commas(l.RecordsDiscarded), l.ConnectionsCut)
	}
	if l := s.PubLoss; l != nil && l.Rewind != nil {
		writeRewind(w, l.Rewind, l.Recovery)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

// ActiveNote qualifies the headline rate of a summary whose source is an
// upstream feed: the rate is the feed's while it was flowing, not an
// average over the time bbox waited for it.
func ActiveNote(s *Summary) string { return s.Upstream.ActiveNote() }

// writeRewind writes the publisher's window and recovery line.
func writeRewind(w io.Writer, win *shard.WindowStats, rec []shard.RecoveryStats) {
	var t shard.RecoveryStats
	for _, r := range rec {
		t.Requests += r.Requests
		t.Records += r.Records
		t.Bad += r.Bad
		t.Busy += r.Busy
		t.Capped += r.Capped
		t.Unknown += r.Unknown
		t.PeersCut += r.PeersCut
		t.PeersRefused += r.PeersRefused
	}
	fmt.Fprintf(w, "  rewind window %.1f of %.0f MiB held (%s); recovery served %s to %s",
		float64(win.Bytes)/(1<<20), float64(win.MaxBytes)/(1<<20), plural(win.Frames, "frame", "frames"),
		plural(t.Records, "record", "records"), plural(t.Requests, "request", "requests"))
	if t.Bad+t.Busy+t.Unknown+t.PeersCut+t.PeersRefused > 0 {
		fmt.Fprintf(w, " (refused: %d malformed, %d over the rate, %d unknown streams; %d clients cut, %d refused)",
			t.Bad, t.Busy, t.Unknown, t.PeersCut, t.PeersRefused)
	}
	fmt.Fprintln(w)
}
