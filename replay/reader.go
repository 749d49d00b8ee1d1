package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/bbox-dev/bbox/feed"
)

// Problem is damage found in a capture file.
type Problem struct {
	Offset int64  `json:"offset"` // where the damage starts
	Bytes  int64  `json:"bytes"`  // how many bytes it covers (to the next good chunk or the end)
	Kind   string `json:"kind"`   // KindTorn, KindCorrupt, KindDuplicate, KindOrder, KindMissing, KindIndex
	Chunk  int64  `json:"chunk"`  // chunk number (KindMissing: the first one missing), -1 when unknown
	// Records are the records in the part skipped, -1 when unknown. They
	// are lost, except for KindDuplicate: a copy's records are also in
	// the original chunk, and skipping the copy keeps them from playing
	// twice.
	Records int64 `json:"records"`
	// MissingChunks is, for KindMissing, how many chunk numbers are absent.
	MissingChunks int64  `json:"missing_chunks,omitempty"`
	Detail        string `json:"detail"`
}

// Lost reports how many records p loses (0 for a duplicate, -1 unknown).
func (p Problem) Lost() int64 {
	if p.Kind == KindDuplicate {
		return 0
	}
	return p.Records
}

// Err returns p as an *Error for file.
func (p Problem) Err(file string) *Error {
	return &Error{File: file, Offset: p.Offset, Kind: p.Kind, Detail: p.Detail}
}

// chunkProblem is the Problem for the chunk info that could not be read
// because of err: where err says if it is an *Error, else the whole chunk.
func chunkProblem(info ChunkInfo, err error) Problem {
	p := Problem{Offset: info.Offset, Bytes: info.Size(), Kind: KindCorrupt, Chunk: int64(info.Number),
		Records: int64(info.Records), Detail: err.Error()}
	var e *Error
	if errors.As(err, &e) {
		p.Offset, p.Kind, p.Detail = e.Offset, e.Kind, e.Detail
	}
	return p
}

// TopicCount is a topic and how many records of it a file holds.
type TopicCount struct {
	Topic   string `json:"topic"`
	Records int64  `json:"records"`
}

// Reader reads a capture file. Open finds the chunks through the index,
// or, when the file was not closed cleanly or its index is damaged, by
// scanning chunk headers from the start (no decompression either way);
// what it could not read is listed in Problems, and everything else stays
// readable.
type Reader struct {
	name     string
	ra       io.ReaderAt
	closer   io.Closer
	size     int64
	header   FileHeader
	chunks   []ChunkInfo
	topics   []TopicCount
	indexed  bool
	problems []Problem
}

// Open opens the capture file at path. A file that is not a capture file,
// or whose header is damaged, is an *Error; damage after the header is
// reported by Problems and Err.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: KindIO, Detail: ioDetail(err)}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{File: path, Kind: KindIO, Detail: ioDetail(err)}
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// ioDetail is err without the file name an *os.PathError repeats
// ("open: no such file or directory"): Error names the file once.
func ioDetail(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// NewReader reads a capture file of size bytes from ra; name is used in
// errors.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	r := &Reader{name: name, ra: ra, size: size}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	if !r.readIndex() {
		r.chunks, r.topics = nil, nil
		r.scan()
	}
	return r, nil
}

// Close closes the file if Open opened it.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

func (r *Reader) Name() string         { return r.name }
func (r *Reader) Size() int64          { return r.size }
func (r *Reader) Header() FileHeader   { return r.header }
func (r *Reader) Chunks() []ChunkInfo  { return r.chunks }
func (r *Reader) Problems() []Problem  { return r.problems }
func (r *Reader) Topics() []TopicCount { return r.topics }

// Indexed reports whether the file was closed cleanly and opened through
// its index. An unindexed file with no Problems lost nothing: its writer
// stopped between two chunks.
func (r *Reader) Indexed() bool { return r.indexed }

// Err returns the first problem that loses data as an *Error, or nil. A
// damaged index alone loses nothing (the chunks were scanned instead); it
// is listed in Problems only.
func (r *Reader) Err() error {
	for _, p := range r.problems {
		if p.Kind != KindIndex {
			return p.Err(r.name)
		}
	}
	return nil
}

// Records is the number of records in the readable chunks.
func (r *Reader) Records() int64 {
	var n int64
	for i := range r.chunks {
		n += int64(r.chunks[i].Records)
	}
	return n
}

func (r *Reader) errf(off int64, kind, format string, args ...any) *Error {
	return &Error{File: r.name, Offset: off, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

func (r *Reader) read(off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := r.ra.ReadAt(b, off)
	if err != nil && !(errors.Is(err, io.EOF) && off+int64(n) <= r.size) {
		return nil, err
	}
	return b, nil
}

func (r *Reader) readHeader() error {
	if r.size < int64(len(Magic)) {
		if r.size == 0 {
			return r.errf(0, KindTorn, "empty file: not a capture file, or its writer died before writing the header")
		}
		b, _ := r.read(0, int(r.size))
		if b != nil && bytes.HasPrefix([]byte(Magic), b) {
			return r.errf(0, KindTorn, "file of %d bytes ends inside the capture file header (torn)", r.size)
		}
		return r.errf(0, KindForeign, "not a bbox capture file (%d bytes, too short for the header)", r.size)
	}
	b, err := r.read(0, int(min(r.size, fileFixedLen)))
	if err != nil {
		return r.errf(0, KindIO, "%v", err)
	}
	if string(b[:len(Magic)]) != Magic {
		return r.errf(0, KindForeign, "not a bbox capture file (starts with %q, want %q)", b[:len(Magic)], Magic)
	}
	if len(b) < fileFixedLen {
		return r.errf(int64(len(b)), KindTorn, "file ends inside the capture file header (torn)")
	}
	if v := le.Uint16(b[8:]); v != Version {
		return r.errf(8, KindVersion, "capture format version %d; this bbox reads version %d", v, Version)
	}
	if fl := le.Uint16(b[10:]); fl != 0 {
		return r.errf(10, KindHeader, "unknown header flags %#x", fl)
	}
	m := int64(le.Uint32(b[12:]))
	if m > MaxMetaLen {
		return r.errf(12, KindHeader, "metadata length %d over the %d-byte limit", m, MaxMetaLen)
	}
	hl := fileFixedLen + m + 4
	if hl > r.size {
		return r.errf(r.size, KindTorn, "file of %d bytes ends inside the %d-byte capture file header (torn)", r.size, hl)
	}
	full, err := r.read(0, int(hl))
	if err != nil {
		return r.errf(0, KindIO, "%v", err)
	}
	if got, want := le.Uint32(full[hl-4:]), crc(full[:hl-4]); got != want {
		return r.errf(hl-4, KindHeader, "file header checksum %08x, computed %08x (damaged header)", got, want)
	}
	r.header = FileHeader{Version: Version, Created: int64(le.Uint64(b[16:])), Len: int(hl), Meta: map[string]string{}}
	if err := json.Unmarshal(full[fileFixedLen:hl-4], &r.header.Meta); err != nil {
		return r.errf(fileFixedLen, KindHeader, "metadata is not a JSON object of strings: %v", err)
	}
	return nil
}

// readIndex opens the file through its footer and index; false means the
// chunks must be scanned (and says why in Problems if the index is damaged
// rather than absent).
func (r *Reader) readIndex() bool {
	hl := int64(r.header.Len)
	if r.size < hl+indexHeaderLen+footerLen {
		return false
	}
	fb, err := r.read(r.size-footerLen, footerLen)
	if err != nil {
		return false
	}
	ft, ok := parseFooter(fb)
	if !ok {
		return false // no footer: the writer did not close the file
	}
	ixEnd := r.size - footerLen
	bad := func(off int64, format string, args ...any) bool {
		r.problems = append(r.problems, Problem{Offset: off, Bytes: r.size - off, Kind: KindIndex, Chunk: -1, Records: 0,
			Detail: "damaged index (chunks scanned instead): " + fmt.Sprintf(format, args...)})
		return false
	}
	if ft.indexOff < hl || ft.indexOff+ft.indexLen != ixEnd || ft.indexLen < indexHeaderLen {
		return bad(r.size-footerLen, "footer points at an index at %d+%d in a %d-byte file", ft.indexOff, ft.indexLen, r.size)
	}
	ib, err := r.read(ft.indexOff, int(ft.indexLen))
	if err != nil {
		return bad(ft.indexOff, "%v", err)
	}
	h, why := parseIndexHeader(ib)
	if why != "" {
		return bad(ft.indexOff, "%s", why)
	}
	if int64(h.comp) != ft.indexLen-indexHeaderLen || h.chunks != ft.chunks {
		return bad(ft.indexOff, "index header disagrees with the footer")
	}
	comp := ib[indexHeaderLen:]
	if crc(comp) != h.compCRC {
		return bad(ft.indexOff+indexHeaderLen, "index checksum mismatch")
	}
	raw, err := decompress(comp, nil, int(h.raw))
	if err != nil {
		return bad(ft.indexOff+indexHeaderLen, "%v", err)
	}
	p := raw
	if len(p) < 4 || le.Uint32(p) != h.topics {
		return bad(ft.indexOff, "index topic count")
	}
	p = p[4:]
	topics := make([]TopicCount, 0, min(int(h.topics), len(p)/10))
	for i := uint32(0); i < h.topics; i++ {
		if len(p) < 1 || p[0] == 0 || len(p) < 1+int(p[0])+8 {
			return bad(ft.indexOff, "index topic %d truncated", i)
		}
		n := int(p[0])
		topics = append(topics, TopicCount{Topic: string(p[1 : 1+n]), Records: int64(le.Uint64(p[1+n:]))})
		p = p[1+n+8:]
	}
	if len(p) != int(h.chunks)*(8+chunkHeaderLen) {
		return bad(ft.indexOff, "index holds %d bytes of chunk entries for %d chunks", len(p), h.chunks)
	}
	chunks := make([]ChunkInfo, 0, h.chunks)
	next := hl
	for i := uint32(0); i < h.chunks; i++ {
		off := int64(le.Uint64(p))
		c, why := parseChunkHeader(p[8:8+chunkHeaderLen], off)
		if why != "" {
			return bad(ft.indexOff, "index entry %d: %s", i, why)
		}
		if off != next || c.Number != i {
			return bad(ft.indexOff, "index entry %d: chunk %d at offset %d, expected chunk %d at %d", i, c.Number, off, i, next)
		}
		next = off + c.Size()
		chunks = append(chunks, c)
		p = p[8+chunkHeaderLen:]
	}
	if next != ft.indexOff {
		return bad(ft.indexOff, "chunks end at %d, the index starts at %d", next, ft.indexOff)
	}
	r.chunks, r.topics, r.indexed = chunks, topics, true
	return true
}

// scan walks the chunk headers from the start of the file, without
// decompressing anything, and records where the good chunks are and what
// lies between and after them.
func (r *Reader) scan() {
	pos := int64(r.header.Len)
	hb := make([]byte, chunkHeaderLen)
	defer r.checkNumbers()
	for pos < r.size {
		left := r.size - pos
		if left < 4 {
			r.torn(pos, "%d bytes after the last complete chunk, too few for a chunk header", left)
			return
		}
		n := int(min(left, chunkHeaderLen))
		if _, err := r.ra.ReadAt(hb[:n], pos); err != nil && !errors.Is(err, io.EOF) {
			r.problems = append(r.problems, Problem{Offset: pos, Bytes: left, Kind: KindIO, Chunk: -1, Records: -1, Detail: err.Error()})
			return
		}
		switch string(hb[:4]) {
		case indexMagic:
			r.scanIndex(pos, hb[:n])
			return
		case chunkMagic:
			if n < chunkHeaderLen {
				r.torn(pos, "the file ends %d bytes into a chunk header", n)
				return
			}
			c, why := parseChunkHeader(hb, pos)
			if why == "" {
				if pos+c.Size() > r.size {
					r.problems = append(r.problems, Problem{Offset: pos, Bytes: left, Kind: KindTorn, Chunk: int64(c.Number),
						Records: int64(c.Records), Detail: fmt.Sprintf("torn tail: chunk %d (%d records) needs %d bytes, the file ends %d bytes into it",
							c.Number, c.Records, c.Size(), left)})
					return
				}
				r.chunks = append(r.chunks, c)
				pos += c.Size()
				continue
			}
			r.corrupt(pos, why)
		default:
			r.corrupt(pos, fmt.Sprintf("no chunk starts here (magic %q, want %q)", hb[:4], chunkMagic))
		}
		next := r.resync(pos + 1)
		r.problems[len(r.problems)-1].Bytes = next - pos
		pos = next
	}
}

func (r *Reader) torn(pos int64, format string, args ...any) {
	r.problems = append(r.problems, Problem{Offset: pos, Bytes: r.size - pos, Kind: KindTorn, Chunk: -1, Records: -1,
		Detail: "torn tail: " + fmt.Sprintf(format, args...)})
}

func (r *Reader) corrupt(pos int64, why string) {
	r.problems = append(r.problems, Problem{Offset: pos, Kind: KindCorrupt, Chunk: -1, Records: -1,
		Detail: "damaged chunk header: " + why})
}

// scanIndex handles an index block met while scanning: complete (the
// footer alone was damaged) or torn (the writer died while closing).
func (r *Reader) scanIndex(pos int64, hb []byte) {
	if len(hb) < indexHeaderLen {
		r.torn(pos, "the file ends inside the index header (the writer died while closing; every chunk is complete)")
		r.problems[len(r.problems)-1].Records = 0
		return
	}
	h, why := parseIndexHeader(hb)
	end := pos + indexHeaderLen + int64(h.comp) + footerLen
	switch {
	case why != "":
		r.corrupt(pos, why)
		r.problems[len(r.problems)-1].Bytes = r.size - pos
	case end > r.size:
		r.torn(pos, "the file ends inside the index (the writer died while closing; every chunk is complete)")
		r.problems[len(r.problems)-1].Records = 0
	default:
		// A whole index whose footer did not check out: readIndex said why.
		if end < r.size {
			r.corrupt(end, fmt.Sprintf("%d unexpected bytes after the index", r.size-end))
			r.problems[len(r.problems)-1].Bytes = r.size - end
		}
	}
}

// resync finds the next offset from pos where a valid chunk or index
// header starts, or the end of the file.
func (r *Reader) resync(pos int64) int64 {
	buf := make([]byte, min(1<<20, r.size-pos+chunkHeaderLen))
	for pos < r.size {
		n, err := r.ra.ReadAt(buf, pos)
		if n == 0 && err != nil {
			return r.size
		}
		b := buf[:n]
		for i := 0; i+4 <= len(b); i++ {
			j := bytes.Index(b[i:], []byte("BB"))
			if j < 0 {
				break
			}
			i += j
			if i+4 > len(b) {
				break
			}
			switch string(b[i : i+4]) {
			case chunkMagic:
				if i+chunkHeaderLen <= len(b) {
					if _, why := parseChunkHeader(b[i:i+chunkHeaderLen], pos+int64(i)); why == "" {
						return pos + int64(i)
					}
				} else if pos+int64(len(b)) >= r.size {
					return pos + int64(i) // a chunk header torn at the end: let scan report it
				}
			case indexMagic:
				if i+indexHeaderLen <= len(b) {
					if _, why := parseIndexHeader(b[i : i+indexHeaderLen]); why == "" {
						return pos + int64(i)
					}
				}
			}
		}
		if pos+int64(n) >= r.size {
			return r.size
		}
		pos += int64(n) - chunkHeaderLen
	}
	return r.size
}

var (
	decOnce sync.Once
	dec     *zstd.Decoder
	decErr  error
)

// decompress decodes one zstd frame into dst[:0], refusing output other
// than exactly want bytes.
func decompress(src, dst []byte, want int) ([]byte, error) {
	decOnce.Do(func() {
		// The cap limit makes DecodeAll stop at cap(dst): a frame cannot
		// grow past what the chunk header promised.
		dec, decErr = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxIndexRaw), zstd.WithDecoderConcurrency(0),
			zstd.WithDecodeAllCapLimit(true))
	})
	if decErr != nil {
		return nil, decErr
	}
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return nil, fmt.Errorf("zstd frame header: %v", err)
	}
	if h.HasFCS && h.FrameContentSize != uint64(want) {
		return nil, fmt.Errorf("zstd frame declares %d bytes, the header says %d", h.FrameContentSize, want)
	}
	if cap(dst) < want {
		dst = make([]byte, 0, want)
	}
	out, err := dec.DecodeAll(src, dst[:0:want])
	if err != nil {
		return nil, fmt.Errorf("zstd: %v", err)
	}
	if len(out) != want {
		return nil, fmt.Errorf("decompressed to %d bytes, the header says %d", len(out), want)
	}
	// The cap limit keeps DecodeAll inside dst, so out is dst[:want:want].
	// Hand back the full-capacity buffer: a caller that keeps it must not
	// reallocate for the next, slightly bigger chunk.
	return dst[:want], nil
}

// Chunk holds one decompressed chunk. Reuse a Chunk across ReadChunk calls
// to reuse its buffers; records decoded from it alias those buffers.
type Chunk struct {
	Info    ChunkInfo
	file    string
	buf     []byte
	dict    []byte
	raw     []byte
	topics  [][]byte
	origins []Origin
	offs    []uint32 // Decode's scratch
}

// Topics are the chunk's distinct topics, in the order records index them.
func (c *Chunk) Topics() [][]byte { return c.topics }

// ReadDict reads and checks only the chunk's header and dictionary (its
// topics and origins), so a reader looking for some symbols can skip a
// chunk without reading or decompressing its records.
func (r *Reader) ReadDict(info ChunkInfo, c *Chunk) error {
	return r.readChunk(info, c, false)
}

// ReadChunk reads the chunk, checks its header against info, its stored
// and uncompressed checksums, and decompresses it.
func (r *Reader) ReadChunk(info ChunkInfo, c *Chunk) error {
	return r.readChunk(info, c, true)
}

func (r *Reader) readChunk(info ChunkInfo, c *Chunk, records bool) error {
	c.Info, c.file = info, r.name
	c.dict, c.raw, c.topics, c.origins = c.dict[:0], c.raw[:0], c.topics[:0], c.origins[:0]
	n := chunkHeaderLen + int64(info.DictComp)
	if records {
		n = info.Size()
	}
	if info.Offset+n > r.size {
		return r.errf(info.Offset, KindTorn, "chunk %d ends at %d, after the end of the file (%d bytes)", info.Number, info.Offset+n, r.size)
	}
	if int64(cap(c.buf)) < n {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := r.ra.ReadAt(b, info.Offset); err != nil && !(errors.Is(err, io.EOF)) {
		return r.errf(info.Offset, KindIO, "chunk %d: %v", info.Number, err)
	}
	h, why := parseChunkHeader(b[:chunkHeaderLen], info.Offset)
	if why == "" && h != info {
		why = "header differs from the index entry"
	}
	if why != "" {
		return r.errf(info.Offset, KindCorrupt, "chunk %d: %s", info.Number, why)
	}
	dz := b[chunkHeaderLen : chunkHeaderLen+int(info.DictComp)]
	if got := crc(dz); got != info.DictCRC {
		return r.errf(info.Offset+chunkHeaderLen, KindCorrupt, "chunk %d: dictionary checksum %08x, header says %08x (bit flip or overwrite)", info.Number, got, info.DictCRC)
	}
	var err error
	if c.dict, err = decompress(dz, c.dict, int(info.DictRaw)); err != nil {
		return r.errf(info.Offset+chunkHeaderLen, KindCorrupt, "chunk %d dictionary: %v", info.Number, err)
	}
	if err := c.parseDict(); err != nil {
		return r.errf(info.Offset+chunkHeaderLen, KindCorrupt, "chunk %d dictionary: %v", info.Number, err)
	}
	if !records {
		return nil
	}
	roff := info.Offset + chunkHeaderLen + int64(info.DictComp)
	rz := b[chunkHeaderLen+int(info.DictComp):]
	if got := crc(rz); got != info.RecordsCRC {
		return r.errf(roff, KindCorrupt, "chunk %d: records checksum %08x, header says %08x (bit flip or overwrite)", info.Number, got, info.RecordsCRC)
	}
	if c.raw, err = decompress(rz, c.raw, int(info.RecordsRaw)); err != nil {
		return r.errf(roff, KindCorrupt, "chunk %d records: %v", info.Number, err)
	}
	if got := crc32.Update(crc(c.dict), castagnoli, c.raw); got != info.RawCRC {
		return r.errf(roff, KindCorrupt, "chunk %d: uncompressed checksum %08x, header says %08x", info.Number, got, info.RawCRC)
	}
	return nil
}

func (c *Chunk) parseDict() error {
	d := c.dict
	if len(d) < 1 || uint32(d[0]) != c.Info.Origins || len(d) < 1+16*int(d[0]) {
		return errors.New("origin table does not match the header")
	}
	for i := 0; i < int(d[0]); i++ {
		c.origins = append(c.origins, Origin{Publisher: le.Uint64(d[1+16*i:]), Epoch: le.Uint64(d[9+16*i:])})
	}
	p := d[1+16*int(d[0]):]
	for i := uint32(0); i < c.Info.Topics; i++ {
		if len(p) < 1 || p[0] == 0 || len(p) < 1+int(p[0]) {
			return fmt.Errorf("topic %d truncated", i)
		}
		n := int(p[0])
		c.topics = append(c.topics, p[1:1+n:1+n])
		p = p[1+n:]
	}
	if len(p) != 0 {
		return fmt.Errorf("%d bytes after %d topics", len(p), c.Info.Topics)
	}
	return nil
}

// Decode appends the chunk's records to dst. Topic and Payload alias the
// chunk's buffers (valid until the next ReadChunk into c). A structurally
// bad record makes the whole chunk an error (dst is returned unchanged in
// length).
func (c *Chunk) Decode(dst []feed.Record) ([]feed.Record, error) {
	var err error
	if c.offs, err = c.Index(c.offs[:0], nil); err != nil {
		return dst, err
	}
	for _, off := range c.offs {
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
		} else {
			dst = append(dst, feed.Record{})
		}
		c.Record(off, &dst[len(dst)-1])
	}
	return dst, nil
}

// Index checks every record of the chunk and appends the offsets (into
// the uncompressed records) of those keep selects to dst; Record turns an
// offset into a record. Offsets hold no pointers, so a replay can keep
// many chunks' worth of them without making the garbage collector's work
// grow. A structurally bad record makes the whole chunk an error.
func (c *Chunk) Index(dst []uint32, keep func(topic uint16, ts int64) bool) ([]uint32, error) {
	start := len(dst)
	p := c.raw
	pos := 0
	ntop, norig := len(c.topics), len(c.origins)
	for i := uint32(0); i < c.Info.Records; i++ {
		if len(p)-pos < recordFixedLen {
			return dst[:start], c.recErr(pos, i, "truncated record header")
		}
		b := p[pos:]
		n := int(le.Uint16(b))
		if n < recordFixedLen || n > len(b) {
			return dst[:start], c.recErr(pos, i, fmt.Sprintf("record length %d outside [%d, %d]", n, recordFixedLen, len(b)))
		}
		ti, oi := le.Uint16(b[2:]), int(b[5])
		if int(ti) >= ntop || oi >= norig {
			return dst[:start], c.recErr(pos, i, fmt.Sprintf("topic %d or origin %d outside the dictionary", ti, oi))
		}
		ts := int64(le.Uint64(b[20:]))
		if ts < c.Info.FirstTS || ts > c.Info.LastTS {
			return dst[:start], c.recErr(pos, i, "timestamp outside the chunk's time range")
		}
		if keep == nil || keep(ti, ts) {
			dst = append(dst, uint32(pos))
		}
		pos += n
	}
	if pos != len(p) {
		return dst[:start], c.recErr(pos, c.Info.Records, fmt.Sprintf("%d bytes after the last record", len(p)-pos))
	}
	return dst, nil
}

// Record fills r from the record at off, an offset Index returned.
func (c *Chunk) Record(off uint32, r *feed.Record) {
	b := c.raw[off:]
	n := int(le.Uint16(b))
	o := &c.origins[b[5]]
	*r = feed.Record{
		Topic: c.topics[le.Uint16(b[2:])], Payload: b[recordFixedLen:n:n], Kind: b[4],
		Publisher: o.Publisher, Epoch: o.Epoch, Shard: le.Uint16(b[6:]), Partition: le.Uint32(b[8:]),
		Seq: le.Uint64(b[12:]), SourceTS: int64(le.Uint64(b[20:])), SendTS: int64(le.Uint64(b[28:])),
	}
}

// SourceTS is the timestamp of the record at off, an offset Index returned.
func (c *Chunk) SourceTS(off uint32) int64 { return int64(le.Uint64(c.raw[off+20:])) }

// topic is the index into Topics of the record at off, an offset Index
// returned.
func (c *Chunk) topic(off uint32) uint16 { return le.Uint16(c.raw[off+2:]) }

func (c *Chunk) recErr(pos int, i uint32, why string) error {
	return &Error{File: c.file, Offset: c.Info.Offset + chunkHeaderLen + int64(c.Info.DictComp), Kind: KindCorrupt,
		Detail: fmt.Sprintf("chunk %d records: record %d at byte %d of the uncompressed records: %s", c.Info.Number, i, pos, why)}
}
