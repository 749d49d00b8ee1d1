package zmqx

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestWriterPushDeliversEveryRound: rounds of Hold then Push (as the
// publisher does), mixed with Sends, into small socket buffers and a
// reader that pauses now and then, so Push writes are sometimes whole,
// sometimes short (finished by the writer goroutine) and sometimes find
// the goroutine awake. Every round must reach the peer without another
// Push or Send — a frame left queued with the writer asleep would wait
// for the next round — and in order, each counted once.
func TestWriterPushDeliversEveryRound(t *testing.T) {
	p, raw, br := rawPair(t, true)
	w, err := NewWriter(p, WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	type msg struct{ prefix, body []byte }
	got := make(chan msg, 1<<16)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		var cur [][]byte
		for {
			if rng.IntN(50) == 0 {
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			}
			flags, body, err := readPart(br)
			if err != nil {
				close(got)
				return
			}
			cur = append(cur, body)
			if flags&0x01 == 0 {
				got <- msg{cur[0], cur[len(cur)-1]}
				cur = nil
			}
		}
	}()
	sizes := []int{4, 255, 256, 600, 3000, 70000}
	rng := rand.New(rand.NewPCG(3, 4))
	sent := 0
	for round := 0; round < 400; round++ {
		for k := rng.IntN(5); k >= 0; k-- {
			f := testFrame(sent, sizes[rng.IntN(len(sizes))])
			var r SendResult
			if rng.IntN(8) == 0 {
				r = w.Send(f)
			} else {
				r = w.Hold(f)
			}
			if r != Queued {
				t.Fatalf("frame %d: %v", sent, r)
			}
			f.Unref()
			sent++
		}
		w.Push()
		deadline := time.Now().Add(10 * time.Second)
		for w.Stats().Written.Frames < int64(sent) {
			if time.Now().After(deadline) {
				st := w.Stats()
				t.Fatalf("round %d: %d of %d frames written, %d queued: a round waits for the next", round, st.Written.Frames, sent, st.QueuedFrames)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	w.Close(Shutdown, "test done")
	waitDone(t, w)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	i := 0
	for m := range got {
		want := testFrame(i, len(m.body))
		if !bytes.Equal(m.prefix, want.Prefix) || !bytes.Equal(m.body, want.Body) {
			t.Fatalf("message %d: prefix %q, body of %d bytes is not frame %d", i, m.prefix, len(m.body), i)
		}
		i++
	}
	st := w.Stats()
	if i != sent || st.Written.Frames != int64(sent) || st.Discarded.Frames != 0 || st.QueuedFrames != 0 {
		t.Fatalf("received %d of %d; stats %+v", i, sent, st)
	}
}
