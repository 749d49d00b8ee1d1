package replay

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/bbox-dev/bbox/feed"
)

// WriterConfig configures a Writer. Every zero value is a documented default.
type WriterConfig struct {
	// ChunkSize is the uncompressed size of a chunk's records section at
	// which the chunk is sealed and written. 0 means 1 MiB: big enough for
	// zstd to find the repetition in a feed, small enough to stay in cache
	// when replayed. At most MaxChunkRaw.
	ChunkSize int
	// Level is the zstd level: 1 fastest, 2 default, 3 better, 4 best.
	// 0 means 2.
	Level int
	// Created is the capture's start in ns since the Unix epoch, stored in
	// the file header. 0 means now.
	Created int64
	// Meta is free-form metadata stored in the file header as a JSON
	// object (source, seed, time zone, host, ...). nil stores {}.
	Meta map[string]string
}

// WriterStats counts what a Writer has written.
type WriterStats struct {
	Records   int64 // in sealed chunks
	Pending   int64 // appended, not yet in a sealed chunk
	Chunks    int64
	Bytes     int64 // file bytes written so far
	WireBytes int64 // sum of the sealed records' wire sizes
	RawBytes  int64 // sum of the sealed chunks' uncompressed sections
	Topics    int   // distinct topics in the sealed chunks
}

// Writer writes one capture file. Append packs records into the current
// chunk; a full chunk is compressed and written with a single write call,
// so a process killed at any moment leaves whole chunks and at most one
// torn one at the end. Close writes the index and the footer.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w      io.Writer
	closer io.Closer
	syncer interface{ Sync() error }
	name   string
	cfg    WriterConfig
	enc    *zstd.Encoder
	off    int64
	err    error

	// current chunk
	raw      []byte
	topicIdx map[string]uint16
	topics   []string
	tcount   []uint32
	origins  []Origin
	lastOrig int
	first    int64
	last     int64
	wire     uint64
	n        uint32
	opened   time.Time

	dict, dictZ, recZ, out []byte
	chunks                 []ChunkInfo
	totals                 map[string]int64
	stats                  WriterStats
}

// Create creates (or truncates) the file at path and writes its header.
func Create(path string, cfg WriterConfig) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err // before an existing file is truncated
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err // an *os.PathError: "open FILE: why"
	}
	w, err := NewWriter(f, path, cfg)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.closer, w.syncer = f, f
	return w, nil
}

// zstdLevels maps WriterConfig.Level (0 is the default, 2) to zstd's.
var zstdLevels = [...]zstd.EncoderLevel{zstd.SpeedDefault, zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression}

// Validate checks c's values (zero values are defaults). The metadata's
// size is checked when it is encoded, by NewWriter.
func (c WriterConfig) Validate() error {
	switch {
	case c.ChunkSize < 0 || c.ChunkSize > MaxChunkRaw-feed.MaxRecordLen:
		return fmt.Errorf("chunk size %d outside [1, %d]", c.ChunkSize, MaxChunkRaw-feed.MaxRecordLen)
	case c.Level < 0 || c.Level >= len(zstdLevels):
		return fmt.Errorf("compression level %d outside [1, 4]", c.Level)
	}
	return nil
}

// NewWriter writes a capture file header to w and returns a Writer that
// appends to it; name is used in errors. Close does not close w.
func NewWriter(w io.Writer, name string, cfg WriterConfig) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 1 << 20
	}
	if cfg.Created == 0 {
		cfg.Created = time.Now().UnixNano()
	}
	meta := cfg.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	mb, err := json.Marshal(meta) // map keys are sorted: the same metadata gives the same bytes
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if len(mb) > MaxMetaLen {
		return nil, fmt.Errorf("metadata of %d bytes over the %d-byte limit", len(mb), MaxMetaLen)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevels[cfg.Level]), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false)) // the chunk carries its own CRC-32C of the raw bytes
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	wr := &Writer{w: w, name: name, cfg: cfg, enc: enc, topicIdx: map[string]uint16{}, totals: map[string]int64{}}
	hdr := putFileHeader(nil, cfg.Created, mb)
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	wr.off = int64(len(hdr))
	wr.stats.Bytes = wr.off
	wr.raw = make([]byte, 0, cfg.ChunkSize+feed.MaxRecordLen)
	return wr, nil
}

// Append adds r to the current chunk, sealing and writing the chunk when
// it is full. Topic, Payload, Kind, SourceTS, SendTS, Seq, Publisher,
// Epoch, Partition and Shard are kept. Append copies what it needs.
func (w *Writer) Append(r *feed.Record) error {
	if w.err != nil {
		return w.err
	}
	if len(r.Topic) == 0 || len(r.Topic) > feed.MaxTopicLen || recordFixedLen+len(r.Payload) > feed.MaxRecordLen {
		return ErrTooLarge
	}
	o := Origin{r.Publisher, r.Epoch}
	oi := w.findOrigin(o)
	ti, ok := w.topicIdx[string(r.Topic)]
	if (!ok && len(w.topics) == 0xFFFF) || (oi < 0 && len(w.origins) == 0xFF) {
		// The chunk's dictionary is full: seal it and start afresh.
		if err := w.Flush(); err != nil {
			return err
		}
		oi, ok = -1, false
	}
	if oi < 0 {
		w.origins = append(w.origins, o)
		oi = len(w.origins) - 1
	}
	w.lastOrig = oi
	if !ok {
		ti = uint16(len(w.topics))
		w.topicIdx[string(r.Topic)] = ti
		w.topics = append(w.topics, string(r.Topic))
		w.tcount = append(w.tcount, 0)
	}
	w.tcount[ti]++
	if w.n == 0 {
		w.first, w.last, w.opened = r.SourceTS, r.SourceTS, time.Now()
	}
	w.first, w.last = min(w.first, r.SourceTS), max(w.last, r.SourceTS)
	w.wire += uint64(r.WireSize(false))
	w.n++
	n := recordFixedLen + len(r.Payload)
	off := len(w.raw)
	w.raw = w.raw[:off+n]
	b := w.raw[off:]
	le.PutUint16(b[0:], uint16(n))
	le.PutUint16(b[2:], ti)
	b[4], b[5] = r.Kind, byte(oi)
	le.PutUint16(b[6:], r.Shard)
	le.PutUint32(b[8:], r.Partition)
	le.PutUint64(b[12:], r.Seq)
	le.PutUint64(b[20:], uint64(r.SourceTS))
	le.PutUint64(b[28:], uint64(r.SendTS))
	copy(b[recordFixedLen:], r.Payload)
	if len(w.raw) >= w.cfg.ChunkSize {
		return w.Flush()
	}
	return nil
}

// findOrigin returns o's index in the current chunk or -1; records come
// in runs from one publisher, so the last one found is tried first.
func (w *Writer) findOrigin(o Origin) int {
	if w.lastOrig < len(w.origins) && w.origins[w.lastOrig] == o {
		return w.lastOrig
	}
	for i := range w.origins {
		if w.origins[i] == o {
			return i
		}
	}
	return -1
}

// PendingSince is when the oldest record not yet in a sealed chunk was
// appended (zero when there is none), so a recorder can seal quiet chunks.
func (w *Writer) PendingSince() time.Time {
	if w.n == 0 {
		return time.Time{}
	}
	return w.opened
}

// Flush seals the current chunk, if it has records, and writes it.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.n == 0 {
		return nil
	}
	d := w.dict[:0]
	d = append(d, byte(len(w.origins)))
	for _, o := range w.origins {
		d = le.AppendUint64(d, o.Publisher)
		d = le.AppendUint64(d, o.Epoch)
	}
	for _, t := range w.topics {
		d = append(d, byte(len(t)))
		d = append(d, t...)
	}
	w.dict = d
	w.dictZ = w.enc.EncodeAll(w.dict, w.dictZ[:0])
	w.recZ = w.enc.EncodeAll(w.raw, w.recZ[:0])
	c := ChunkInfo{
		Offset: w.off, Number: uint32(len(w.chunks)), Records: w.n, Topics: uint32(len(w.topics)),
		Origins: uint32(len(w.origins)), DictRaw: uint32(len(w.dict)), DictComp: uint32(len(w.dictZ)),
		RecordsRaw: uint32(len(w.raw)), RecordsComp: uint32(len(w.recZ)),
		FirstTS: w.first, LastTS: w.last, WireBytes: w.wire,
		RawCRC: crc32.Update(crc(w.dict), castagnoli, w.raw),
	}
	out := append(w.out[:0], make([]byte, chunkHeaderLen)...)
	out = append(out, w.dictZ...)
	out = append(out, w.recZ...)
	c.DictCRC, c.RecordsCRC = crc(w.dictZ), crc(w.recZ)
	putChunkHeader(out, &c)
	w.out = out
	// One write per chunk: a kill leaves it whole or, at worst, torn at the tail.
	if _, err := w.w.Write(out); err != nil {
		w.err = fmt.Errorf("%s: writing chunk %d at offset %d: %w", w.name, c.Number, w.off, err)
		return w.err
	}
	w.off += int64(len(out))
	w.chunks = append(w.chunks, c)
	for i, t := range w.topics {
		w.totals[t] += int64(w.tcount[i])
	}
	w.stats.Records += int64(c.Records)
	w.stats.Chunks++
	w.stats.Bytes = w.off
	w.stats.WireBytes += int64(c.WireBytes)
	w.stats.RawBytes += int64(c.DictRaw) + int64(c.RecordsRaw)
	w.raw = w.raw[:0]
	clear(w.topicIdx)
	w.topics, w.tcount, w.origins, w.lastOrig = w.topics[:0], w.tcount[:0], w.origins[:0], 0
	w.n, w.wire = 0, 0
	return nil
}

// Stats returns what has been written so far.
func (w *Writer) Stats() WriterStats {
	s := w.stats
	s.Pending = int64(w.n)
	s.Topics = len(w.totals)
	return s
}

// Close seals the last chunk, writes the index and footer, syncs the file
// to disk and closes it (if the Writer opened it).
func (w *Writer) Close() error {
	err := w.Flush()
	if err == nil {
		err = w.writeIndex()
	}
	if err == nil && w.syncer != nil {
		if serr := w.syncer.Sync(); serr != nil {
			err = fmt.Errorf("%s: sync: %w", w.name, serr)
		}
	}
	if w.closer != nil {
		if cerr := w.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: %w", w.name, cerr)
		}
		w.closer = nil
	}
	w.enc.Close()
	if err == nil {
		w.err = fmt.Errorf("%s: writer closed", w.name)
	}
	return err
}

func (w *Writer) writeIndex() error {
	names := make([]string, 0, len(w.totals))
	for t := range w.totals {
		names = append(names, t)
	}
	sort.Strings(names)
	raw := le.AppendUint32(nil, uint32(len(names)))
	for _, t := range names {
		raw = append(raw, byte(len(t)))
		raw = append(raw, t...)
		raw = le.AppendUint64(raw, uint64(w.totals[t]))
	}
	var hb [chunkHeaderLen]byte
	for i := range w.chunks {
		raw = le.AppendUint64(raw, uint64(w.chunks[i].Offset))
		putChunkHeader(hb[:], &w.chunks[i])
		raw = append(raw, hb[:]...)
	}
	comp := w.enc.EncodeAll(raw, nil)
	out := make([]byte, indexHeaderLen, indexHeaderLen+len(comp)+footerLen)
	putIndexHeader(out, indexHeader{chunks: uint32(len(w.chunks)), topics: uint32(len(names)),
		raw: uint32(len(raw)), comp: uint32(len(comp)), compCRC: crc(comp)})
	out = append(out, comp...)
	out = putFooter(out, footer{indexOff: w.off, indexLen: int64(indexHeaderLen + len(comp)), chunks: uint32(len(w.chunks))})
	if _, err := w.w.Write(out); err != nil {
		w.err = fmt.Errorf("%s: writing the index at offset %d: %w", w.name, w.off, err)
		return w.err
	}
	w.off += int64(len(out))
	w.stats.Bytes = w.off
	return nil
}
