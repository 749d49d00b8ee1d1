package zmqx_test

import (
	"context"
	"fmt"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// A PUB side with one Writer per connection: frames are shared by
// reference, the writer goroutine writes them, and OnClose says what the
// peer never got and why.
func ExampleWriter() {
	ep, _ := zmqx.ParseEndpoint("tcp://127.0.0.1:0")
	ln, err := zmqx.Listen(ep, zmqx.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	writers := make(chan *zmqx.Writer, 1)
	closed := make(chan zmqx.CloseInfo, 1)
	go ln.Serve(zmq4.Pub, func(p *zmqx.Peer) {
		w, _ := zmqx.NewWriter(p, zmqx.WriterConfig{MaxBytes: 1 << 20, Full: zmqx.FullDrop,
			OnClose: func(ci zmqx.CloseInfo) { closed <- ci }})
		writers <- w
		go func() { // the one reader: subscriptions, hang-ups (and PINGs, for the writer)
			for {
				if _, err := p.RecvMsg(); err != nil {
					w.Close(zmqx.ReadCloseReason(err))
					return
				}
			}
		}()
	})

	dep, _ := zmqx.ParseEndpoint(ln.Endpoint())
	sub, err := zmqx.Dial(context.Background(), dep, zmq4.Sub, zmqx.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := <-writers
	for i := 0; i < 3; i++ {
		f := zmqx.NewFrame([]byte("p0"), []byte(fmt.Sprintf("batch %d", i)), 10)
		w.Send(f)
		f.Unref() // the writer holds its own reference until written
	}
	for i := 0; i < 3; i++ {
		m, _ := sub.RecvMsg()
		fmt.Printf("%s %s\n", m.Frames[0], m.Frames[1])
	}
	w.Drain(context.Background())
	w.Close(zmqx.Shutdown, "publisher closed")
	ci := <-closed
	fmt.Printf("%s: written %d frames, %d records; discarded %d\n", ci, ci.Stats.Written.Frames, ci.Stats.Written.Records, ci.Discarded.Frames)
	sub.Close()
	// Output:
	// p0 batch 0
	// p0 batch 1
	// p0 batch 2
	// closed: publisher closed: written 3 frames, 30 records; discarded 0
}
