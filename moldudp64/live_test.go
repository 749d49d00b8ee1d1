package moldudp64

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs f on a thread moved into a fresh network namespace whose
// loopback carries multicast, so sockets f creates live there (they keep
// working from other threads). The namespace is deleted afterwards.
func inNetns(t testing.TB, f func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	name := fmt.Sprintf("mold-unit-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	for _, args := range [][]string{{"netns", "add", name}, {"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "link", "set", "lo", "multicast", "on"}, {"-n", name, "route", "add", "224.0.0.0/4", "dev", "lo"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("ip %v: %v %s", args, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		orig, _ := os.Open("/proc/thread-self/ns/net")
		defer orig.Close()
		ns, err := os.Open("/var/run/netns/" + name)
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		f()
	}()
	<-done
}

func TestLiveABRewindAndLoss(t *testing.T) {
	const total = 20000
	var snd *Sender
	var withRewind, without *Receiver
	a := Line{Group: netip.MustParseAddrPort("239.1.1.1:30001"), NIC: "lo"}
	b := Line{Group: netip.MustParseAddrPort("239.1.1.2:30001"), NIC: "lo"}
	inNetns(t, func() {
		var err error
		snd, err = NewSender(SenderConfig{Session: MakeSession("UNIT"), Lines: []Line{a, b}, Rewind: "127.0.0.1:0",
			Drop: [2]float64{0.2, 0.2}, DropSeed: 3, Heartbeat: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if withRewind, err = NewReceiver(ReceiverConfig{Lines: []Line{a, b}, Rewind: snd.RewindAddr()}); err != nil {
			t.Fatal(err)
		}
		if without, err = NewReceiver(ReceiverConfig{Lines: []Line{a, b}}); err != nil {
			t.Fatal(err)
		}
	})
	if t.Failed() {
		return
	}
	defer snd.Close()
	defer withRewind.Close()
	defer without.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type result struct {
		seqs []uint64
		err  error
	}
	run := func(r *Receiver) chan result {
		ch := make(chan result, 1)
		go func() {
			var res result
			for {
				err := r.Next(ctx, func(q uint64, m []byte) {
					if binary.BigEndian.Uint64(m) != q {
						panic("message does not carry its sequence")
					}
					res.seqs = append(res.seqs, q)
				})
				if err != nil {
					res.err = err
					ch <- res
					return
				}
			}
		}()
		return ch
	}
	rc, nc := run(withRewind), run(without)
	time.Sleep(50 * time.Millisecond) // the receivers have joined; a heartbeat has gone out
	for q := uint64(1); q <= total; q++ {
		var m [24]byte
		binary.BigEndian.PutUint64(m[:], q)
		snd.Send([][]byte{m[:]})
		if q%200 == 0 {
			snd.Flush()
			time.Sleep(time.Millisecond) // stay within what a loaded 2-core box drains
		}
	}
	if err := snd.End(ctx, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rr, nr := <-rc, <-nc
	st := snd.Stats()
	if rr.err != io.EOF || nr.err != io.EOF {
		t.Fatalf("receivers ended with %v / %v", rr.err, nr.err)
	}
	for i, q := range rr.seqs {
		if q != uint64(i)+1 {
			t.Fatalf("with rewind: delivery %d is seq %d", i, q)
		}
	}
	rs, ns := withRewind.Stats(), without.Stats()
	if len(rr.seqs) != total || rs.Lost != 0 || rs.Recovered != st.DroppedBoth {
		t.Errorf("with rewind: %d delivered, lost %d, recovered %d (sender dropped %d on both lines)\n%+v", len(rr.seqs), rs.Lost, rs.Recovered, st.DroppedBoth, rs)
	}
	if st.DroppedBoth == 0 || ns.Lost != st.DroppedBoth || int64(len(nr.seqs))+ns.Lost != total {
		t.Errorf("without rewind: %d delivered, lost %d; sender dropped %d on both lines\n%+v", len(nr.seqs), ns.Lost, st.DroppedBoth, ns)
	}
	for i, l := range ns.Lines {
		if got := l.Packets - l.Heartbeats; got != st.Lines[i] {
			t.Errorf("line %s: %d data packets, the sender sent %d", l.Name, got, st.Lines[i])
		}
		if l.Missed != l.Recovered+l.Lost {
			t.Errorf("line %s: missed %d ≠ recovered %d + lost %d", l.Name, l.Missed, l.Recovered, l.Lost)
		}
	}
	t.Logf("sender %+v\nrewind receiver %+v\nplain receiver %+v", st, rs, ns)
}

// BenchmarkSendReceive: messages/s from a Sender through loopback
// multicast into a Receiver, one line, 40-byte messages (ITCH-sized);
// lost messages are reported (a benchmark never fails on load).
func BenchmarkSendReceive(b *testing.B) {
	var snd *Sender
	var rx *Receiver
	l := Line{Group: netip.MustParseAddrPort("239.1.1.9:30009"), NIC: "lo"}
	inNetns(b, func() {
		var err error
		if snd, err = NewSender(SenderConfig{Session: MakeSession("BENCH"), Lines: []Line{l}}); err != nil {
			b.Error(err)
			return
		}
		if rx, err = NewReceiver(ReceiverConfig{Lines: []Line{l}, RcvBuf: 32 << 20}); err != nil {
			b.Error(err)
		}
	})
	if snd == nil || rx == nil {
		b.Skip("no network namespace")
	}
	defer snd.Close()
	defer rx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := make(chan int64, 1)
	go func() {
		var n int64
		for rx.Next(ctx, func(uint64, []byte) { n++ }) == nil {
		}
		got <- n
	}()
	msgs := make([][]byte, 64)
	for i := range msgs {
		msgs[i] = make([]byte, 40)
	}
	b.SetBytes(40)
	b.ResetTimer()
	for i := 0; i < b.N; i += len(msgs) {
		snd.Send(msgs[:min(len(msgs), b.N-i)])
	}
	snd.End(ctx, 0)
	n := <-got
	b.StopTimer()
	st := rx.Stats()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "delivered/s")
	b.ReportMetric(float64(st.Lost), "lost")
}
