package replay

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"

	"github.com/bbox-dev/bbox/feed"
)

// Digest is an order-independent checksum of records over (topic,
// sequence, payload): the sum, mod 2^64, of each record's
// CRC-32C(m)<<32 | CRC-32-IEEE(m), m = topic ‖ seq (u64 LE) ‖ payload.
// Records recorded from several shard threads interleave differently on
// every run; the digest does not care, yet a changed, lost or duplicated
// record changes it. The zero value is ready to use.
type Digest struct {
	sum uint64
	seq [8]byte // scratch: a local array would escape to the heap on every Add
}

// Add adds r to the digest.
func (d *Digest) Add(r *feed.Record) {
	seq := d.seq[:]
	binary.LittleEndian.PutUint64(seq, r.Seq)
	c := crc32.Update(crc32.Update(crc(r.Topic), castagnoli, seq), castagnoli, r.Payload)
	i := crc32.Update(crc32.Update(crc32.ChecksumIEEE(r.Topic), crc32.IEEETable, seq), crc32.IEEETable, r.Payload)
	d.sum += uint64(c)<<32 | uint64(i)
}

// Sum is the digest so far.
func (d *Digest) Sum() uint64 { return d.sum }

// Report describes capture files read whole: what Inspect returns and
// `bbox inspect --json` prints.
type Report struct {
	Files           []FileReport     `json:"files"`
	Records         int64            `json:"records"`
	Symbols         int              `json:"symbols"`
	FirstTS         int64            `json:"first_ts"`
	LastTS          int64            `json:"last_ts"`
	Bytes           int64            `json:"bytes"`            // the records' wire size
	CompressedBytes int64            `json:"compressed_bytes"` // the files' size on disk
	RawBytes        int64            `json:"raw_bytes"`        // the chunks' uncompressed sections
	Ratio           float64          `json:"compression_ratio"`
	Chunks          int              `json:"chunks"`
	ChunksOK        int              `json:"chunks_ok"`
	ChunksDamaged   int              `json:"chunks_damaged"`
	ChunksDuplicate int              `json:"chunks_duplicate"`    // copies of earlier chunks, not counted in records
	ChunksOrder     int              `json:"chunks_out_of_order"` // chunks whose number is out of place, not counted in records
	ChunksMissing   int64            `json:"chunks_missing"`      // chunk numbers absent from the files
	Health          string           `json:"health"`              // "ok", "unclosed" (no index, nothing lost) or "damaged"
	Problems        []FileProblem    `json:"problems"`
	RecordsLost     int64            `json:"records_lost"`      // in damaged or misplaced chunks, as far as their headers tell
	RecordsDup      int64            `json:"records_duplicate"` // in duplicated chunks: not counted twice in records
	RatePerMinute   RateStats        `json:"rate_per_minute"`
	Kinds           map[string]int64 `json:"kinds"`
	TopSymbols      []TopicCount     `json:"top_symbols"`
	Sequences       SeqReport        `json:"sequences"`
	Checksum        string           `json:"checksum"` // Digest over every readable record, hex
}

// FileReport is one file of a Report.
type FileReport struct {
	Name    string            `json:"name"`
	Bytes   int64             `json:"bytes"`
	Indexed bool              `json:"indexed"`
	Chunks  int               `json:"chunks"`
	Created int64             `json:"created"`
	Meta    map[string]string `json:"meta"`
}

// FileProblem is a Problem and the file it is in.
type FileProblem struct {
	File string `json:"file"`
	Problem
}

// RateStats are records per minute over the span of the capture (UTC
// minute boundaries, which are minute boundaries in every zone in use).
type RateStats struct {
	StartTS int64   `json:"start_ts"` // the first minute's start
	Mean    float64 `json:"mean"`
	Peak    int64   `json:"peak"`
	PeakTS  int64   `json:"peak_ts"`
	Min     int64   `json:"min"`
	MinTS   int64   `json:"min_ts"`
	Minutes []int64 `json:"minutes"` // records in each minute from StartTS
}

// SeqReport checks sequence numbers per (publisher, epoch, partition): a
// recording of a healthy stream is contiguous.
type SeqReport struct {
	Sequenced  bool  `json:"sequenced"` // false: records carry no sequences (bbox gen)
	Streams    int   `json:"streams"`
	Gaps       int64 `json:"gaps"`
	Missing    int64 `json:"missing"`
	OutOfOrder int64 `json:"out_of_order"` // repeated or backwards sequences
	JoinedLate int64 `json:"joined_late"`  // streams whose first record is not sequence 1
}

type seqKey struct {
	pub, epoch uint64
	part       uint32
}

// maxMinutes bounds the per-minute table (about two years).
const maxMinutes = 1 << 20

// Inspect reads every chunk of the files, carrying on past damage, and
// describes them; top is how many of the busiest symbols to list.
func Inspect(files []*Reader, top int) (*Report, error) {
	rep := &Report{Problems: []FileProblem{}, Kinds: map[string]int64{}, TopSymbols: []TopicCount{}}
	first, last := int64(0), int64(0)
	for _, r := range files {
		for _, c := range r.Chunks() {
			if rep.Chunks == 0 || c.FirstTS < first {
				first = c.FirstTS
			}
			if rep.Chunks == 0 || c.LastTS > last {
				last = c.LastTS
			}
			rep.Chunks++
		}
	}
	var minutes []int64
	start := first - ((first%60e9)+60e9)%60e9
	if rep.Chunks > 0 && (last-start)/60e9 < maxMinutes {
		minutes = make([]int64, (last-start)/60e9+1)
	}
	counts := map[string]int64{}
	seqs := map[seqKey]uint64{}
	var kinds [256]int64
	var dig Digest
	var c Chunk
	var offs []uint32
	var tcount []int64 // per topic index of the chunk
	var rec feed.Record
	for _, r := range files {
		rep.Files = append(rep.Files, FileReport{Name: r.Name(), Bytes: r.Size(), Indexed: r.Indexed(), Chunks: len(r.Chunks()),
			Created: r.Header().Created, Meta: r.Header().Meta})
		rep.CompressedBytes += r.Size()
		for _, p := range r.Problems() {
			rep.Problems = append(rep.Problems, FileProblem{File: r.Name(), Problem: p})
			if n := p.Lost(); n > 0 {
				rep.RecordsLost += n
			}
			switch p.Kind {
			case KindCorrupt:
				rep.ChunksDamaged++
			case KindDuplicate:
				rep.ChunksDuplicate++
				rep.RecordsDup += p.Records
			case KindOrder:
				rep.ChunksOrder++
			case KindMissing:
				rep.ChunksMissing += p.MissingChunks
			}
		}
		for _, info := range r.Chunks() {
			err := r.ReadChunk(info, &c)
			if err == nil {
				offs, err = c.Index(offs[:0], nil)
			}
			if err != nil {
				rep.Problems = append(rep.Problems, FileProblem{File: r.Name(), Problem: chunkProblem(info, err)})
				rep.ChunksDamaged++
				rep.RecordsLost += int64(info.Records)
				continue
			}
			rep.ChunksOK++
			rep.Bytes += int64(info.WireBytes)
			rep.RawBytes += int64(info.DictRaw) + int64(info.RecordsRaw)
			tcount = append(tcount[:0], make([]int64, len(c.topics))...)
			for _, off := range offs {
				c.Record(off, &rec)
				rep.Records++
				tcount[c.topic(off)]++
				kinds[rec.Kind]++
				dig.Add(&rec)
				if minutes != nil {
					minutes[(rec.SourceTS-start)/60e9]++
				}
				if rec.Seq == 0 {
					continue
				}
				k := seqKey{rec.Publisher, rec.Epoch, rec.Partition}
				prev, ok := seqs[k]
				switch {
				case !ok:
					if rec.Seq > 1 {
						rep.Sequences.JoinedLate++
					}
				case rec.Seq == prev+1:
				case rec.Seq > prev+1:
					rep.Sequences.Gaps++
					rep.Sequences.Missing += int64(rec.Seq - prev - 1)
				default:
					rep.Sequences.OutOfOrder++
				}
				seqs[k] = max(prev, rec.Seq)
			}
			// Counted by topic index, then one map update per topic of the chunk.
			for ti, n := range tcount {
				if n > 0 {
					counts[string(c.topics[ti])] += n
				}
			}
		}
	}
	rep.Symbols = len(counts)
	rep.FirstTS, rep.LastTS = first, last
	if rep.CompressedBytes > 0 {
		rep.Ratio = float64(rep.Bytes) / float64(rep.CompressedBytes)
	}
	rep.Sequences.Sequenced = len(seqs) > 0
	rep.Sequences.Streams = len(seqs)
	rep.Checksum = fmt.Sprintf("%016x", dig.Sum())
	for k, n := range kinds {
		if n > 0 {
			rep.Kinds[string(rune(k))] = n
		}
	}
	for t, n := range counts {
		rep.TopSymbols = append(rep.TopSymbols, TopicCount{t, n})
	}
	sort.Slice(rep.TopSymbols, func(i, j int) bool {
		a, b := rep.TopSymbols[i], rep.TopSymbols[j]
		return a.Records > b.Records || a.Records == b.Records && a.Topic < b.Topic
	})
	rep.TopSymbols = rep.TopSymbols[:min(top, len(rep.TopSymbols))]
	if minutes != nil {
		rs := RateStats{StartTS: start, Minutes: minutes, Mean: float64(rep.Records) / float64(len(minutes)), Min: -1}
		for i, n := range minutes {
			if n > rs.Peak {
				rs.Peak, rs.PeakTS = n, start+int64(i)*60e9
			}
			if rs.Min < 0 || n < rs.Min {
				rs.Min, rs.MinTS = n, start+int64(i)*60e9
			}
		}
		rep.RatePerMinute = rs
	} else {
		rep.RatePerMinute.Minutes = []int64{}
	}
	rep.Health = "ok"
	for _, f := range rep.Files {
		if !f.Indexed {
			rep.Health = "unclosed"
		}
	}
	for _, p := range rep.Problems {
		if p.Kind != KindIndex {
			rep.Health = "damaged"
		}
	}
	return rep, nil
}
