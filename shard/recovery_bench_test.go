package shard

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// BenchmarkRewindThroughput measures the max-rate throughput (records/s
// received by one subscriber, in-process over loopback) with the rewind
// window off and on, in interleaved rounds of the same run, and the heap
// in use once the window is full.
//
//	go test -run XXX -bench RewindThroughput -benchtime 1x ./shard
func BenchmarkRewindThroughput(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var off, on []float64
		var heap uint64
		for round := 0; round < 3; round++ {
			off = append(off, rewindRun(b, -1, 2*time.Second, nil))
			on = append(on, rewindRun(b, 64<<20, 2*time.Second, &heap))
		}
		mo, mn := median(off), median(on)
		b.ReportMetric(mo, "rps_window_off")
		b.ReportMetric(mn, "rps_window_on")
		b.ReportMetric(mn/mo, "on/off")
		b.ReportMetric(float64(heap)/(1<<20), "heap_MiB_window_64MiB_full")
		fmt.Printf("max rate: window off %.0f rec/s, on (64 MiB) %.0f rec/s, ratio %.3f; heap with the window full %.0f MiB (rounds off %v on %v)\n",
			mo, mn, mn/mo, float64(heap)/(1<<20), off, on)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func rewindRun(b *testing.B, rewind int64, window time.Duration, heap *uint64) float64 {
	pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Rewind: rewind})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints()}, sinkFunc(func(_ int, bt *feed.Batch) { feed.PutBatch(bt) }))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sub.Run(ctx)
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		b.Fatal(err)
	}
	gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 1, Cycle: feed.DefaultCycle})
	go pub.Run(ctx, gen)
	time.Sleep(500 * time.Millisecond)
	n0, t0 := sub.Stats().Received, time.Now()
	time.Sleep(window)
	rps := float64(sub.Stats().Received-n0) / time.Since(t0).Seconds()
	if heap != nil {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		*heap = max(*heap, ms.HeapInuse)
	}
	return rps
}

// BenchmarkRecoveryRate measures how fast a late joiner recovers a
// million records from the window (records/s, from its first request to
// the last record handed over).
//
//	go test -run XXX -bench RecoveryRate -benchtime 1x ./shard
func BenchmarkRecoveryRate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		pub, err := NewPublisher(PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Partitions: 4})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		const n = 1000000
		gen, _ := feed.NewGenerator(feed.GenConfig{Seed: 2, Records: n, Cycle: feed.DefaultCycle})
		if err := pub.Run(ctx, gen); err != nil {
			b.Fatal(err)
		}
		sink := newOrdered()
		sub, err := NewSubscriber(SubConfig{Connect: pub.Endpoints(), RecoveryConnect: pub.RecoveryEndpoints(), Recover: RecoverWindow,
			JoinFrom: 1}, sink)
		if err != nil {
			b.Fatal(err)
		}
		go sub.Run(ctx)
		for st := sub.Stats(); st.Recovered+st.Unrecoverable < n && ctx.Err() == nil; st = sub.Stats() {
			time.Sleep(time.Millisecond)
		}
		st := sub.Stats()
		secs := float64(st.RecoveryMaxNs) / 1e9
		b.ReportMetric(float64(st.Recovered)/secs, "recovered_rps")
		fmt.Printf("recovered %d records in %.2fs from the first gap to the last hand-over: %.0f records/s (%d requests)\n",
			st.Recovered, secs, float64(st.Recovered)/secs, st.RecoveryRequests)
		cancel()
		pub.Close()
	}
}
