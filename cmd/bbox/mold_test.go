package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/moldudp64"
)

type moldPubSummary struct {
	jsonSummary
	Mold exchange.LiveStats `json:"moldudp64"`
}

type moldReplaySummary struct {
	RecordsPublished int64                 `json:"records_published"`
	Mold             moldudp64.SenderStats `json:"moldudp64"`
}

// TestMoldUDP64Live: in two network namespaces, bbox replay --mold sends
// an ITCH day on two multicast lines (a0 → b0, a1 → b1) with packets
// left out on purpose, and bbox pub --source moldudp64://... in the other
// box arbitrates A/B, asks the rewind server for what both lines miss,
// and publishes to a bbox sub that taps every record. A tcpdump of the
// lines in the receiving box replays with every message.
func TestMoldUDP64Live(t *testing.T) {
	needNetns(t)
	const records, symbols = 6000, 12
	dir := t.TempDir()
	day := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", day, "--records", fmt.Sprint(records),
		"--symbols", fmt.Sprint(symbols), "--seed", "7"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	wantTopic, _, all := expectedDay(t, records, symbols)
	a, b := twoBoxes(t)
	for _, box := range []struct{ ns, nic string }{{a, "a0"}, {b, "b0"}} {
		ipCmd(t, "-n", box.ns, "route", "add", "224.0.0.0/4", "dev", box.nic)
	}
	_, haveTcpdump := exec.LookPath("tcpdump")
	cases := []struct {
		name         string
		dropA, dropB float64
		rewind       bool
		capture      bool
	}{
		{"drops-on-A", 0.25, 0, true, haveTcpdump == nil},
		{"drops-on-both-rewind", 0.25, 0.25, true, false},
		{"drops-on-both-no-rewind", 0.25, 0.25, false, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := 26400 + 2*i // multicast ports live in the test's own namespaces
			rewindPort := freePorts(t, 1)[0]
			ep := tcpEndpoints(freePorts(t, 1)...)
			ga, gb := fmt.Sprintf("239.77.%d.1:%d", i, port), fmt.Sprintf("239.77.%d.2:%d", i, port)
			rw := ""
			if tc.rewind {
				rw = fmt.Sprintf("&rewind=198.18.77.1:%d", rewindPort)
			}
			var pcap string
			var dump *proc
			if tc.capture {
				pcap = filepath.Join(t.TempDir(), "lines.pcap")
				dump = startCmd(t, "tcpdump", exec.Command("ip", "netns", "exec", b, "tcpdump", "-i", "any", "-U", "-n", "-w", pcap, "udp and dst net 239.0.0.0/8"))
				waitFor(t, 10*time.Second, "tcpdump to listen", func() bool { return strings.Contains(dump.stderr.String(), "listening on") })
			}
			tap := filepath.Join(t.TempDir(), "tap")
			sub := startCmd(t, "sub", exec.Command("ip", "netns", "exec", b, bboxBin, "sub", "--connect", ep, "--exit-on-eos",
				"--order", "topic", "--tap", tap, "--tap-payload", "--json"))
			src := fmt.Sprintf("moldudp64://%s?nic=b0&b=%s&bnic=b1%s&wait=30ms&idle=10s", ga, gb, rw)
			pub := startCmd(t, "pub", exec.Command("ip", "netns", "exec", b, bboxBin, "pub", "--source", src, "--bind", ep,
				"--wait-subs", "1", "--json"))
			waitFor(t, 10*time.Second, "pub to join", func() bool { return strings.Contains(pub.stderr.String(), "moldudp64: joined") })
			waitFor(t, 10*time.Second, "sub to connect", func() bool { return strings.Contains(pub.stderr.String(), "publisher ") })
			mold := fmt.Sprintf("udp://%s?nic=a0&b=%s&bnic=a1%s&session=T%d&test-drop-a=%g&test-drop-b=%g&test-drop-seed=%d&linger=1s",
				ga, gb, rw, i, tc.dropA, tc.dropB, i+1)
			rep := startCmd(t, "replay", exec.Command("ip", "netns", "exec", a, bboxBin, "replay", day, "--mold", mold, "--rate", "30000", "--json"))
			for _, p := range []*proc{rep, pub, sub} {
				if code := p.wait(60 * time.Second); code != 0 {
					t.Fatalf("%s exit %d\n%s", p.name, code, tail(p.stderr.String(), 20))
				}
			}
			var rs moldReplaySummary
			rep.summary(&rs)
			var ps moldPubSummary
			pub.summary(&ps)
			m := ps.Mold
			if rs.RecordsPublished != int64(len(all)) {
				t.Fatalf("replay sent %d, want %d", rs.RecordsPublished, len(all))
			}
			wantLost := int64(0)
			if !tc.rewind {
				wantLost = rs.Mold.DroppedBoth
				if wantLost == 0 {
					t.Fatal("the drop pattern left nothing out on both lines: the case proves nothing")
				}
			}
			if m.Lost != wantLost || ps.RecordsPublished != int64(len(all))-wantLost {
				t.Fatalf("lost %d (want %d), published %d of %d\nreceiver %+v\nsender %+v", m.Lost, wantLost, ps.RecordsPublished, len(all), m.ReceiverStats, rs.Mold)
			}
			if ps.RecordsLost != wantLost {
				t.Errorf("pub's records_lost %d, want %d", ps.RecordsLost, wantLost)
			}
			if tc.rewind && m.Recovered != rs.Mold.DroppedBoth {
				t.Errorf("recovered %d from the rewind server, sender left %d out of both lines", m.Recovered, rs.Mold.DroppedBoth)
			}
			if len(m.Lines) < 2 || m.Lines[0].Gaps == 0 || m.Lines[0].Missed != m.Lines[0].Recovered+m.Lines[0].Lost {
				t.Errorf("line counters %+v", m.Lines)
			}
			if tc.dropB == 0 && m.Lines[1].Gaps != 0 {
				t.Errorf("line B had gaps with nothing dropped on it: %+v", m.Lines[1])
			}
			if !strings.Contains(pub.stdout.String()+pub.stderr.String(), "LOST") != (wantLost == 0) {
				t.Errorf("the summary's loss warning does not match lost=%d:\n%s", wantLost, pub.stderr.String())
			}
			gotTopic, _, n := readTap(t, tap)
			if int64(n) != int64(len(all))-wantLost {
				t.Fatalf("tap has %d records, want %d", n, int64(len(all))-wantLost)
			}
			if wantLost == 0 {
				for topic, want := range wantTopic {
					if len(gotTopic[topic]) != len(want) {
						t.Fatalf("topic %s: %d records, want %d", topic, len(gotTopic[topic]), len(want))
					}
				}
			}
			if dump != nil {
				time.Sleep(200 * time.Millisecond)
				syscall.Kill(dump.cmd.Process.Pid, syscall.SIGINT)
				dump.wait(10 * time.Second)
				code, p := runBBox(t, 30*time.Second, "inspect", pcap, "--json")
				_ = code
				var ins struct {
					Records  int64          `json:"records"`
					Exchange exchange.Stats `json:"exchange"`
				}
				p.summary(&ins)
				if ins.Records != int64(len(all)) || ins.Exchange.Capture == nil || ins.Exchange.Capture.Lost != 0 || len(ins.Exchange.Capture.Flows) != 2 {
					t.Fatalf("tcpdump capture: %d records of %d\n%s", ins.Records, len(all), p.stdout.String())
				}
			}
		})
	}
}
