package exchange

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
)

// BenchmarkITCHFileSource: records/s a NASDAQ file yields at --speed max
// (framing, checks, attribution, copies into batches), the ceiling of
// bbox replay FILE.itch before the engine.
func BenchmarkITCHFileSource(b *testing.B) {
	benchSource(b, "01302019.NASDAQ_ITCH50", func(p string) { WriteITCH(p, itch.GenConfig{Symbols: 500, Messages: 200000}, false) })
}

// BenchmarkPcapSource: the same day as MoldUDP64 on A and B lines in a
// pcap (decode, arbitration, framing).
func BenchmarkPcapSource(b *testing.B) {
	benchSource(b, "day.pcap", func(p string) { WritePcap(p, PcapConfig{Gen: itch.GenConfig{Symbols: 500, Messages: 200000}}) })
}

func benchSource(b *testing.B, name string, write func(string)) {
	p := filepath.Join(b.TempDir(), name)
	write(p)
	b.ReportAllocs()
	b.ResetTimer()
	var recs, bytes int64
	for i := 0; i < b.N; i++ {
		in := Input{Path: p}
		Detect(&in)
		s, err := NewSource(Config{Inputs: []Input{in}})
		if err != nil {
			b.Fatal(err)
		}
		var batch feed.Batch
		for {
			batch.Reset()
			err := s.Next(context.Background(), &batch)
			recs += int64(batch.Len())
			for j := range batch.Recs {
				bytes += int64(len(batch.Recs[j].Payload))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
	b.SetBytes(bytes / int64(b.N))
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "records/s")
}
