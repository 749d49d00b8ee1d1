package report

import (
	"time"

	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
	"github.com/bbox-dev/bbox/workers"
)

// RecordSummary is bbox record's JSON summary: the subscriber's keys
// (CLI.md) plus what was written.
type RecordSummary struct {
	Summary
	Recording replay.RecorderStats `json:"recording"`
	TZ        string               `json:"tz"` // the source's zone, stored in every file
}

// Record is bbox record's summary of a run of elapsed that received st
// and wrote rs, in the source's zone, judged from in
// (replay.Recording.VerdictInput); it has no workers.
func Record(st shard.SubStats, rs replay.RecorderStats, elapsed time.Duration, zone string, in verdict.Input) RecordSummary {
	s := Stream("record", st)
	s.Seconds, s.ThroughputRPS, s.Workers = elapsed.Seconds(), float64(st.Received)/elapsed.Seconds(), []workers.WorkerStats{}
	s.Croaked, s.CroakReason = in.Croaked, in.CroakReason
	s.Warnings = append(s.Warnings, rs.Warnings()...)
	s.In = in
	s.Judge()
	return RecordSummary{Summary: s, Recording: rs, TZ: zone}
}
