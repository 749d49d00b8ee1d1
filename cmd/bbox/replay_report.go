package main

import (
	"fmt"
	"io"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/replay"
)

// countOf is "1 chunk", "2 chunks", "1,024 records": a count and its noun
// in the right number. plural "" means singular + "s".
func countOf(n int64, singular, plural string) string {
	if plural == "" {
		plural = singular + "s"
	}
	return words.Count(n, singular, plural)
}

// replaySummary is the JSON summary of bbox replay: the publisher's keys
// (CLI.md) plus what the replay read and skipped.
type replaySummary struct {
	summary
	Replay replay.PlayReport `json:"replay"`
}

// summaryBreak starts a closing summary on a line of its own where a
// progress bar or status line may still be on the terminal; off a
// terminal the summary is stdout's first line.
func summaryBreak(e *env, w io.Writer) {
	if e.stderrTTY {
		fmt.Fprintln(w)
	}
}

// breakFirst writes an empty line before the first write: the summary
// summaryBreak gives, for a report written in pieces.
type breakFirst struct {
	w    io.Writer
	done bool
}

func (b *breakFirst) Write(p []byte) (int, error) {
	if !b.done {
		b.done = true
		if _, err := io.WriteString(b.w, "\n"); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// printReplay is the one tcpreplay-style closing report: what was read
// and skipped, then what the publisher sent where.
func printReplay(w io.Writer, r *replay.PlayReport, s *summary) {
	r.WriteText(w, s.RecordsPublished)
	for _, sh := range s.Shards {
		fmt.Fprintf(w, "  shard %d  %12s records  %s\n", sh.ID, commas(sh.Records), sh.Endpoint)
	}
	for _, c := range s.Connections {
		fmt.Fprintf(w, "  subscriber %-21s shard %d  %12s records  dropped %s  (%s)\n", c.Peer, c.Shard, commas(c.Records), commas(c.DroppedRecords), c.State)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

// unheard are the warnings for shards whose records reached no subscriber
// (replay.Unheard).
func unheard(s *summary, waitSubs int) []string {
	shards := make([]replay.ShardCount, len(s.Shards))
	for i, sh := range s.Shards {
		shards[i] = replay.ShardCount{ID: sh.ID, Records: sh.Records}
	}
	return replay.Unheard(shards, s.Connections, waitSubs)
}
