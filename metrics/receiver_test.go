package metrics

import (
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bbox-dev/bbox/pipeline"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/workers"
)

// TestReceiver: a receiver's subscriber, pool and record-age collectors
// register and are served; a nil Server has none.
func TestReceiver(t *testing.T) {
	rx, err := pipeline.NewReceiver(pipeline.ReceiverConfig{Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}},
		Pool: workers.PoolConfig{Workers: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	ages := func(f func(*hdrhistogram.Histogram)) {
		h := hdrhistogram.New(1, 1e9, 3)
		h.RecordValue(1500)
		f(h)
	}
	var nilSrv *Server
	if cs := nilSrv.Receiver(rx, ages); cs != nil {
		t.Errorf("nil Server: %d collectors", len(cs))
	}
	s, err := Serve(ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range s.Receiver(rx, ages) {
		if err := s.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	_, body := get(t, "http://"+s.Addr()+"/metrics")
	for _, want := range []string{"bbox_sub_records_received_total", `bbox_worker_records_total{worker="1"} 0`, "bbox_worker_queue_batches 0", "bbox_sub_record_age_seconds_count 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in:\n%s", want, body)
		}
	}
}
