package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/replay"
)

// Recorder collects what `bbox record` has written (replay.Recorder's Stats).
func Recorder(stats func() replay.RecorderStats) prometheus.Collector {
	return newSnapCollector(stats, nil, []family[replay.RecorderStats]{
		counter("capture_records_written_total", "Records written to sealed chunks.", func(s *replay.RecorderStats) int64 { return s.Records }),
		counter("capture_records_received_total", "Records handed to the recorder.", func(s *replay.RecorderStats) int64 { return s.Received }),
		counter("capture_records_dropped_total", "Records received but not written (after a write error).", func(s *replay.RecorderStats) int64 { return s.Dropped }),
		counter("capture_chunks_total", "Chunks sealed, over all files.", func(s *replay.RecorderStats) int64 { return s.Chunks }),
		counter("capture_bytes_written_total", "Capture file bytes written, over all files.", func(s *replay.RecorderStats) int64 { return s.Bytes }),
		counter("capture_wire_bytes_total", "Wire size of the records written.", func(s *replay.RecorderStats) int64 { return s.WireBytes }),
		counter("capture_files_total", "Capture files opened (rotation adds one).", func(s *replay.RecorderStats) int64 { return int64(len(s.Files)) }),
	})
}

// ReplaySource collects what a replay has read (replay.Source's Stats).
func ReplaySource(stats func() replay.SourceStats) prometheus.Collector {
	return newSnapCollector(stats, nil, []family[replay.SourceStats]{
		counter("replay_records_total", "Records handed to the publisher.", func(s *replay.SourceStats) int64 { return s.Records }),
		counter("replay_wire_bytes_total", "Wire size of the records replayed.", func(s *replay.SourceStats) int64 { return s.WireBytes }),
		counter("replay_records_skipped_window_total", "Records outside --from/--to.", func(s *replay.SourceStats) int64 { return s.SkippedWindow }),
		counter("replay_records_skipped_symbols_total", "Records of symbols not selected.", func(s *replay.SourceStats) int64 { return s.SkippedSymbols }),
		counter("replay_records_skipped_corrupt_total", "Records in damaged chunks skipped (--skip-corrupt).", func(s *replay.SourceStats) int64 { return s.SkippedCorrupt }),
		counter("replay_chunks_corrupt_total", "Damaged chunks skipped.", func(s *replay.SourceStats) int64 { return s.CorruptChunks }),
		counter("replay_bytes_skipped_total", "Bytes of torn tails and unreadable stretches skipped.", func(s *replay.SourceStats) int64 { return s.TornBytes }),
		counter("replay_loops_total", "Completed passes over the files.", func(s *replay.SourceStats) int64 { return s.Loops }),
	})
}
