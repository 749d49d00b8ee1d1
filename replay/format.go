package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Format constants; docs/capture.md is the normative description.
const (
	// Magic starts every capture file: a high-bit byte (catches 7-bit
	// transfers), "BBC", CR LF (catches line-ending conversion), ^Z, LF.
	Magic = "\x89BBC\r\n\x1a\n"
	// Version is the format version this package writes and reads.
	Version = 1

	fileFixedLen   = 24 // file header bytes before the metadata
	chunkHeaderLen = 80
	indexHeaderLen = 32
	footerLen      = 32
	recordFixedLen = 36 // capture record bytes before the payload

	// MaxMetaLen caps the file header's metadata.
	MaxMetaLen = 64 << 10
	// MaxChunkRaw caps a chunk section's uncompressed size; a reader
	// rejects larger claims before allocating.
	MaxChunkRaw = 64 << 20
	// MaxIndexRaw caps the index's uncompressed size.
	MaxIndexRaw = 1 << 30

	chunkMagic  = "BBCK"
	indexMagic  = "BBIX"
	footerMagic = "BBCEND\r\n"

	codecZstd = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

var le = binary.LittleEndian

// ErrTooLarge is returned by Writer.Append for a record that does not fit
// a capture record (topic 1..255 bytes, payload up to 65499 bytes).
var ErrTooLarge = errors.New("record too large for a capture file")

// Error is a problem with a capture file, located by byte offset.
type Error struct {
	File   string
	Offset int64
	Kind   string // "foreign", "version", "header", "torn", "corrupt", "duplicate", "order", "missing", "index", "io"
	Detail string
}

func (e *Error) Error() string {
	if e.Kind == KindIO && e.Offset == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Detail) // not opened or not read at all: no place to point at
	}
	return fmt.Sprintf("%s: offset %d: %s", e.File, e.Offset, e.Detail)
}

// Problem kinds.
const (
	KindForeign = "foreign" // not a capture file
	KindVersion = "version" // a capture file of a version this reader does not know
	KindHeader  = "header"  // damaged file header
	KindTorn    = "torn"    // the file ends inside a chunk or the index: the writer did not finish
	KindCorrupt = "corrupt" // a chunk whose header, checksum or contents are wrong
	KindIndex   = "index"   // a damaged index (the chunks are scanned instead)
	// Chunk numbering, checked when chunks are found by scanning: a chunk
	// is valid on its own, but not where it stands in the file.
	KindDuplicate = "duplicate" // a byte-for-byte copy of a chunk met earlier in the file
	KindOrder     = "order"     // a chunk whose number comes before one already met (moved, or from another file)
	KindMissing   = "missing"   // chunk numbers absent from the file (cut out), with nothing damaged in their place
	KindIO        = "io"        // the file could not be read
)

// FileHeader is the start of a capture file.
type FileHeader struct {
	Version uint16
	Created int64             // ns since the Unix epoch: when the capture started (bbox gen: the simulated day's start)
	Meta    map[string]string // free-form: source, seed, tz, host, ...
	Len     int               // bytes of the header on disk
}

// ChunkInfo is a chunk's header: what can be known without decompressing it.
type ChunkInfo struct {
	Offset      int64  // of the chunk header in the file
	Number      uint32 // chunks are numbered from 0 in a file
	Records     uint32
	Topics      uint32 // distinct topics in the chunk
	Origins     uint32 // distinct (publisher, epoch) pairs in the chunk
	DictRaw     uint32 // dictionary section (origins and topics), uncompressed
	DictComp    uint32
	RecordsRaw  uint32 // records section, uncompressed
	RecordsComp uint32
	FirstTS     int64  // smallest SourceTS
	LastTS      int64  // largest SourceTS
	WireBytes   uint64 // sum of the records' wire sizes (feed.Record.WireSize)
	DictCRC     uint32 // CRC-32C of the compressed dictionary as stored
	RecordsCRC  uint32 // CRC-32C of the compressed records as stored
	RawCRC      uint32 // CRC-32C of the uncompressed dictionary then records
}

// Size is the chunk's total size in the file.
func (c *ChunkInfo) Size() int64 {
	return chunkHeaderLen + int64(c.DictComp) + int64(c.RecordsComp)
}

func putFileHeader(dst []byte, created int64, meta []byte) []byte {
	off := len(dst)
	dst = append(dst, Magic...)
	dst = le.AppendUint16(dst, Version)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, uint32(len(meta)))
	dst = le.AppendUint64(dst, uint64(created))
	dst = append(dst, meta...)
	return le.AppendUint32(dst, crc(dst[off:]))
}

func putChunkHeader(b []byte, c *ChunkInfo) {
	_ = b[chunkHeaderLen-1]
	copy(b, chunkMagic)
	le.PutUint16(b[4:], chunkHeaderLen)
	b[6], b[7] = codecZstd, 0
	le.PutUint32(b[8:], c.Number)
	le.PutUint32(b[12:], c.Records)
	le.PutUint32(b[16:], c.Topics)
	le.PutUint16(b[20:], uint16(c.Origins))
	le.PutUint16(b[22:], 0)
	le.PutUint32(b[24:], c.DictRaw)
	le.PutUint32(b[28:], c.DictComp)
	le.PutUint32(b[32:], c.RecordsRaw)
	le.PutUint32(b[36:], c.RecordsComp)
	le.PutUint64(b[40:], uint64(c.FirstTS))
	le.PutUint64(b[48:], uint64(c.LastTS))
	le.PutUint64(b[56:], c.WireBytes)
	le.PutUint32(b[64:], c.DictCRC)
	le.PutUint32(b[68:], c.RecordsCRC)
	le.PutUint32(b[72:], c.RawCRC)
	le.PutUint32(b[76:], crc(b[:76]))
}

// parseChunkHeader checks and reads an 80-byte chunk header; the returned
// string says what is wrong ("" when nothing is).
func parseChunkHeader(b []byte, off int64) (ChunkInfo, string) {
	var c ChunkInfo
	if string(b[:4]) != chunkMagic {
		return c, fmt.Sprintf("no chunk starts here (magic %q, want %q)", b[:4], chunkMagic)
	}
	if got, want := le.Uint32(b[76:]), crc(b[:76]); got != want {
		return c, fmt.Sprintf("chunk header checksum %08x, computed %08x", got, want)
	}
	if le.Uint16(b[22:]) != 0 {
		return c, "reserved chunk header bytes are not zero"
	}
	if hl := le.Uint16(b[4:]); hl != chunkHeaderLen {
		return c, fmt.Sprintf("chunk header length %d, want %d", hl, chunkHeaderLen)
	}
	if b[6] != codecZstd || b[7] != 0 {
		return c, fmt.Sprintf("unknown codec %d or flags %#x", b[6], b[7])
	}
	c = ChunkInfo{
		Offset: off, Number: le.Uint32(b[8:]), Records: le.Uint32(b[12:]), Topics: le.Uint32(b[16:]),
		Origins: uint32(le.Uint16(b[20:])), DictRaw: le.Uint32(b[24:]), DictComp: le.Uint32(b[28:]),
		RecordsRaw: le.Uint32(b[32:]), RecordsComp: le.Uint32(b[36:]),
		FirstTS: int64(le.Uint64(b[40:])), LastTS: int64(le.Uint64(b[48:])), WireBytes: le.Uint64(b[56:]),
		DictCRC: le.Uint32(b[64:]), RecordsCRC: le.Uint32(b[68:]), RawCRC: le.Uint32(b[72:]),
	}
	switch {
	case c.DictRaw > MaxChunkRaw || c.RecordsRaw > MaxChunkRaw || c.DictComp > MaxChunkRaw || c.RecordsComp > MaxChunkRaw:
		return c, "chunk section sizes over the 64 MiB limit"
	case c.Records == 0 || uint64(c.Records)*recordFixedLen > uint64(c.RecordsRaw):
		return c, fmt.Sprintf("%d records cannot fill a %d-byte records section", c.Records, c.RecordsRaw)
	case c.Topics == 0 || c.Topics > 0xFFFF || c.Topics > c.Records:
		return c, fmt.Sprintf("%d topics for %d records", c.Topics, c.Records)
	case c.Origins == 0 || c.Origins > 0xFF:
		return c, fmt.Sprintf("%d origins, want 1..255", c.Origins)
	case c.FirstTS > c.LastTS:
		return c, fmt.Sprintf("first timestamp %d after last %d", c.FirstTS, c.LastTS)
	}
	return c, ""
}

// footer is the last 32 bytes of a cleanly closed file.
type footer struct {
	indexOff int64
	indexLen int64
	chunks   uint32
}

func putFooter(dst []byte, f footer) []byte {
	off := len(dst)
	dst = append(dst, footerMagic...)
	dst = le.AppendUint64(dst, uint64(f.indexOff))
	dst = le.AppendUint64(dst, uint64(f.indexLen))
	dst = le.AppendUint32(dst, f.chunks)
	return le.AppendUint32(dst, crc(dst[off:]))
}

func parseFooter(b []byte) (footer, bool) {
	if len(b) != footerLen || string(b[:8]) != footerMagic || le.Uint32(b[28:]) != crc(b[:28]) {
		return footer{}, false
	}
	return footer{indexOff: int64(le.Uint64(b[8:])), indexLen: int64(le.Uint64(b[16:])), chunks: le.Uint32(b[24:])}, true
}

// indexHeader is the fixed start of the index block.
type indexHeader struct {
	chunks  uint32
	topics  uint32
	raw     uint32
	comp    uint32
	compCRC uint32
}

func putIndexHeader(b []byte, h indexHeader) {
	_ = b[indexHeaderLen-1]
	copy(b, indexMagic)
	le.PutUint16(b[4:], indexHeaderLen)
	b[6], b[7] = codecZstd, 0
	le.PutUint32(b[8:], h.chunks)
	le.PutUint32(b[12:], h.topics)
	le.PutUint32(b[16:], h.raw)
	le.PutUint32(b[20:], h.comp)
	le.PutUint32(b[24:], h.compCRC)
	le.PutUint32(b[28:], crc(b[:28]))
}

func parseIndexHeader(b []byte) (indexHeader, string) {
	var h indexHeader
	if string(b[:4]) != indexMagic {
		return h, fmt.Sprintf("no index starts here (magic %q)", b[:4])
	}
	if le.Uint32(b[28:]) != crc(b[:28]) {
		return h, "index header checksum mismatch"
	}
	if le.Uint16(b[4:]) != indexHeaderLen || b[6] != codecZstd || b[7] != 0 {
		return h, "unknown index header layout or codec"
	}
	h = indexHeader{chunks: le.Uint32(b[8:]), topics: le.Uint32(b[12:]), raw: le.Uint32(b[16:]),
		comp: le.Uint32(b[20:]), compCRC: le.Uint32(b[24:])}
	if h.raw > MaxIndexRaw || h.comp > MaxIndexRaw {
		return h, "index larger than 1 GiB"
	}
	if uint64(h.chunks)*(8+chunkHeaderLen) > uint64(h.raw) {
		return h, fmt.Sprintf("%d chunks cannot fit a %d-byte index", h.chunks, h.raw)
	}
	return h, ""
}

// Origin is a (publisher, epoch) pair: where recorded records came from.
type Origin struct {
	Publisher uint64
	Epoch     uint64
}
