package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
)

// A Rate turns the cumulative count n of series i (a shard; -1 for the
// publisher) into records per second since its last call: the status
// lines show rates, and only the caller's loop knows the time between
// two lines.
type Rate func(i int, n int64) float64

// Lag spells a shard's lag for a status line ("-" before any record).
func Lag(ns int64) string {
	if ns < 0 {
		return "-"
	}
	return usDur(float64(ns) / 1e3)
}

// PubStatus is the publisher's status line (bbox pub, replay) at elapsed.
func PubStatus(elapsed time.Duration, st *shard.PubStats, rate Rate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%2.0fs] %s rec/s, %s published", elapsed.Seconds(), human(rate(-1, st.Records)), commas(st.Records))
	for _, sh := range st.Shards {
		fmt.Fprintf(&b, " | shard %d: %s", sh.ID, plural(int64(sh.Subscribers), "sub", "subs"))
	}
	for _, c := range st.Conns {
		if c.DroppedRecords > 0 && c.CloseReason == zmqx.Open {
			fmt.Fprintf(&b, " | SLOW %s dropped %s", c.Peer, commas(c.DroppedRecords))
		}
	}
	if st.ConnectionsCut > 0 {
		fmt.Fprintf(&b, " | CUT %d (discarded %s)", st.ConnectionsCut, commas(st.DiscardedRecords))
	}
	return b.String()
}

// SubStatus is a subscriber's status line (bbox sub) at elapsed.
func SubStatus(elapsed time.Duration, st *shard.SubStats, rate Rate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%2.0fs]", elapsed.Seconds())
	for i, s := range st.Shards {
		state := ""
		switch {
		case s.Silent:
			state = " (silent: reconnecting)"
		case !s.Connected:
			state = " (connecting)"
		}
		fmt.Fprintf(&b, " shard %d %s/s lag %s%s |", i, human(rate(i, s.Records)), Lag(s.LagNs), state)
	}
	fmt.Fprintf(&b, " lost %d gaps %d late %d", st.Lost, st.Gaps, st.Late)
	if st.Recovered > 0 || st.RecoveryRequests > 0 {
		fmt.Fprintf(&b, " recovered %d", st.Recovered)
	}
	if st.Stalls > 0 {
		fmt.Fprintf(&b, " stalls %d", st.Stalls)
	}
	return b.String()
}

// LoopStatus is the status line of a pipeline in one process (bbox demo)
// at elapsed: the publisher's rate, each shard's, and what went missing.
func LoopStatus(elapsed time.Duration, ps *shard.PubStats, ss *shard.SubStats, rate Rate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%2.0fs] pub %s/s", elapsed.Seconds(), human(rate(-1, ps.Records)))
	for i, s := range ss.Shards {
		fmt.Fprintf(&b, " | shard %d %s/s lag %s", i, human(rate(i, s.Records)), Lag(s.LagNs))
	}
	fmt.Fprintf(&b, " | lost %d gaps %d dropped %d", ss.Lost, ss.Gaps, ps.DroppedRecords)
	return b.String()
}
