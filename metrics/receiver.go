package metrics

import (
	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/pipeline"
)

// Receiver is the collectors of a pipeline.Receiver (the receiving half
// of bbox sub and bbox demo): its subscriber, with the squawks and croaks
// s counts (CountSquawks); its worker pool or dispatcher; and the
// record-age histogram over ages (the latency recorder's Visit). On a nil
// Server it is nil.
func (s *Server) Receiver(rx *pipeline.Receiver, ages func(func(*hdrhistogram.Histogram))) []prometheus.Collector {
	if s == nil {
		return nil
	}
	return []prometheus.Collector{
		Subscriber(rx.Subscriber().Stats, s.SubExtra),
		Pool(func() PoolView {
			v := PoolView{Workers: rx.WorkerStats()}
			if p := rx.Pool(); p != nil {
				v.Queued = p.Queued()
			}
			if d := rx.Dispatcher(); d != nil {
				v.Lost = d.Lost()
			}
			return v
		}),
		RecordAge(ages),
	}
}
