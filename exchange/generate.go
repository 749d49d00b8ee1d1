package exchange

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/itch"
)

// GenFormats are the formats Generate writes.
var GenFormats = []string{"itch", "itch.gz", "pcap", "pcapng"}

// genFlows are a generated capture's lines: an A line and a VLAN-tagged B
// line carrying the same packets (GenReport.WriteText names them).
var genFlows = []Flow{{Group: netip.MustParseAddr("233.54.12.1"), Port: 26477},
	{Group: netip.MustParseAddr("233.54.12.2"), Port: 26478, VLAN: 100}}

// Generate writes a generated ITCH 5.0 day (every message type) to path
// in format, one of GenFormats: itch or itch.gz (NASDAQ's file framing),
// pcap or pcapng (MoldUDP64 on an A and a VLAN-tagged B line, stamped on
// day; the zero day is WritePcap's).
func Generate(path, format string, gen itch.GenConfig, day time.Time) (*GenReport, error) {
	r := &GenReport{Command: "gen", File: path, Format: format, Seed: gen.Seed, Symbols: gen.Symbols}
	t0 := time.Now()
	var err error
	switch format {
	case "itch", "itch.gz":
		r.Records, err = WriteITCH(path, gen, format == "itch.gz")
	case "pcap", "pcapng":
		r.Records, r.Packets, err = WritePcap(path, PcapConfig{Gen: gen, Day: day, Ng: format == "pcapng", Flows: genFlows})
	default:
		return nil, fmt.Errorf("format %q: want one of %v", format, GenFormats)
	}
	r.Seconds = time.Since(t0).Seconds()
	return r, err
}

// GenReport is what Generate wrote (its JSON is bbox gen --json's object
// for exchange formats; records counts ITCH messages).
type GenReport struct {
	Command string  `json:"command"`
	File    string  `json:"file"`
	Format  string  `json:"format"`
	Packets int64   `json:"packets"`
	Records int64   `json:"records"`
	Seed    uint64  `json:"seed"`
	Symbols int     `json:"symbols"`
	Seconds float64 `json:"-"`
}

// WriteText writes the report's one line.
func (r *GenReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "gen: %s ITCH 5.0 messages (every type), %s, seed %d → %s (%s", words.Group(r.Records), words.Count(r.Symbols, "symbol", "symbols"), r.Seed, r.File, r.Format)
	if r.Packets > 0 {
		fmt.Fprintf(w, ", %s MoldUDP64 packets on %s:%d and VLAN %d %s:%d", words.Group(r.Packets),
			genFlows[0].Group, genFlows[0].Port, genFlows[1].VLAN, genFlows[1].Group, genFlows[1].Port)
	}
	fmt.Fprintf(w, ") in %.1fs\n", r.Seconds)
}
