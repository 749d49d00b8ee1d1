package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/workers"
)

// PoolView is a worker pool's state at one scrape: in-process
// (workers.Pool) or worker processes behind a dispatcher
// (workers.PushDispatcher).
type PoolView struct {
	Workers []workers.WorkerStats
	Queued  int   // batches waiting for a worker (in-process pools)
	Lost    int64 // records that may not have reached any worker
}

var workerL = []string{"worker"}

// Pool collects a worker pool's counters from view at each scrape.
func Pool(view func() PoolView) prometheus.Collector {
	perWorker := func(name, help string, f func(w *workers.WorkerStats) int64) family[PoolView] {
		return labelled(name, help, prometheus.CounterValue, workerL, func(v *PoolView, e emit) {
			for i := range v.Workers {
				e(float64(f(&v.Workers[i])), itoa(v.Workers[i].ID))
			}
		})
	}
	return newSnapCollector(view, nil, []family[PoolView]{
		perWorker("worker_records_total", "Records handed to the worker (workers.WorkerStats.Records).", func(w *workers.WorkerStats) int64 { return w.Records }),
		perWorker("worker_batches_total", "Batches handed to the worker.", func(w *workers.WorkerStats) int64 { return w.Batches }),
		gauge("worker_queue_batches", "Batches waiting for a worker.", func(v *PoolView) float64 { return float64(v.Queued) }),
		counter("worker_dispatch_records_lost_total", "Records that may not have reached a worker (a worker left with data in flight).", func(v *PoolView) int64 { return v.Lost }),
	})
}

// WorkerProcess collects a `bbox worker` process's counters.
func WorkerProcess(stats func() workers.WorkerProcStats) prometheus.Collector {
	return newSnapCollector(stats, nil, []family[workers.WorkerProcStats]{
		counter("worker_process_records_total", "Records this worker process handled.", func(s *workers.WorkerProcStats) int64 { return s.Records }),
		counter("worker_process_batches_total", "Batches this worker process handled.", func(s *workers.WorkerProcStats) int64 { return s.Batches }),
		counter("worker_process_frames_malformed_total", "Frames from subscribers that failed to decode.", func(s *workers.WorkerProcStats) int64 { return s.Malformed }),
		counter("worker_process_eos_total", "End-of-stream messages received.", func(s *workers.WorkerProcStats) int64 { return s.EOS }),
	})
}
