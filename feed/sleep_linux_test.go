//go:build linux

package feed

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPreciseSleep is what one paced wake-up costs on this box: the
// wall time a 40µs preciseSleep really takes and the CPU the process is
// charged for it (rusage). On a virtual machine the second is the floor
// under any paced sender's CPU per record: a sender releasing a chunk
// every ~50µs pays it 20,000 times a second. For finding costs; figures
// go in notes, not assertions.
func BenchmarkPreciseSleep(b *testing.B) {
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	t0 := time.Now()
	for range b.N {
		preciseSleep(40 * time.Microsecond)
	}
	wall := time.Since(t0)
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano()
	b.ReportMetric(float64(wall.Microseconds())/float64(b.N), "wall-µs/sleep")
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/sleep")
}

// BenchmarkPacedLateness is how late the paced generator alone, in a
// process doing nothing else, hands out records against their schedule
// at 100,000 a second: the floor under any latency measured from the
// schedule (bbox bench --mode process, --latency-from schedule), for bbox
// and the plain-TCP baseline alike. On this box it moves with the host's
// load (p99 0.16–1.4 ms within one hour). b.N is records.
func BenchmarkPacedLateness(b *testing.B) {
	g, err := NewGenerator(GenConfig{Rate: 100_000, Records: int64(b.N)})
	if err != nil {
		b.Fatal(err)
	}
	late := make([]int64, 0, b.N)
	var bt Batch
	for {
		bt.Reset()
		err := g.Next(context.Background(), &bt)
		now := time.Now().UnixNano()
		for i := range bt.Recs {
			late = append(late, now-bt.Recs[i].SourceTS)
		}
		if err != nil {
			break
		}
	}
	if len(late) == 0 {
		return
	}
	slices.Sort(late)
	at := func(q float64) float64 { return float64(late[int(q*float64(len(late)-1))]) / 1e3 }
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(at(0.999), "p99.9-µs")
}
