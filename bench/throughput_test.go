package bench

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkThroughput runs the two baselines and bbox in one invocation and
// prints bbox's ratio to each (DESIGN.md: targets are ratios against a
// baseline measured in the same run, never absolute numbers).
//
//	go test -run XXX -bench Throughput ./bench
func BenchmarkThroughput(b *testing.B) {
	recs := Records(4096, 100, 1)
	res := map[string]float64{}
	run := func(name string, n int64, f func() (Throughput, error)) {
		b.Run(name, func(b *testing.B) {
			var total Throughput
			for i := 0; i < b.N; i++ {
				t, err := f()
				if err != nil {
					b.Fatal(err)
				}
				total.Records += t.Records
				total.Elapsed += t.Elapsed
			}
			rps := float64(total.Records) / total.Elapsed.Seconds()
			res[name] = rps
			b.ReportMetric(rps, "records/s")
			b.ReportMetric(0, "ns/op")
		})
	}
	const n = 2_000_000
	run("tcp", n, func() (Throughput, error) { return TCPBaseline(recs, n) })
	run("zmq4", n/10, func() (Throughput, error) { return ZMQ4Baseline(recs, n/10) })
	run("bbox", n, func() (Throughput, error) { return PipelineThroughput(recs, n, PipelineConfig{Shards: 1}) })
	run("bbox-2shards-2workers", n, func() (Throughput, error) {
		return PipelineThroughput(recs, n, PipelineConfig{Shards: 2, Workers: 2})
	})
	if res["tcp"] > 0 && res["zmq4"] > 0 {
		for _, k := range []string{"bbox", "bbox-2shards-2workers"} {
			fmt.Fprintf(os.Stdout, "ratio %-22s vs plain TCP %.2fx, vs naive zmq4 %.1fx (tcp %.2fM, zmq4 %.2fM, %s %.2fM records/s)\n",
				k, res[k]/res["tcp"], res[k]/res["zmq4"], res["tcp"]/1e6, res["zmq4"]/1e6, k, res[k]/1e6)
		}
	}
}
