package exchange

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/moldudp64"
)

// WriteITCH writes a generated ITCH 5.0 day in NASDAQ's file framing,
// gzip-compressed if zip is set, and returns how many messages it holds.
func WriteITCH(path string, gen itch.GenConfig, zip bool) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if zip {
		zw = gzip.NewWriter(f)
		w = zw
	}
	fw := itch.NewFileWriter(w)
	var n int64
	err = itch.Generate(gen, func(m itch.Message) error { n++; return fw.Write(m) })
	if err == nil {
		err = fw.Flush()
	}
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// Flow is one UDP flow of a generated capture.
type Flow struct {
	Group netip.Addr // destination (a multicast group)
	Port  int
	VLAN  uint16 // 802.1Q tag (0: untagged)
}

// PcapConfig sets up a generated capture of MoldUDP64 over UDP. Zero
// values are documented per field (the zero Day is 2019-01-30 in New
// York).
type PcapConfig struct {
	Gen     itch.GenConfig // the day's messages (zero: itch's defaults)
	Day     time.Time      // the day packets are stamped on (midnight in its location + ITCH time; zero: 2019-01-30 in New York)
	Session string         // MoldUDP64 session (empty: from the day)
	// Flows carry the same packets (an A and a B line); empty: one flow,
	// 233.54.12.1:26477.
	Flows []Flow
	Ng    bool // pcapng instead of pcap
	// PerPacket caps messages per MoldUDP64 packet (0: 16); packets also
	// stay within moldudp64.MaxPayload.
	PerPacket int
	// Drop, when set, leaves packet number i (from 0) of flow f out
	// (nil: none).
	Drop func(flow, i int) bool
	// Lag writes the second flow's copies this many packets after the
	// first flow's, as a capture of two lines with skew shows them (0:
	// side by side).
	Lag int
}

// Validate checks c's values (zero values are defaults), the generator's
// included, before any file is created.
func (c PcapConfig) Validate() error {
	if c.PerPacket < 0 || c.Lag < 0 {
		return fmt.Errorf("%d messages per packet, a lag of %d packets: want neither negative", c.PerPacket, c.Lag)
	}
	return c.Gen.Validate()
}

// WritePcap writes a generated day as MoldUDP64 packets, one copy per
// flow, ending with an end-of-session packet; it returns the messages
// and packets (per flow) written.
func WritePcap(path string, cfg PcapConfig) (msgs, packets int64, err error) {
	if err := cfg.Validate(); err != nil {
		return 0, 0, err
	}
	if len(cfg.Flows) == 0 {
		cfg.Flows = []Flow{{Group: netip.MustParseAddr("233.54.12.1"), Port: 26477}}
	}
	if cfg.PerPacket <= 0 {
		cfg.PerPacket = 16
	}
	if cfg.Day.IsZero() {
		ny, _ := time.LoadLocation("America/New_York")
		cfg.Day = time.Date(2019, 1, 30, 0, 0, 0, 0, ny)
	}
	if cfg.Session == "" {
		cfg.Session = cfg.Day.Format("20060102") + "A"
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	var write func(gopacket.CaptureInfo, []byte) error
	var ngw *pcapgo.NgWriter
	if cfg.Ng {
		if ngw, err = pcapgo.NewNgWriter(bw, layers.LinkTypeEthernet); err != nil {
			return 0, 0, err
		}
		write = ngw.WritePacket
	} else {
		w := pcapgo.NewWriterNanos(bw)
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			return 0, 0, err
		}
		write = w.WritePacket
	}
	sess := moldudp64.MakeSession(cfg.Session)
	day0 := time.Date(cfg.Day.Year(), cfg.Day.Month(), cfg.Day.Day(), 0, 0, 0, 0, cfg.Day.Location())
	var batch [][]byte
	var arena []byte
	var firstTS uint64
	seq := uint64(1)
	var pkt []byte
	var frame gopacket.SerializeBuffer = gopacket.NewSerializeBuffer()
	type lagged struct{ b []byte }
	var lag []lagged
	out := func(b []byte, at time.Time) error {
		return write(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(b), Length: len(b)}, b)
	}
	emit := func(payload []byte, ts uint64) error {
		for fi, fl := range cfg.Flows {
			if cfg.Drop != nil && cfg.Drop(fi, int(packets)) {
				continue
			}
			b, err := udpFrame(frame, fl, payload)
			if err != nil {
				return err
			}
			at := day0.Add(time.Duration(ts) + time.Duration(fi)*time.Microsecond)
			if fi == 1 && cfg.Lag > 0 {
				lag = append(lag, lagged{append([]byte(nil), b...)})
				continue
			}
			if err := out(b, at); err != nil {
				return err
			}
			for len(lag) > cfg.Lag { // later copies keep capture time order
				if err := out(lag[0].b, at.Add(time.Microsecond)); err != nil {
					return err
				}
				lag = lag[1:]
			}
		}
		packets++
		return nil
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		pkt = moldudp64.AppendPacket(pkt[:0], sess, seq, batch)
		seq += uint64(len(batch))
		batch, arena = batch[:0], arena[:0]
		return emit(pkt, firstTS)
	}
	var lastTS uint64
	err = itch.Generate(cfg.Gen, func(m itch.Message) error {
		msgs++
		if len(batch) == cfg.PerPacket || moldudp64.PacketLen(batch)+2+len(m) > moldudp64.MaxPayload {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			firstTS = m.Timestamp()
		}
		lastTS = m.Timestamp()
		// batch holds slices of arena: re-point them if it moves.
		off := len(arena)
		old := cap(arena)
		arena = append(arena, m...)
		if cap(arena) != old {
			o := 0
			for i := range batch {
				batch[i] = arena[o : o+len(batch[i])]
				o += len(batch[i])
			}
		}
		batch = append(batch, arena[off:off+len(m)])
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = emit(moldudp64.AppendEnd(pkt[:0], sess, seq), lastTS+1000)
		packets-- // the end-of-session packet is not a data packet
	}
	for i, l := range lag {
		if err == nil {
			err = out(l.b, day0.Add(time.Duration(lastTS)+time.Duration(i+2)*time.Millisecond))
		}
	}
	if err == nil && ngw != nil {
		err = ngw.Flush()
	}
	if err == nil {
		err = bw.Flush()
	}
	return msgs, packets, err
}

// udpFrame builds an Ethernet (optionally 802.1Q) / IPv4 / UDP frame to a
// multicast group, with the group's multicast MAC.
func udpFrame(buf gopacket.SerializeBuffer, fl Flow, payload []byte) ([]byte, error) {
	g := fl.Group.As4()
	dstMAC := net.HardwareAddr{0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 1}, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 16, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 0, 0, 1), DstIP: net.IP(g[:])}
	udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(fl.Port)}
	udp.SetNetworkLayerForChecksum(ip)
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var ls []gopacket.SerializableLayer
	if fl.VLAN != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, eth, &layers.Dot1Q{VLANIdentifier: fl.VLAN, Type: layers.EthernetTypeIPv4})
	} else {
		ls = append(ls, eth)
	}
	ls = append(ls, ip, udp, gopacket.Payload(payload))
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		return nil, fmt.Errorf("building a frame: %v", err)
	}
	return buf.Bytes(), nil
}
