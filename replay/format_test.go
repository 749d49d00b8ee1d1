package replay

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

// TestFormatDoc checks docs/capture.md against the writer: the magic bytes
// it spells out and the offsets of the fields it documents, so the
// document cannot drift from the code.
func TestFormatDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/capture.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "89 42 42 43 0D 0A 1A 0A") || Magic != "\x89\x42\x42\x43\x0d\x0a\x1a\x0a" {
		t.Fatal("docs/capture.md and Magic disagree")
	}
	recs := testRecords(t, 200, 8)
	file := writeFile(t, recs, 4<<10)
	r, _, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	hl := r.Header().Len
	m := int(le.Uint32(file[12:]))
	if hl != 28+m || le.Uint16(file[8:]) != 1 || int64(le.Uint64(file[16:])) != 42 || le.Uint32(file[24+m:]) != crc(file[:24+m]) {
		t.Fatalf("file header fields are not where the document says")
	}
	c1 := r.Chunks()[1]
	h := file[c1.Offset:]
	for _, f := range []struct {
		name string
		off  int
		got  uint64
		want uint64
	}{
		{"number", 8, uint64(le.Uint32(h[8:])), 1},
		{"records", 12, uint64(le.Uint32(h[12:])), uint64(c1.Records)},
		{"first_ts", 40, le.Uint64(h[40:]), uint64(c1.FirstTS)},
		{"last_ts", 48, le.Uint64(h[48:]), uint64(c1.LastTS)},
		{"header_crc", 76, uint64(le.Uint32(h[76:])), uint64(crc(h[:76]))},
	} {
		if f.got != f.want {
			t.Errorf("chunk %s at offset %d is %d, want %d", f.name, f.off, f.got, f.want)
		}
	}
	if string(h[:4]) != "BBCK" || c1.Offset != r.Chunks()[0].Offset+r.Chunks()[0].Size() || r.Chunks()[0].Offset != int64(hl) {
		t.Fatal("chunks do not start where the document says")
	}
	// "number: 0, 1, 2, … in file order", and each chunk starts where the
	// previous one ends.
	if !strings.Contains(string(doc), "chunk number in the file: 0, 1, 2, … in file order") {
		t.Fatal("docs/capture.md no longer says how chunks are numbered")
	}
	next := int64(hl)
	for i, c := range r.Chunks() {
		if c.Offset != next || le.Uint32(file[c.Offset+8:]) != uint32(i) {
			t.Fatalf("chunk %d at offset %d carries number %d, want %d at %d", i, c.Offset, le.Uint32(file[c.Offset+8:]), i, next)
		}
		next = c.Offset + c.Size()
	}
	// The metadata key for the source's zone, as the document names it.
	if !strings.Contains(string(doc), "`tz` is the IANA name of the time zone of the source") {
		t.Fatal("docs/capture.md no longer describes the tz metadata key")
	}
	ft := file[len(file)-footerLen:]
	ixOff := int64(le.Uint64(ft[8:]))
	last := r.Chunks()[len(r.Chunks())-1]
	if string(ft[:8]) != "BBCEND\r\n" || ixOff != last.Offset+last.Size() || string(file[ixOff:ixOff+4]) != "BBIX" ||
		ixOff+int64(le.Uint64(ft[16:])) != int64(len(file)-footerLen) {
		t.Fatal("index and footer are not where the document says")
	}
	// The first record of chunk 1, decompressed: its fields at the documented offsets.
	var c Chunk
	if err := r.ReadChunk(c1, &c); err != nil {
		t.Fatal(err)
	}
	rec := c.raw
	want := recs[r.Chunks()[0].Records]
	if int(le.Uint16(rec)) != 36+len(want.Payload) || rec[4] != want.Kind || le.Uint64(rec[12:]) != want.Seq ||
		int64(le.Uint64(rec[20:])) != want.SourceTS || int64(le.Uint64(rec[28:])) != want.SendTS ||
		le.Uint32(rec[8:]) != want.Partition || string(c.Topics()[le.Uint16(rec[2:])]) != string(want.Topic) {
		t.Fatal("record fields are not where the document says")
	}
}
