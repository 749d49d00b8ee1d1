package shard

import "github.com/bbox-dev/bbox/verdict"

// VerdictInput is what the stream's counters in st tell verdict.Judge;
// recovering says the subscriber recovered its gaps. The publisher's
// discards are unknown from here. The caller adds what only it knows:
// a croak, its workers' losses, what its sink could not keep.
func (st SubStats) VerdictInput(recovering bool) verdict.Input {
	in := verdict.Input{
		Published: st.Published, Received: st.Received, Filtered: st.Filtered, BeforeJoin: st.JoinedLate,
		LostInGaps: st.Lost, Gaps: st.Gaps, Discarded: verdict.Unknown, Malformed: st.Malformed, Late: st.Late,
		Stalls: st.Stalls, Restarts: st.Restarts,
		Recovered: st.Recovered, Unrecoverable: st.Unrecoverable, RecoveryRequests: st.RecoveryRequests,
		Recovering: recovering,
	}
	for _, sh := range st.Shards {
		in.Shards = append(in.Shards, verdict.Shard{ID: sh.ID, Endpoint: sh.Endpoint, BeforeJoin: sh.BeforeJoin,
			Lost: sh.Lost, Gaps: sh.Gaps, Stalls: sh.Stalls, Silent: sh.Silent, Disconnected: sh.Disconnected, Reached: sh.Reached, Ended: sh.EOS})
	}
	return in
}
