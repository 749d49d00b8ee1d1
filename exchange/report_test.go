package exchange

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/moldudp64"
	"github.com/bbox-dev/bbox/replay"
)

func TestFeedTime(t *testing.T) {
	day, loc, err := FeedTime("2019-01-30", "")
	if err != nil || loc.String() != DefaultTZ || !day.Equal(time.Date(2019, 1, 30, 0, 0, 0, 0, loc)) {
		t.Errorf("FeedTime: %v %v %v", day, loc, err)
	}
	if day, loc, err := FeedTime("", "UTC"); err != nil || !day.IsZero() || loc != time.UTC {
		t.Errorf("no date: %v %v %v", day, loc, err)
	}
	if _, _, err := FeedTime("", "Mars/Olympus"); err == nil || !strings.HasPrefix(err.Error(), "tz: ") {
		t.Errorf("bad zone: %v", err)
	}
	if _, _, err := FeedTime("30.01.2019", ""); err == nil || err.Error() != `date "30.01.2019": want YYYY-MM-DD` {
		t.Errorf("bad date: %v", err)
	}
}

// DetectInputs tells exchange inputs from other files and refuses a mix;
// DetectSource takes a name with bad options only if its file exists.
func TestDetectInputs(t *testing.T) {
	dir := t.TempDir()
	itchFile := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if _, err := WriteITCH(itchFile, testGen, false); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "x.bbc")
	writeFile(other, []byte("BBOXCAP1 not an exchange file at all, long enough"))
	if ins, ok, err := DetectInputs([]string{itchFile + "?tz=UTC"}); !ok || err != nil || len(ins) != 1 || ins[0].Kind != ITCH || ins[0].TZ != "UTC" {
		t.Errorf("ITCH file: %+v %v %v", ins, ok, err)
	}
	if _, ok, err := DetectInputs([]string{other, filepath.Join(dir, "missing")}); ok || err != nil {
		t.Errorf("no exchange input: %v %v", ok, err)
	}
	if _, ok, err := DetectInputs([]string{itchFile, other}); !ok || err == nil || !strings.Contains(err.Error(), "cannot be mixed") {
		t.Errorf("a mix: %v %v", ok, err)
	}
	if _, ok, err := DetectSource(itchFile + "?nope=1"); !ok || err == nil {
		t.Errorf("bad option on a file: %v %v", ok, err)
	}
	if _, ok, err := DetectSource("tcp://host:1?nope=1"); ok || err != nil {
		t.Errorf("not a file: %v %v", ok, err)
	}
}

// Import writes every record of the inputs to a capture that says where
// it came from, and reports it; Inspect reads the same inputs.
func TestImportAndInspect(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "day.pcap")
	_, loc, _ := FeedTime("", "")
	if _, _, err := WritePcap(in, PcapConfig{Gen: testGen, Day: time.Date(2019, 1, 30, 0, 0, 0, 0, loc)}); err != nil {
		t.Fatal(err)
	}
	ins, ok, err := DetectInputs([]string{in})
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	out := filepath.Join(dir, "day.bbc")
	im, err := NewImport(ImportConfig{Source: Config{Inputs: ins}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := im.Run(ctx)
	msgs, _ := want(t)
	if err != nil || rep.Records != int64(len(msgs)) || rep.Exchange.Messages != int64(len(msgs)) || im.Records() != rep.Records || len(rep.Warnings) != 0 {
		t.Fatalf("import: %+v, %v; want %d records", rep, err, len(msgs))
	}
	r, err := replay.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Records() != rep.Records || r.Header().Meta["format"] != "pcap" || r.Header().Meta["input"] != in || r.Header().Meta["tz"] != DefaultTZ {
		t.Errorf("capture: %d records, meta %v", r.Records(), r.Header().Meta)
	}
	r.Close()
	var text strings.Builder
	rep.WriteText(&text)
	if s := text.String(); !strings.HasPrefix(s, "import: ") || !strings.Contains(s, " ("+in+") → ") || !strings.Contains(s, "\n  capture    ") || !strings.Contains(s, "\n  day        2019-01-30, ") {
		t.Errorf("import text:\n%s", s)
	}
	b, _ := json.Marshal(rep)
	if !strings.HasPrefix(string(b), `{"command":"import","out":`) || strings.Contains(string(b), "names") {
		t.Errorf("import JSON: %s", b)
	}

	irep, err := Inspect(ctx, Config{Inputs: ins}, []string{"the capture"}, 3)
	if err != nil || irep.Records != rep.Records || irep.Format != "pcap" || len(irep.TopSymbols) != 3 || irep.Trouble() != "" {
		t.Fatalf("inspect: %+v, %v", irep, err)
	}
	if fi, _ := os.Stat(in); irep.CompressedBytes != fi.Size() {
		t.Errorf("inspect: compressed_bytes %d, want the file's size %d", irep.CompressedBytes, fi.Size())
	}
	text.Reset()
	irep.WriteText(&text)
	if s := text.String(); !strings.HasPrefix(s, "the capture: pcap, ") || !strings.Contains(s, "\n  busiest    ") {
		t.Errorf("inspect text:\n%s", s)
	}
}

// Warnings and Trouble say what was skipped or lost, and in what words.
func TestStatsWarnings(t *testing.T) {
	st := Stats{Unknown: 2, BadLength: 1000, Unattributed: 3, Problems: []itch.Problem{{Offset: 10, Detail: "why"}},
		Capture: &CaptureStats{Lost: 5, BeforeJoin: 9, Malformed: 1}}
	w := st.Warnings()
	if len(w) != 5 || !strings.HasPrefix(w[0], "1,002 ITCH messages skipped: 2 of unknown type, 1,000 of the wrong length (first at ") ||
		!strings.Contains(w[1], "published under "+LocatePfx+"N") || w[2] != "capture: 5 messages missing on every flow (lost)" ||
		w[3] != "capture starts at sequence 10: 9 earlier messages are not in it" || !strings.HasPrefix(w[4], "capture: 1 UDP payloads are not MoldUDP64, 0 packets") {
		t.Errorf("warnings %q", w)
	}
	if (&Stats{}).Warnings() != nil {
		t.Error("clean stats warn")
	}
	r := InspectReport{Exchange: Stats{Capture: &CaptureStats{Lost: 1}}}
	if r.Trouble() != "capture: 1 messages missing on every flow (lost)" {
		t.Errorf("trouble %q", r.Trouble())
	}
	if r := (InspectReport{Exchange: Stats{Unattributed: 1}}); r.Trouble() != "" {
		t.Errorf("unattributed messages are not trouble: %q", r.Trouble())
	}
}

// Generate writes each format, reports it, and refuses an unknown one.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	for _, f := range GenFormats {
		rep, err := Generate(filepath.Join(dir, "day."+f), f, testGen, time.Time{})
		msgs, _ := want(t)
		if err != nil || rep.Records != int64(len(msgs)) || (rep.Packets > 0) != strings.HasPrefix(f, "pcap") {
			t.Fatalf("%s: %+v, %v", f, rep, err)
		}
		var text strings.Builder
		rep.WriteText(&text)
		b, _ := json.Marshal(rep)
		if !strings.HasPrefix(text.String(), "gen: 3,") || !strings.Contains(string(b), `"format":"`+f+`"`) || strings.Contains(string(b), "econds") {
			t.Errorf("%s: %q %s", f, text.String(), b)
		}
		if f == "pcap" && !strings.Contains(text.String(), " MoldUDP64 packets on 233.54.12.1:26477 and VLAN 100 233.54.12.2:26478) in ") {
			t.Errorf("pcap text %q", text.String())
		}
	}
	if _, err := Generate(filepath.Join(dir, "x"), "csv", testGen, time.Time{}); err == nil {
		t.Error("csv: no error")
	}
}

// The live source's and the sender's texts.
func TestMoldTexts(t *testing.T) {
	cfg, err := ParseLive("moldudp64://233.54.12.1:26477?b=233.54.12.2:26478")
	if err != nil {
		t.Fatal(err)
	}
	if j := cfg.Joined(); j != "joined 233.54.12.1:26477 and 233.54.12.2:26478; no rewind server: gaps on every line are lost" {
		t.Errorf("joined %q", j)
	}
	var st LiveStats
	st.Next, st.Lost, st.Gaps, st.Idle, st.Unknown = 7, 1200, 2, true, 1
	st.Lines = []moldudp64.LineStats{{Name: "A", Packets: 1000}}
	if s := st.StatusText(); s != " | mold next 7 A 1,000 pkts 0 dup 0 gaps | recovered 0 lost 1,200" {
		t.Errorf("status %q", s)
	}
	if w := st.Warnings(); len(w) != 3 || !strings.HasPrefix(w[0], "1,200 messages LOST") || !strings.Contains(w[1], "went silent") || !strings.HasPrefix(w[2], "1 messages are not ITCH 5.0") {
		t.Errorf("warnings %q", w)
	}
	r := MoldSendReport{RecordsPublished: 3000, Seconds: 1, ThroughputRPS: 3000, lines: "a and b",
		Mold: moldudp64.SenderStats{Session: "S", Packets: 40, Requests: 1, Retransmitted: 1, Dropped: []int64{5, 0}}}
	var text strings.Builder
	r.WriteText(&text)
	want := "replay: 3,000 messages sent as MoldUDP64 session \"S\" in 40 packets on a and b (1.0s, 3.0k msg/s)\n" +
		"  rewind   1 request answered with 1 message, 0 unavailable\n  test drops: 5 packets left out of line A, 0 of line B; 0 messages on no line\n"
	if text.String() != want {
		t.Errorf("sender text %q, want %q", text.String(), want)
	}
}

// The MoldUDP64 sender's summary names its test drops per line in words,
// not as a Go slice ("[5] packets per line").
func TestDropsText(t *testing.T) {
	if got := DropsText([]int64{5}); got != "5 packets left out of line A" {
		t.Errorf("one line: %q", got)
	}
	if got := DropsText([]int64{1, 1234}); got != "1 packet left out of line A, 1,234 of line B" {
		t.Errorf("two lines: %q", got)
	}
}
