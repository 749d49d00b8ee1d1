package report

import (
	"fmt"
	"io"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// WriteReplay is the one tcpreplay-style closing report of a replay:
// what was read and skipped (r), then what the publisher sent where (s).
func WriteReplay(w io.Writer, r *replay.PlayReport, s *Summary) {
	r.WriteText(w, s.RecordsPublished)
	for _, sh := range s.Shards {
		fmt.Fprintf(w, "  shard %d  %12s records  %s\n", sh.ID, words.Group(sh.Records), sh.Endpoint)
	}
	for _, c := range s.Connections {
		fmt.Fprintf(w, "  subscriber %-21s shard %d  %12s records  dropped %s  (%s)\n", c.Peer, c.Shard, words.Group(c.Records), words.Group(c.DroppedRecords), c.State)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

// Unheard are the warnings for the shards of a publisher's summary whose
// records reached no subscriber (replay.Unheard); waitSubs is how many
// subscribers per shard the publisher waited for.
func Unheard(s *Summary, waitSubs int) []string {
	shards := make([]replay.ShardCount, len(s.Shards))
	for i, sh := range s.Shards {
		shards[i] = replay.ShardCount{ID: sh.ID, Records: sh.Records}
	}
	return replay.Unheard(shards, s.Connections, waitSubs)
}
