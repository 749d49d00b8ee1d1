package shard

import (
	"fmt"
	"io"
	"strings"

	"github.com/bbox-dev/bbox/internal/words"
)

// RecoveryKeys are a subscriber summary's recovery counts, as the JSON
// keys of bbox sub --json spell them.
type RecoveryKeys struct {
	RecordsRecovered     int64           `json:"records_recovered"`
	RecoveryRequests     int64           `json:"recovery_requests"`
	RecordsUnrecoverable int64           `json:"records_unrecoverable"`
	Recoveries           int64           `json:"recoveries,omitempty"`
	RecoveryMaxMs        float64         `json:"recovery_time_max_ms,omitempty"`
	RecoveryMeanMs       float64         `json:"recovery_time_mean_ms,omitempty"`
	Unrecoverable        []Unrecoverable `json:"unrecoverable,omitempty"`
	UnrecoverableOmitted int64           `json:"unrecoverable_omitted,omitempty"`
}

// RecoveryKeysOf is st's recovery counts.
func RecoveryKeysOf(st SubStats) RecoveryKeys {
	k := RecoveryKeys{RecordsRecovered: st.Recovered, RecoveryRequests: st.RecoveryRequests, RecordsUnrecoverable: st.Unrecoverable,
		Recoveries: st.Recoveries, RecoveryMaxMs: float64(st.RecoveryMaxNs) / 1e6,
		Unrecoverable: st.UnrecoverableRanges, UnrecoverableOmitted: st.RangesOmitted}
	if st.Recoveries > 0 {
		k.RecoveryMeanMs = float64(st.RecoveryTotalNs) / float64(st.Recoveries) / 1e6
	}
	return k
}

// WriteText writes the human summary's recovery lines: nothing when no
// recovery was asked for, else what was recovered, how fast, and every
// range that could not be (UNRECOVERABLE, so it is not missed).
func (k *RecoveryKeys) WriteText(w io.Writer) {
	if k.RecoveryRequests == 0 && k.RecordsRecovered == 0 && k.RecordsUnrecoverable == 0 {
		return
	}
	fmt.Fprintf(w, "  recovery: %s recovered in %s (%s), time to recover max %.1f ms, mean %.1f ms",
		words.Group(k.RecordsRecovered), words.Count(k.Recoveries, "range", "ranges"), words.Count(k.RecoveryRequests, "request", "requests"), k.RecoveryMaxMs, k.RecoveryMeanMs)
	if k.RecordsUnrecoverable > 0 {
		fmt.Fprintf(w, "; %s UNRECOVERABLE", words.Group(k.RecordsUnrecoverable))
	}
	fmt.Fprintln(w)
	for _, u := range k.Unrecoverable {
		fmt.Fprintf(w, "    unrecoverable: shard %d %s\n", u.Shard, u)
	}
	if k.UnrecoverableOmitted > 0 {
		fmt.Fprintf(w, "    (%d more unrecoverable ranges not listed; the counts include them)\n", k.UnrecoverableOmitted)
	}
}

// RecoveryText names where a subscriber of c recovers from, for the log:
// each shard's recovery endpoint (given, or the default beside its
// Connect endpoint), then the archive.
func (c *SubConfig) RecoveryText() string {
	if c.Recover == RecoverOff {
		return "recovery off: gaps are counted as lost"
	}
	var eps []string
	for i := range c.Connect {
		if len(c.RecoveryConnect) > i {
			eps = append(eps, c.RecoveryConnect[i])
		} else if ep, err := DefaultRecoveryEndpoint(c.Connect[i]); err == nil {
			eps = append(eps, ep)
		}
	}
	s := "recovering gaps from the publisher's window at " + strings.Join(eps, ", ")
	if len(c.Archive) > 0 {
		s += ", then the archive at " + strings.Join(c.Archive, ", ")
	}
	return s
}

// WriteRewindText writes a publisher's summary line for its rewind window
// (win) and the recovery servers of its shards (rec, summed): what was
// held, what was served, and what was refused and why.
func WriteRewindText(w io.Writer, win *WindowStats, rec []RecoveryStats) {
	var t RecoveryStats
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
		float64(win.Bytes)/(1<<20), float64(win.MaxBytes)/(1<<20), words.Count(win.Frames, "frame", "frames"),
		words.Count(t.Records, "record", "records"), words.Count(t.Requests, "request", "requests"))
	if t.Bad+t.Busy+t.Unknown+t.PeersCut+t.PeersRefused > 0 {
		fmt.Fprintf(w, " (refused: %d malformed, %d over the rate, %d unknown streams; %d clients cut, %d refused)",
			t.Bad, t.Busy, t.Unknown, t.PeersCut, t.PeersRefused)
	}
	fmt.Fprintln(w)
}
