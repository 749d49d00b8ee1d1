//go:build linux

package feed

import (
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
