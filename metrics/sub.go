package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/shard"
)

// SubExtra is what a subscribing command counts beside shard.SubStats.
type SubExtra struct {
	Croaks  int64 // the subscriber croaked (0 or 1 per process)
	Squawks int64 // squawks raised (late records, gaps over the limit)
}

type subView struct {
	shard.SubStats
	x SubExtra
}

// Subscriber collects a subscriber's counters from stats (shard.Subscriber's
// Stats) and extra (nil: none) at each scrape.
func Subscriber(stats func() shard.SubStats, extra func() SubExtra) prometheus.Collector {
	view := func() subView {
		v := subView{SubStats: stats()}
		if extra != nil {
			v.x = extra()
		}
		return v
	}
	perShard := func(name, help string, typ prometheus.ValueType, f func(s *shard.ShardSubStats) float64) family[subView] {
		return labelled(name, help, typ, shardL, func(v *subView, e emit) {
			for i := range v.Shards {
				e(f(&v.Shards[i]), itoa(v.Shards[i].ID))
			}
		})
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	C, G := prometheus.CounterValue, prometheus.GaugeValue
	return newSnapCollector(view, nil, []family[subView]{
		// Subscriber-wide (shard.SubStats).
		counter("sub_records_received_total", "Records delivered to the workers (after the topic filter).", func(v *subView) int64 { return v.Received }),
		counter("sub_records_filtered_total", "Records in sequence but not matching --topics.", func(v *subView) int64 { return v.Filtered }),
		counter("sub_records_lost_total", "Records missing from the sequence (lost in gaps).", func(v *subView) int64 { return v.Lost }),
		counter("sub_gaps_total", "Sequence gaps.", func(v *subView) int64 { return v.Gaps }),
		counter("sub_records_published_total", "What the publisher sent this subscriber, from the highest sequences seen.", func(v *subView) int64 { return v.Published }),
		counter("sub_records_before_join_total", "Records published before this subscriber joined.", func(v *subView) int64 { return v.JoinedLate }),
		counter("sub_records_late_total", "Records older than --max-delay.", func(v *subView) int64 { return v.Late }),
		counter("sub_frames_malformed_total", "Frames that failed to decode and were dropped.", func(v *subView) int64 { return v.Malformed }),
		counter("sub_records_duplicate_total", "Records seen twice (sequence already passed).", func(v *subView) int64 { return v.Duplicates }),
		counter("sub_publisher_restarts_total", "Publisher restarts seen (new epoch).", func(v *subView) int64 { return v.Restarts }),
		gauge("sub_max_record_age_seconds", "The largest record age seen at a subscriber thread.", func(v *subView) float64 { return float64(v.MaxDelayNs) / 1e9 }),
		counter("sub_stalls_total", "Times a feed went silent past the heartbeat timeout (no frame, heartbeat or PONG).", func(v *subView) int64 { return v.Stalls }),
		counter("sub_croaks_total", "Times this subscriber croaked (too slow, or a gap over --max-gap).", func(v *subView) int64 { return v.x.Croaks }),
		counter("sub_squawks_total", "Squawks raised.", func(v *subView) int64 { return v.x.Squawks }),
		// Per shard thread (shard.ShardSubStats).
		perShard("sub_shard_records_total", "Records the shard thread received.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Records) }),
		perShard("sub_shard_frames_total", "Frames the shard thread received.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Frames) }),
		perShard("sub_shard_bytes_total", "Bytes the shard thread received.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Bytes) }),
		perShard("sub_shard_records_lost_total", "Records lost in the shard's gaps.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Lost) }),
		perShard("sub_shard_gaps_total", "Sequence gaps on the shard.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Gaps) }),
		perShard("sub_shard_frames_malformed_total", "Malformed frames on the shard.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Malformed) }),
		perShard("sub_shard_reconnects_total", "Reconnections to the shard's endpoint.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Reconnects) }),
		perShard("sub_shard_lag_seconds", "Age of the newest record at its arrival.", G, func(s *shard.ShardSubStats) float64 { return float64(max(s.LagNs, 0)) / 1e9 }),
		perShard("sub_shard_stalls_total", "Times the shard's feed went silent past the heartbeat timeout.", C, func(s *shard.ShardSubStats) float64 { return float64(s.Stalls) }),
		perShard("sub_shard_records_before_join_total", "Records the shard's publisher sent before this subscriber joined.", C, func(s *shard.ShardSubStats) float64 { return float64(s.BeforeJoin) }),
		perShard("sub_shard_silent", "1 while the shard's feed is silent past the heartbeat timeout.", G, func(s *shard.ShardSubStats) float64 { return b2f(s.Silent) }),
		perShard("sub_shard_connected", "1 while the shard thread is connected.", G, func(s *shard.ShardSubStats) float64 { return b2f(s.Connected) }),
		perShard("sub_shard_eos", "1 once the shard has seen the publisher's end-of-stream.", G, func(s *shard.ShardSubStats) float64 { return b2f(s.EOS) }),
		perShard("sub_shard_cpu", "Core the shard thread is pinned to (-1: unpinned).", G, func(s *shard.ShardSubStats) float64 { return float64(s.CPU) }),
	})
}
