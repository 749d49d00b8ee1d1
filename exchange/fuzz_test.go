package exchange

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/bbox-dev/bbox/itch"
)

// FuzzPcapSource: any capture bytes read to the end or fail cleanly; every
// message delivered is a whole block of a parsed packet, and sequence
// accounting never delivers more than the packets announced.
func FuzzPcapSource(f *testing.F) {
	dir := f.TempDir()
	for _, ng := range []bool{false, true} {
		p := filepath.Join(dir, "seed")
		WritePcap(p, PcapConfig{Gen: itch.GenConfig{Symbols: 2, Messages: 30}, Ng: ng, PerPacket: 4,
			Flows: []Flow{{Group: netip.MustParseAddr("233.1.1.1"), Port: 9}, {Group: netip.MustParseAddr("233.1.1.2"), Port: 9, VLAN: 7}}})
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		kind := sniff(b)
		if kind != PCAP && kind != PCAPNG {
			kind = PCAP
		}
		p, err := newPcapReader(Input{Path: "fuzz", Kind: kind}, bytes.NewReader(b), func(itch.Problem) {})
		if err != nil {
			return
		}
		for i := 0; i < 1<<16; i++ {
			if _, _, err := p.next(); err != nil {
				break
			}
		}
		if p.st.Malformed > p.st.Packets {
			t.Fatalf("%d malformed of %d packets", p.st.Malformed, p.st.Packets)
		}
	})
}

// FuzzSniffInput: detection never panics and an ITCH verdict means the first
// frame holds a well-formed message.
func FuzzSniffInput(f *testing.F) {
	f.Add([]byte{0, 12, 'S', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'O'})
	f.Fuzz(func(t *testing.T, b []byte) {
		if sniff(b) == ITCH {
			n := int(b[0])<<8 | int(b[1])
			if itch.Check(b[2:2+n]) != nil {
				t.Fatal("ITCH verdict on a bad first message")
			}
		}
	})
}

// FuzzExchangeSpecs: source and destination specs never panic, and one
// that parses names a multicast line A.
func FuzzExchangeSpecs(f *testing.F) {
	f.Add("moldudp64://239.1.1.1:5?nic=eth1&b=239.1.1.2:5&rewind=10.0.0.1:9&wait=5ms")
	f.Add("udp://239.1.1.1:5?b=239.1.1.2:6&test-drop-a=0.5&session=X")
	f.Add("day.pcap?port=26477&group=233.54.12.1&date=2019-01-30&tz=UTC")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseLive(s); err == nil && (len(c.Receiver.Lines) == 0 || !c.Receiver.Lines[0].Group.Addr().IsMulticast()) {
			t.Fatalf("%q: %+v", s, c)
		}
		if c, err := ParseSender(s); err == nil && (len(c.Sender.Lines) == 0 || !c.Sender.Lines[0].Group.Addr().IsMulticast()) {
			t.Fatalf("%q: %+v", s, c)
		}
		ParseInput(s)
	})
}
