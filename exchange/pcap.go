package exchange

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/moldudp64"
)

// CaptureStats counts what a pcap held besides the messages delivered.
type CaptureStats struct {
	Packets      int64                 `json:"packets"`
	Flows        []string              `json:"flows"`         // UDP flows taken, as GROUP:PORT, A line first
	OtherFlows   int64                 `json:"other_packets"` // packets skipped: not UDP/IPv4, or filtered out by port=/group=, or more than two flows
	Fragments    int64                 `json:"ip_fragments"`  // IPv4 fragments (MoldUDP64 packets fit one frame; not reassembled)
	Malformed    int64                 `json:"malformed"`     // UDP payloads that are not MoldUDP64 packets
	OtherSession int64                 `json:"other_session"` // packets of another MoldUDP64 session than the first seen
	Session      string                `json:"session"`
	BeforeJoin   uint64                `json:"before_capture"` // sequence numbers before the capture's first
	Lost         uint64                `json:"lost"`           // sequence numbers missing on every flow
	Lines        []moldudp64.LineStats `json:"lines"`
	FirstPacket  int64                 `json:"first_packet_ns"`
}

type flowKey struct {
	dst  netip.Addr
	port uint16
}

// pcapReader yields the ITCH messages of the MoldUDP64 session in a
// capture, in sequence order, each once: flows of the same session are
// A and B lines, arbitrated by a Sequencer.
type pcapReader struct {
	in      Input
	f       *os.File
	read    func() ([]byte, gopacket.CaptureInfo, error)
	link    layers.LinkType
	parser  *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	udp     layers.UDP
	pay     gopacket.Payload
	decod   []gopacket.LayerType
	flows   map[flowKey]int
	seq     *moldudp64.Sequencer
	msgs    [][]byte
	out     []qmsg // delivered, waiting for next
	outPos  int
	arena   []byte
	pktNum  int64
	pktTS   int64
	gapAt   int64 // capture time the current gap was first seen (0: none)
	gapFrom uint64
	gapPkts int // packets since the gap was first seen
	eof     bool
	joined  bool
	joinBuf []joinPkt
	st      CaptureStats
	onProb  func(itch.Problem)
}

type qmsg struct {
	off, n int
	ts     int64
	pkt    int64
}

// GapWait is how much capture time a gap may stay open before the
// messages behind it are released and it counts as lost: long enough for
// the B line's copy to show up in the capture.
const GapWait = 1e9

func openPcap(in Input, onProb func(itch.Problem)) (*pcapReader, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	p, err := newPcapReader(in, f, onProb)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.f = f
	return p, nil
}

func newPcapReader(in Input, f io.Reader, onProb func(itch.Problem)) (*pcapReader, error) {
	p := &pcapReader{in: in, flows: map[flowKey]int{}, seq: moldudp64.NewSequencer(0), onProb: onProb}
	if in.Kind == PCAPNG {
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("%s: pcapng: %v", in.Path, err)
		}
		p.read, p.link = r.ZeroCopyReadPacketData, r.LinkType() // packets are parsed before the next read
	} else {
		r, err := pcapgo.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: pcap: %v", in.Path, err)
		}
		p.read, p.link = r.ZeroCopyReadPacketData, r.LinkType() // packets are parsed before the next read
	}
	var first gopacket.LayerType
	switch p.link {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2: // tcpdump -i any
		first = layers.LayerTypeLinuxSLL2
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	default:
		return nil, fmt.Errorf("%s: link type %v: want Ethernet, Linux cooked (tcpdump -i any) or raw IPv4", in.Path, p.link)
	}
	p.parser = gopacket.NewDecodingLayerParser(first, &p.eth, &p.sll, &p.sll2, &p.dot1q, &p.ip4, &p.udp, &p.pay)
	p.parser.IgnoreUnsupported = true
	return p, nil
}

func (p *pcapReader) close() error {
	if p.f == nil {
		return nil
	}
	return p.f.Close()
}

// next returns the next delivered message, its packet number and the
// packet's capture time.
func (p *pcapReader) next() ([]byte, pos, error) {
	for p.outPos >= len(p.out) {
		p.out, p.outPos, p.arena = p.out[:0], 0, p.arena[:0]
		if p.eof {
			return nil, pos{}, io.EOF
		}
		if err := p.packet(); err != nil {
			if err != io.EOF {
				return nil, pos{}, err
			}
			p.eof = true
			if !p.joined {
				p.settleJoin()
			}
			p.seq.GiveUp(p.deliver) // what is still missing at the end is lost
			for g := 0; ; g++ {
				if from, to := p.seq.Gap(); from == to || g > 1<<20 {
					break
				}
				p.seq.GiveUp(p.deliver)
			}
			p.sync()
		}
	}
	q := p.out[p.outPos]
	p.outPos++
	return p.arena[q.off : q.off+q.n], pos{pkt: q.pkt, ts: q.ts}, nil
}

func (p *pcapReader) deliver(seq uint64, m []byte) {
	off := len(p.arena)
	p.arena = append(p.arena, m...)
	p.out = append(p.out, qmsg{off: off, n: len(m), ts: p.pktTS, pkt: p.pktNum})
}

// packet reads one captured packet and feeds its MoldUDP64 content, if
// any, to the sequencer.
func (p *pcapReader) packet() error {
	data, ci, err := p.read()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				p.onProb(itch.Problem{File: p.in.Path, Packet: p.pktNum + 1, Detail: "capture ends inside a packet (torn tail ignored)"})
			}
			return io.EOF
		}
		return fmt.Errorf("%s: packet %d: %v", p.in.Path, p.pktNum+1, err)
	}
	p.pktNum++
	p.st.Packets++
	p.pktTS = ci.Timestamp.UnixNano()
	if p.st.FirstPacket == 0 {
		p.st.FirstPacket = p.pktTS
	}
	_ = p.parser.DecodeLayers(data, &p.decod)
	isUDP := false
	for _, t := range p.decod {
		if t == layers.LayerTypeUDP {
			isUDP = true
		}
	}
	if !isUDP {
		if len(p.decod) > 0 && p.decod[len(p.decod)-1] == layers.LayerTypeIPv4 && (p.ip4.Flags&layers.IPv4MoreFragments != 0 || p.ip4.FragOffset != 0) {
			p.st.Fragments++
		} else {
			p.st.OtherFlows++
		}
		return nil
	}
	if p.ip4.Flags&layers.IPv4MoreFragments != 0 || p.ip4.FragOffset != 0 {
		p.st.Fragments++
		return nil
	}
	dst, _ := netip.AddrFromSlice(p.ip4.DstIP.To4())
	key := flowKey{dst, uint16(p.udp.DstPort)}
	if (p.in.Port != 0 && int(key.port) != p.in.Port) || (p.in.Group.IsValid() && dst != p.in.Group) {
		p.st.OtherFlows++
		return nil
	}
	payload := p.udp.Payload
	h, msgs, err := moldudp64.Parse(payload, p.msgs[:0])
	p.msgs = msgs
	if err != nil {
		p.st.Malformed++
		p.onProb(itch.Problem{File: p.in.Path, Packet: p.pktNum, Detail: fmt.Sprintf("UDP to %s:%d: %v", dst, key.port, err)})
		return nil
	}
	if p.seq.Session != (moldudp64.Session{}) && h.Session != p.seq.Session {
		p.st.OtherSession++
		return nil
	}
	line, ok := p.flows[key]
	if !ok {
		if len(p.flows) >= 2 {
			p.st.OtherFlows++
			return nil
		}
		line = len(p.flows)
		p.flows[key] = line
		p.st.Flows = append(p.st.Flows, fmt.Sprintf("%s:%d", dst, key.port))
	}
	if !p.joined {
		// The first packets wait, then go in sequence order: the lines
		// race, and the capture may hold B's copy of the first packet
		// after A's second (see moldudp64.Receiver's join).
		p.joinBuf = append(p.joinBuf, joinPkt{line: line, b: append([]byte(nil), payload...), ts: p.pktTS, num: p.pktNum})
		if len(p.joinBuf) >= joinPackets {
			p.settleJoin()
		}
		return nil
	}
	p.seq.Packet(line, &h, msgs, p.deliver)
	p.checkGap()
	return nil
}

// joinPackets is how many first packets of a capture are taken together
// in sequence order: far more than any A/B skew in packets (capture
// time would not do: before the open a packet may come every minute).
const joinPackets = 64

type joinPkt struct {
	line    int
	b       []byte
	ts, num int64
}

// settleJoin feeds the held first packets lowest sequence first.
func (p *pcapReader) settleJoin() {
	p.joined = true
	sort.SliceStable(p.joinBuf, func(i, j int) bool {
		return binary.BigEndian.Uint64(p.joinBuf[i].b[10:]) < binary.BigEndian.Uint64(p.joinBuf[j].b[10:])
	})
	ts, num := p.pktTS, p.pktNum
	for _, j := range p.joinBuf {
		h, msgs, _ := moldudp64.Parse(j.b, p.msgs[:0]) // parsed once already
		p.msgs = msgs
		p.pktTS, p.pktNum = j.ts, j.num
		p.seq.Packet(j.line, &h, msgs, p.deliver)
	}
	p.pktTS, p.pktNum = ts, num
	p.joinBuf = nil
	p.checkGap()
}

// checkGap gives up a gap that no flow can still fill: every flow has
// carried something past it, or it has stayed open for GapWait of
// capture time and joinPackets packets (a flow that lags, in a capture
// whose packets are minutes apart before the open, is waited for).
func (p *pcapReader) checkGap() {
	from, to := p.seq.Gap()
	if from == to {
		p.gapAt, p.gapPkts = 0, 0
		p.sync()
		return
	}
	if p.gapAt == 0 || from != p.gapFrom {
		p.gapAt, p.gapFrom, p.gapPkts = p.pktTS, from, 0
	}
	p.gapPkts++
	passed := true
	for i := 0; i < len(p.flows); i++ {
		passed = passed && p.seq.LineNext(i) >= to
	}
	if passed || (p.pktTS-p.gapAt > GapWait && p.gapPkts > joinPackets) {
		p.seq.GiveUp(p.deliver)
		p.gapAt, p.gapPkts = 0, 0
	}
	p.sync()
}

func (p *pcapReader) sync() {
	p.st.Session = p.seq.Session.String()
	p.st.BeforeJoin = p.seq.BeforeJoin
	p.st.Lost = p.seq.Lost
	p.st.Lines = p.st.Lines[:0]
	for i, l := range p.seq.Lines {
		if i < len(p.flows) || l.Packets > 0 {
			p.st.Lines = append(p.st.Lines, l.LineStats)
		}
	}
}
