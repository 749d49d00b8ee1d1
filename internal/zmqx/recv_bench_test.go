package zmqx

import (
	"bytes"
	"testing"
)

// BenchmarkRecvMessage reads two-frame messages ([prefix][300-byte
// batch], a subscriber's shape) out of the read-ahead buffer: the cost
// of the receive path itself, without a socket.
func BenchmarkRecvMessage(b *testing.B) { benchRecv(b, 1024, false) }

// BenchmarkRecvBuffered is BenchmarkRecvMessage as a subscriber's read
// loop does it: MessageBuffered looks at the next message before
// RecvMessage takes it, so its headers are parsed once, not twice.
func BenchmarkRecvBuffered(b *testing.B) { benchRecv(b, 512, true) } // 512 fit the 256 KiB read-ahead

func benchRecv(b *testing.B, per int, look bool) {
	msg := append(frame(true, false, []byte("p0000")), frame(false, false, bytes.Repeat([]byte("x"), 300))...)
	data := bytes.Repeat(msg, per)
	var scratch [64]byte
	body := make([]byte, 300)
	alloc := func(i, n int) []byte {
		if i == 0 {
			return scratch[:n]
		}
		return body[:n]
	}
	var frames [][]byte
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i += per {
		b.StopTimer()
		p := peerOver(data)
		b.StartTimer()
		for range min(per, b.N-i) {
			if look {
				if size, ok := p.MessageBuffered(); !ok || size != 305 {
					b.Fatalf("MessageBuffered %d, %v", size, ok)
				}
			}
			var err error
			if frames, _, err = p.RecvMessage(frames[:0], alloc); err != nil || len(frames) != 2 {
				b.Fatal(err)
			}
		}
	}
}
