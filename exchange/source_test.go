package exchange

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
)

var testGen = itch.GenConfig{Symbols: 6, Messages: 3000, Seed: 5}

// want is the generated day, with each message's expected topic.
func want(t *testing.T) (msgs [][]byte, topics []string) {
	t.Helper()
	var d itch.Directory
	itch.Generate(testGen, func(m itch.Message) error {
		msgs = append(msgs, bytes.Clone(m))
		sym, a := d.Symbol(m)
		if a == itch.MarketWide {
			sym = []byte(MarketTopic)
		}
		topics = append(topics, string(sym))
		return nil
	})
	return msgs, topics
}

func readAll(t *testing.T, cfg Config) ([]feed.Record, *Source) {
	t.Helper()
	for i := range cfg.Inputs {
		if err := Detect(&cfg.Inputs[i]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []feed.Record
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var b feed.Batch
		err := s.Next(ctx, &b)
		out = append(out, b.Recs...)
		if err == io.EOF {
			return out, s
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func check(t *testing.T, recs []feed.Record, day time.Time) {
	t.Helper()
	msgs, topics := want(t)
	if len(recs) != len(msgs) {
		t.Fatalf("%d records, want %d", len(recs), len(msgs))
	}
	for i, r := range recs {
		m := itch.Message(msgs[i])
		if !bytes.Equal(r.Payload, msgs[i]) || string(r.Topic) != topics[i] || r.Kind != m.Type() ||
			r.SourceTS != day.UnixNano()+int64(m.Timestamp()) {
			t.Fatalf("record %d: %s %c ts %d payload %x; want %s %c %d %x", i, r.Topic, r.Kind, r.SourceTS, r.Payload,
				topics[i], m.Type(), day.UnixNano()+int64(m.Timestamp()), msgs[i])
		}
	}
}

func TestITCHFiles(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Date(2019, 1, 30, 0, 0, 0, 0, ny)
	for _, zip := range []bool{false, true} {
		name := filepath.Join(t.TempDir(), "01302019.NASDAQ_ITCH50")
		if zip {
			name += ".gz"
		}
		if _, err := WriteITCH(name, testGen, zip); err != nil {
			t.Fatal(err)
		}
		in := Input{Path: name}
		Detect(&in)
		if in.Kind != ITCH || in.Gzip != zip {
			t.Fatalf("%s detected as %q gzip %v", name, in.Kind, in.Gzip)
		}
		recs, s := readAll(t, Config{Inputs: []Input{{Path: name}}})
		check(t, recs, day)
		st := s.Stats()
		for _, typ := range itch.Types {
			if st.ByType[string(typ)] == 0 {
				t.Errorf("no %c counted", typ)
			}
		}
		if st.Day != "2019-01-30" || st.Bad() != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

func TestPcapAB(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Date(2019, 1, 30, 0, 0, 0, 0, ny)
	a := Flow{Group: netip.MustParseAddr("233.54.12.1"), Port: 26477}
	b := Flow{Group: netip.MustParseAddr("233.54.12.2"), Port: 26478, VLAN: 100}
	lagged := 0
	f := func(name string, ng bool, drop func(int, int) bool, wantLost int64) {
		t.Helper()
		path := filepath.Join(t.TempDir(), name)
		msgs, packets, err := WritePcap(path, PcapConfig{Gen: testGen, Day: day, Flows: []Flow{a, b}, Ng: ng, Drop: drop, Lag: lagged})
		if err != nil || packets < 100 {
			t.Fatalf("%d messages %d packets: %v", msgs, packets, err)
		}
		recs, s := readAll(t, Config{Inputs: []Input{{Path: path}}})
		c := s.Stats().Capture
		if wantLost == 0 {
			check(t, recs, day)
		} else if int64(c.Lost) != wantLost || int64(len(recs))+wantLost != msgs {
			t.Fatalf("%s: lost %d (want %d), %d records of %d", name, c.Lost, wantLost, len(recs), msgs)
		}
		if len(c.Lines) != 2 || c.Lines[0].Packets == 0 || c.Lines[1].Packets == 0 || c.Malformed != 0 {
			t.Fatalf("%s: capture %+v", name, c)
		}
		// One flow alone, by port=.
		in, _ := ParseInput(path + "?port=26478")
		recs, s = readAll(t, Config{Inputs: []Input{in}})
		if c := s.Stats().Capture; len(c.Flows) != 1 || c.Flows[0] != "233.54.12.2:26478" || c.OtherFlows == 0 {
			t.Fatalf("%s port=: %+v", name, c)
		}
	}
	f("ab.pcap", false, nil, 0)
	f("ab.pcapng", true, nil, 0)
	// A and B drop different packets: nothing lost.
	f("drops.pcap", false, func(fl, i int) bool { return (fl == 0 && i%4 == 1) || (fl == 1 && i%4 == 3) }, 0)
	// B lags 3 packets behind A, which lost its first two: the session
	// still starts at 1, nothing lost.
	lagged = 3
	f("lag.pcap", false, func(fl, i int) bool { return fl == 0 && (i < 2 || i%9 == 4) }, 0)
	lagged = 0
	// Both drop packet 20: its 16 messages are lost, exactly.
	f("lost.pcap", false, func(fl, i int) bool { return i == 20 }, 16)
}

func TestDetectAndOptions(t *testing.T) {
	dir := t.TempDir()
	f := func(content []byte, want Kind) {
		t.Helper()
		p := filepath.Join(dir, "x")
		if err := writeFile(p, content); err != nil {
			t.Fatal(err)
		}
		in := Input{Path: p}
		if err := Detect(&in); err != nil || in.Kind != want {
			t.Errorf("%x: %q %v, want %q", content[:min(8, len(content))], in.Kind, err, want)
		}
	}
	f([]byte("\x89BBC\r\n\x1a\nrest"), None)
	f([]byte{0, 12, 'S', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'O'}, ITCH)
	f([]byte{0, 13, 'S', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'O', 0}, None)
	f([]byte("\xd4\xc3\xb2\xa1...."), PCAP)
	f([]byte("\x0a\x0d\x0d\x0a...."), PCAPNG)
	if in, err := ParseInput("d.pcap?port=26477&group=233.54.12.1"); err != nil || in.Port != 26477 || in.Group.String() != "233.54.12.1" || in.Path != "d.pcap" {
		t.Errorf("%+v %v", in, err)
	}
	for _, bad := range []string{"d.pcap?port=0", "d.pcap?group=x", "d.pcap?vlan=3"} {
		if _, err := ParseInput(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if y, m, d, ok := DateFromName("/x/01302019.NASDAQ_ITCH50.gz"); !ok || y != 2019 || m != 1 || d != 30 {
		t.Errorf("date %d %d %d %v", y, m, d, ok)
	}
	if _, _, _, ok := DateFromName("13012019.NASDAQ_ITCH50"); ok {
		t.Error("month 13 accepted")
	}
}

func TestFiltersAndLoop(t *testing.T) {
	name := filepath.Join(t.TempDir(), "01302019.NASDAQ_ITCH50")
	if _, err := WriteITCH(name, testGen, false); err != nil {
		t.Fatal(err)
	}
	msgs, topics := want(t)
	all, _ := readAll(t, Config{Inputs: []Input{{Path: name}}, Loop: 2})
	if len(all) != 2*len(msgs) {
		t.Fatalf("loop 2: %d records, want %d", len(all), 2*len(msgs))
	}
	n := 0
	for _, tp := range topics {
		if tp == "S003" || tp == MarketTopic {
			n++
		}
	}
	recs, s := readAll(t, Config{Inputs: []Input{{Path: name}}, Symbols: []string{"S003", MarketTopic}})
	if len(recs) != n || s.Stats().SkippedSymbols != int64(len(msgs)-n) {
		t.Fatalf("symbols: %d records, want %d; %+v", len(recs), n, s.Stats())
	}
	from, to := 8*time.Hour, 12*time.Hour
	n = 0
	for _, b := range msgs {
		if ts := time.Duration(itch.Message(b).Timestamp()); ts >= from && ts < to {
			n++
		}
	}
	recs, s = readAll(t, Config{Inputs: []Input{{Path: name}}, FromTOD: from, ToTOD: to})
	if len(recs) != n || n == 0 || s.Stats().SkippedWindow != int64(len(msgs)-n) {
		t.Fatalf("window: %d records, want %d", len(recs), n)
	}
	recs, _ = readAll(t, Config{Inputs: []Input{{Path: name}}, Records: 10})
	if len(recs) != 10 {
		t.Fatalf("records 10: %d", len(recs))
	}
	// A fixed rate paces (no wall-clock assertion: it just has to finish
	// with everything).
	recs, _ = readAll(t, Config{Inputs: []Input{{Path: name}}, Speed: 1e7}) // 16 hours in about 6 ms
	if len(recs) != len(msgs) {
		t.Fatalf("speed: %d records", len(recs))
	}
	recs, _ = readAll(t, Config{Inputs: []Input{{Path: name}}, Rate: 1e6})
	if len(recs) != len(msgs) {
		t.Fatalf("rate: %d records", len(recs))
	}
}

// A capture with other traffic: a non-MoldUDP64 UDP flow is counted and
// reported by packet number (and skipped by port=), ARP-like non-IP
// frames are skipped, and the day's messages all arrive.
func TestPcapNoise(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Date(2019, 1, 30, 0, 0, 0, 0, ny)
	src := filepath.Join(t.TempDir(), "clean.pcap")
	if _, _, err := WritePcap(src, PcapConfig{Gen: testGen, Day: day}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(src)
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	noisy := filepath.Join(t.TempDir(), "noisy.pcap")
	out, _ := os.Create(noisy)
	w := pcapgo.NewWriterNanos(out)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	buf := gopacket.NewSerializeBuffer()
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		w.WritePacket(ci, data)
		n++
		if n == 3 { // packet 4: UDP to another port, not MoldUDP64
			b, _ := udpFrame(buf, Flow{Group: netip.MustParseAddr("233.54.12.9"), Port: 9999}, []byte("hello"))
			w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(b), Length: len(b)}, b)
			arp := make([]byte, 60)
			arp[12], arp[13] = 0x08, 0x06 // EtherType ARP
			w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: 60, Length: 60}, arp)
		}
	}
	out.Close()
	f.Close()
	var probs []itch.Problem
	recs, s := readAll(t, Config{Inputs: []Input{{Path: noisy}}, OnProblem: func(p itch.Problem) { probs = append(probs, p) }})
	check(t, recs, day)
	c := s.Stats().Capture
	if c.Malformed != 1 || c.OtherFlows != 1 || len(probs) != 1 || probs[0].Packet != 4 {
		t.Fatalf("capture %+v problems %+v", c, probs)
	}
	in, _ := ParseInput(noisy + "?port=26477")
	recs, s = readAll(t, Config{Inputs: []Input{in}})
	check(t, recs, day)
	if c := s.Stats().Capture; c.Malformed != 0 || c.OtherFlows != 2 {
		t.Fatalf("port=: %+v", c)
	}
}
