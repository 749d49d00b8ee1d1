package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// encodeFrame encodes recs as one frame with testHeader(0), in a buffer
// of its own.
func encodeFrame(t testing.TB, recs []Record) []byte {
	t.Helper()
	var e Encoder
	e.Reset(nil, testHeader(0))
	for i := range recs {
		if err := e.Append(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return e.Finish()
}

func testHeader(flags uint8) Header {
	return Header{Flags: flags, Shard: 1, Shards: 2, Partition: 3, Partitions: 8,
		Publisher: 0xABCDEF, Epoch: 1700000000123456789, FirstSeq: 42}
}

func genRecords(t testing.TB, n int, cfg GenConfig) []Record {
	t.Helper()
	g, err := NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	var out []Record
	for len(out) < n {
		b = Batch{} // fresh arena: out keeps the records
		if err := g.Next(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Recs...)
	}
	for i := range out {
		out[i].SendTS = int64(1e18) + int64(i)
		out[i].Seq = uint64(1000 + i)
	}
	return out[:n]
}

func TestRoundTrip(t *testing.T) {
	f := func(flags uint8, recs []Record) {
		t.Helper()
		var e Encoder
		h := testHeader(flags)
		e.Reset(nil, h)
		for i := range recs {
			if err := e.Append(&recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		frame := e.Finish()
		got, gh, err := DecodeFrame(frame, nil)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if gh.Count != uint32(len(recs)) || gh.Publisher != h.Publisher || gh.Epoch != h.Epoch ||
			gh.Shard != h.Shard || gh.Shards != h.Shards || gh.Partition != h.Partition || gh.Partitions != h.Partitions {
			t.Fatalf("header %+v, want %+v with count %d", gh, h, len(recs))
		}
		if len(got) != len(recs) {
			t.Fatalf("got %d records, want %d", len(got), len(recs))
		}
		for i := range recs {
			w, g := recs[i], got[i]
			wantSeq := h.FirstSeq + uint64(i)
			if flags&FlagSeq != 0 {
				wantSeq = w.Seq
			}
			if !bytes.Equal(w.Topic, g.Topic) || !bytes.Equal(w.Payload, g.Payload) || w.Kind != g.Kind ||
				w.SendTS != g.SendTS || w.SourceTS != g.SourceTS || g.Seq != wantSeq ||
				g.Shard != h.Shard || g.Partition != h.Partition || g.Publisher != h.Publisher || g.Epoch != h.Epoch {
				t.Fatalf("record %d: got %v, want %v (seq %d)", i, &g, &w, wantSeq)
			}
		}
	}
	recs := genRecords(t, 500, GenConfig{Seed: 7, VarySize: true})
	f(0, recs)
	f(FlagSeq, recs)
	f(0, recs[:1])
	f(0, nil)
	big := Record{Topic: []byte("BIG"), Payload: bytes.Repeat([]byte{7}, MaxRecordLen-RecordFixedLen-3), Kind: 'A'}
	f(0, []Record{big})
}

func TestEncoderRejectsOversize(t *testing.T) {
	var e Encoder
	e.Reset(nil, testHeader(0))
	for _, r := range []Record{
		{Topic: nil, Payload: []byte("x")},
		{Topic: bytes.Repeat([]byte("T"), 256)},
		{Topic: []byte("T"), Payload: make([]byte, MaxRecordLen)},
	} {
		if err := e.Append(&r); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Append(topic %d, payload %d) = %v, want ErrTooLarge", len(r.Topic), len(r.Payload), err)
		}
	}
	if e.Count() != 0 {
		t.Fatalf("count %d after rejected appends", e.Count())
	}
}

func TestDecodeRejects(t *testing.T) {
	recs := genRecords(t, 3, GenConfig{Seed: 1})
	good := encodeFrame(t, recs)
	f := func(name string, mutate func([]byte) []byte, wantOff int) {
		t.Helper()
		b := mutate(append([]byte(nil), good...))
		_, _, err := DecodeFrame(b, nil)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: err %v, want a FormatError", name, err)
		}
		if wantOff >= 0 && fe.Offset != wantOff {
			t.Fatalf("%s: offset %d, want %d (%v)", name, fe.Offset, wantOff, err)
		}
	}
	f("short", func(b []byte) []byte { return b[:10] }, 0)
	f("magic", func(b []byte) []byte { b[0] = 'X'; return b }, 0)
	f("version", func(b []byte) []byte { b[2] = 9; return b }, 2)
	f("flags", func(b []byte) []byte { b[3] = 0x80; return b }, 3)
	f("truncated body", func(b []byte) []byte { return b[:len(b)-1] }, 48)
	f("bit flip", func(b []byte) []byte { b[HeaderLen+30] ^= 1; return b }, 52)
	f("count", func(b []byte) []byte { b[20] = 200; return b }, 20)
	f("record length", func(b []byte) []byte {
		b[HeaderLen] = 3
		crc := crcOf(b)
		b[52], b[53], b[54], b[55] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
		return b
	}, HeaderLen)
}

func crcOf(frame []byte) uint32 {
	var e Encoder
	h, off, _ := ParseHeader(frame)
	e.Reset(nil, h)
	e.buf = append(e.buf, frame[off:]...)
	e.Finish()
	return e.hdr.CRC
}

// TestDecodeNoAlloc proves the in-place decode allocates nothing per record
// once the destination slice has grown (DESIGN: a zero-allocation claim is a test).
func TestDecodeNoAlloc(t *testing.T) {
	recs := genRecords(t, 600, GenConfig{Seed: 3})
	frame := encodeFrame(t, recs)
	dst := make([]Record, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		dst, _, err = DecodeFrame(frame, dst[:0])
		if err != nil || len(dst) != 600 {
			panic(fmt.Sprint(err, len(dst)))
		}
	})
	if allocs != 0 {
		t.Fatalf("DecodeFrame allocates %.1f times per frame, want 0", allocs)
	}
}

func TestEncodeNoAlloc(t *testing.T) {
	recs := genRecords(t, 600, GenConfig{Seed: 3})
	var e Encoder
	buf := make([]byte, 0, 128<<10)
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(buf, testHeader(0))
		for i := range recs {
			if err := e.Append(&recs[i]); err != nil {
				panic(err)
			}
		}
		e.Finish()
	})
	if allocs != 0 {
		t.Fatalf("encoding a frame allocates %.1f times, want 0", allocs)
	}
}

func TestPrefix(t *testing.T) {
	for _, p := range []uint32{0, 1, 15, 16, 255, 4096, 0xFFFF} {
		b := PartitionPrefix(nil, p)
		if len(b) != PrefixLen {
			t.Fatalf("prefix %q has length %d", b, len(b))
		}
		got, ok := ParsePrefix(b)
		if !ok || got != p {
			t.Fatalf("ParsePrefix(%q) = %d, %v; want %d", b, got, ok, p)
		}
	}
	if string(PartitionPrefix(nil, 0x1f)) != "p001f" {
		t.Fatal("prefix spelling changed: it is a wire contract")
	}
	for _, b := range []string{"", "p", "p00g0", "q0000", "p00000", "P0000"} {
		if _, ok := ParsePrefix([]byte(b)); ok {
			t.Fatalf("ParsePrefix(%q) accepted", b)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	recs := genRecords(b, 640, GenConfig{Seed: 3})
	var e Encoder
	buf := make([]byte, 0, 128<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(recs) * recs[0].WireSize(false)))
	for b.Loop() {
		e.Reset(buf, testHeader(0))
		for i := range recs {
			e.Append(&recs[i])
		}
		e.Finish()
	}
	b.ReportMetric(float64(b.N)*float64(len(recs))/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecode(b *testing.B) {
	recs := genRecords(b, 640, GenConfig{Seed: 3})
	frame := encodeFrame(b, recs)
	dst := make([]Record, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		dst, _, _ = DecodeFrame(frame, dst[:0])
	}
	b.ReportMetric(float64(b.N)*float64(len(recs))/b.Elapsed().Seconds(), "records/s")
}

func ExampleDecodeFrame() {
	var e Encoder
	e.Reset(nil, Header{Shard: 0, Shards: 1, Partition: 5, Partitions: 8, Publisher: 1, Epoch: 2, FirstSeq: 100})
	e.Append(&Record{Topic: []byte("MSFT"), Kind: KindTrade, Payload: []byte("hello")})
	e.Append(&Record{Topic: []byte("AAPL"), Kind: KindAdd, Payload: []byte("world")})
	recs, h, err := DecodeFrame(e.Finish(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Count, "records in partition", h.Partition)
	for _, r := range recs {
		fmt.Printf("%s seq=%d %c %s\n", r.Topic, r.Seq, r.Kind, r.Payload)
	}
	// Output:
	// 2 records in partition 5
	// MSFT seq=100 P hello
	// AAPL seq=101 A world
}

// TestWireDocExample keeps docs/wire.md honest: the example frame in the
// document must be exactly what the encoder writes.
func TestWireDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/wire.md")
	if err != nil {
		t.Fatal(err)
	}
	var hexBytes []byte
	in := false
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "frame 2:") {
			in = true
			line = strings.TrimPrefix(line, "frame 2:")
		}
		if !in {
			continue
		}
		if strings.HasPrefix(line, "```") {
			break
		}
		// The bytes come first; two spaces start the description.
		line, _, _ = strings.Cut(strings.TrimSpace(line), "  ")
		for _, tok := range strings.Fields(line) {
			if len(tok) != 2 {
				break
			}
			v, err := strconv.ParseUint(tok, 16, 8)
			if err != nil {
				break
			}
			hexBytes = append(hexBytes, byte(v))
		}
	}
	var e Encoder
	e.Reset(nil, Header{Shard: 1, Shards: 2, Partition: 5, Partitions: 8, Publisher: 1, Epoch: 2, FirstSeq: 100})
	e.Append(&Record{Topic: []byte("MSFT"), Kind: 'P', SendTS: 3, SourceTS: 4, Payload: []byte("hello")})
	if got := e.Finish(); !bytes.Equal(got, hexBytes) {
		t.Fatalf("docs/wire.md example differs from the encoder:\n doc % x\ncode % x", hexBytes, got)
	}
}
