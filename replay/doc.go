// Package replay owns bbox capture files (docs/capture.md is the normative
// format): the Writer that packs records into zstd-compressed, checksummed,
// self-delimiting chunks with an index at the end; the Reader that opens a
// file through its index or, when the writer died, by scanning its chunks
// and reporting a torn tail or damaged chunk by file and byte offset
// (including a chunk copied, moved or cut out of a file, which only its
// number gives away); the Recorder, a shard.Sink that writes what a subscriber receives and rotates
// files by size or age, and the Recording that runs subscriber threads
// into one and serves recovery from its files (bbox record); and the Source that replays files into a publisher
// at full speed, at the original pacing or a multiple of it, or at a fixed
// rate, filtered by time window and symbols; Select, which says what
// such filters select before anything is replayed; and the Archive, which
// answers recovery requests (docs/wire.md section 9) from capture files,
// finished and in progress (bbox record --serve). OpenFiles opens the list
// of files every command reads as one (Files), and Files.Window reads a
// replay's time window on them; OpenPlay opens and checks a replay of
// captures before anything is published (Play). It also owns what the capture commands
// say: the replay report (PlayReport) and its messages (ProgressLine,
// SkipLine, SkipHint, EmptySelection, MissingSymbols, NothingPlayed,
// Unheard), the inspect report's text (Report.WriteText; InspectFiles
// inspects named files in one call, a bad zone a *ZoneError), a
// recording's summary and status (RecorderStats.WriteText, RecordStatus,
// Recording.StatusLine), and the zones files are read in (Zone, ZoneNote,
// SourceZone). The messages name bbox's
// flags where they tell an operator what to change; errors do not.
//
// Concurrency: a Writer, a Reader's chunk buffers, a Source and a Play belong to
// one goroutine at a time. Reader.ReadChunk may be called concurrently with
// distinct Chunk values. Recorder.Deliver is safe to call from every shard
// thread at once; a Recording is driven by one goroutine; Recorder.Stats, Source.Stats and Source.ETA from any
// goroutine; Archive.Answer from any number at once; Source.Skipped from
// any goroutine. Reports and Files are plain values (safe to read
// concurrently, not to change while read), and the text functions are
// pure.
package replay
