package workers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// batches makes n batches of per records over a few topics, with
// sequences 1.. in one partition.
func batches(n, per int) []*feed.Batch {
	var out []*feed.Batch
	seq := uint64(0)
	for i := 0; i < n; i++ {
		b := feed.GetBatch()
		for k := 0; k < per; k++ {
			seq++
			r := b.Add()
			r.Topic = []byte(fmt.Sprintf("T%d", seq%53))
			r.Payload = []byte("x")
			r.Seq, r.Partition, r.Publisher, r.Epoch, r.Kind = seq, 3, 9, 1, 'A'
		}
		out = append(out, b)
	}
	return out
}

func TestPoolSpreadsExactlyOnce(t *testing.T) {
	for _, order := range []Order{OrderNone, OrderTopic} {
		var mu sync.Mutex
		seen := map[uint64]int{}
		topicWorker := map[string]int{}
		lastSeq := map[string]uint64{}
		var bad string
		p, err := NewPool(PoolConfig{Workers: 3, Order: order, Queue: 2, NewHandler: func(id int) Handler {
			return HandlerFunc(func(recs []feed.Record) {
				time.Sleep(100 * time.Microsecond) // make queues fill so spreading matters
				mu.Lock()
				defer mu.Unlock()
				for _, r := range recs {
					seen[r.Seq]++
					if order == OrderTopic {
						if w, ok := topicWorker[string(r.Topic)]; ok && w != id {
							bad = fmt.Sprintf("topic %s on workers %d and %d", r.Topic, w, id)
						}
						topicWorker[string(r.Topic)] = id
						if r.Seq <= lastSeq[string(r.Topic)] {
							bad = fmt.Sprintf("topic %s out of order: %d after %d", r.Topic, r.Seq, lastSeq[string(r.Topic)])
						}
						lastSeq[string(r.Topic)] = r.Seq
					}
				}
			})
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range batches(300, 50) {
			p.Deliver(0, b)
		}
		p.Close()
		if bad != "" {
			t.Fatalf("order %v: %s", order, bad)
		}
		if len(seen) != 15000 {
			t.Fatalf("order %v: %d distinct records handled, want 15000", order, len(seen))
		}
		for s, n := range seen {
			if n != 1 {
				t.Fatalf("order %v: seq %d handled %d times", order, s, n)
			}
		}
		var total int64
		for _, w := range p.Stats() {
			if w.Records == 0 {
				t.Fatalf("order %v: worker %d idle: %+v", order, w.ID, p.Stats())
			}
			total += w.Records
		}
		if total != 15000 {
			t.Fatalf("order %v: workers count %d records", order, total)
		}
	}
}

func TestPoolAbortDropsStaleWork(t *testing.T) {
	release := make(chan struct{})
	var handled atomic.Int64
	entered := make(chan struct{}, 1) // the first batch is in the handler
	p, _ := NewPool(PoolConfig{Workers: 1, Queue: 1, NewHandler: func(int) Handler {
		return HandlerFunc(func(recs []feed.Record) {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
			handled.Add(int64(len(recs)))
		})
	}})
	bs := batches(5, 10)
	done := make(chan struct{})
	go func() {
		for _, b := range bs {
			p.Deliver(0, b) // blocks: one in the handler, one queued, the rest wait
		}
		close(done)
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first batch never reached the handler")
	}
	p.Abort()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Abort did not release a blocked Deliver")
	}
	close(release)
	p.Close()
	if n := handled.Load(); n != 10 {
		t.Fatalf("%d records handled after Abort, want only the batch already in the handler (10)", n)
	}
	// Every record delivered is handled or lost, exactly.
	if p.Handled() != 10 || p.Lost() != 40 || p.Handed() > 50 {
		t.Fatalf("handled %d, lost %d, handed %d; want 10 handled and 40 lost of 50", p.Handled(), p.Lost(), p.Handed())
	}
	var sum int64
	for _, w := range p.Stats() {
		sum += w.Handled + w.Lost
	}
	if sum+p.discarded.Load() != 50 {
		t.Fatalf("per-worker handled+lost %d + discarded %d != 50", sum, p.discarded.Load())
	}
}

func TestPushToWorkerProcesses(t *testing.T) {
	for _, order := range []Order{OrderNone, OrderTopic} {
		t.Run(fmt.Sprint("order=", order), func(t *testing.T) { testPushToWorkers(t, order) })
	}
}

func testPushToWorkers(t *testing.T, order Order) {
	d, err := NewPushDispatcher(PushConfig{Bind: "tcp://127.0.0.1:0", Order: order, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var taps [2]bytes.Buffer
	var ws []*Worker
	var wg sync.WaitGroup
	for i := range taps {
		w, err := NewWorker(WorkerConfig{Connect: []string{d.Endpoint()}, ExitOnEOS: true, Tap: NewTap(&taps[i])}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	waitCredit(t, d, 2)
	for _, b := range batches(200, 25) {
		d.Deliver(0, b)
	}
	d.Close()
	wg.Wait()
	seen := map[string]int{}
	for i := range taps {
		if taps[i].Len() == 0 {
			t.Fatalf("worker %d got nothing: no load spreading", i)
		}
		sc := bufio.NewScanner(&taps[i])
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			seen[f[4]]++
		}
	}
	if len(seen) != 5000 {
		t.Fatalf("%d distinct records reached workers, want 5000", len(seen))
	}
	for s, n := range seen {
		if n != 1 {
			t.Fatalf("seq %s reached %d workers", s, n)
		}
	}
	if ws[0].Stats().EOS != 1 || ws[1].Stats().EOS != 1 {
		t.Fatal("workers did not see end-of-stream")
	}
	var handled int64
	for _, w := range d.Stats() {
		handled += w.Handled
		if w.State != stateFinished || w.Handled != w.Records {
			t.Fatalf("worker %+v: want finished with everything acknowledged", w)
		}
	}
	if handled != 5000 || d.Handled() != 5000 || d.Lost() != 0 {
		t.Fatalf("acknowledged %d of 5000, lost %d", handled, d.Lost())
	}
}
