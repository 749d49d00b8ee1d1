package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/exchange"
	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

// expectedDay is what `bbox gen --format itch|pcap --records N --symbols S
// --seed 7` holds: per topic, the ITCH messages in order.
func expectedDay(t *testing.T, records, symbols int) (perTopic map[string][][]byte, perType map[byte]int, all [][]byte) {
	t.Helper()
	perTopic, perType = map[string][][]byte{}, map[byte]int{}
	var d itch.Directory
	err := itch.Generate(itch.GenConfig{Symbols: symbols, Messages: records, Seed: 7}, func(m itch.Message) error {
		sym, a := d.Symbol(m)
		if a == itch.MarketWide {
			sym = []byte(exchange.MarketTopic)
		}
		b := bytes.Clone(m)
		perTopic[string(sym)] = append(perTopic[string(sym)], b)
		perType[m.Type()]++
		all = append(all, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return perTopic, perType, all
}

// readTap reads `publisher epoch shard partition seq topic payload-hex`
// lines into per-topic payload lists.
func readTap(t *testing.T, path string) (map[string][][]byte, map[byte]int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	perTopic, perType := map[string][][]byte{}, map[byte]int{}
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 7 {
			t.Fatalf("tap line %q: want 7 fields", sc.Text())
		}
		p, err := hex.DecodeString(fs[6])
		if err != nil || len(p) == 0 {
			t.Fatalf("tap payload %q: %v", fs[6], err)
		}
		perTopic[fs[5]] = append(perTopic[fs[5]], p)
		perType[p[0]]++
		n++
	}
	return perTopic, perType, n
}

// TestExchangeRoundTrip: generated ITCH files and pcaps → bbox replay
// (directly, and after bbox import) → bbox sub --tap --tap-payload gets
// every message with its symbol as topic, byte-identical, in order per
// symbol, counted per symbol and per type.
func TestExchangeRoundTrip(t *testing.T) {
	const records, symbols = 6000, 12
	dir := t.TempDir()
	itchFile := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	gz := filepath.Join(dir, "day.itch.gz") // no date in the name: --date
	pcap := filepath.Join(dir, "day.pcap")
	pcapng := filepath.Join(dir, "day.pcapng")
	bbc := filepath.Join(dir, "imported.bbc")
	gen := []string{"--records", fmt.Sprint(records), "--symbols", fmt.Sprint(symbols), "--seed", "7", "--date", "2019-01-30"}
	for _, g := range [][]string{{"itch", itchFile}, {"itch.gz", gz}, {"pcap", pcap}, {"pcapng", pcapng}} {
		if code, p := runBBox(t, 30*time.Second, append([]string{"gen", "--format", g[0], "--out", g[1]}, gen...)...); code != 0 {
			t.Fatalf("gen %s: exit %d\n%s", g[0], code, p.stderr.String())
		}
	}
	if code, p := runBBox(t, 30*time.Second, "import", pcap+"?port=26478", "--out", bbc, "--json"); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, p.stderr.String())
	}
	wantTopic, wantType, all := expectedDay(t, records, symbols)
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Date(2019, 1, 30, 0, 0, 0, 0, ny).UnixNano()

	// The imported capture carries the source times: day + ITCH time.
	r, err := replay.Open(bbc)
	if err != nil {
		t.Fatal(err)
	}
	src, err := replay.NewSource(replay.SourceConfig{Files: []*replay.Reader{r}})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for err == nil {
		var b feed.Batch
		err = src.Next(context.Background(), &b)
		for _, rec := range b.Recs {
			m := itch.Message(all[i])
			if rec.SourceTS != day+int64(m.Timestamp()) || rec.Kind != m.Type() || !bytes.Equal(rec.Payload, m) {
				t.Fatalf("imported record %d: kind %c ts %d, want %c %d", i, rec.Kind, rec.SourceTS, m.Type(), day+int64(m.Timestamp()))
			}
			i++
		}
	}
	src.Close()
	r.Close()
	if err != io.EOF || i != len(all) {
		t.Fatalf("imported capture: %d records (%v), want %d", i, err, len(all))
	}

	for _, in := range [][]string{{itchFile}, {gz, "--date", "2019-01-30"}, {pcap}, {pcapng + "?group=233.54.12.1"}, {bbc}} {
		t.Run(filepath.Base(in[0]), func(t *testing.T) {
			ep := tcpEndpoints(freePorts(t, 1)...)
			tap := filepath.Join(t.TempDir(), "tap")
			sub := startBBox(t, "sub", "sub", "--connect", ep, "--exit-on-eos", "--order", "topic", "--tap", tap, "--tap-payload", "--json")
			args := append([]string{"replay"}, in...)
			args = append(args, "--bind", ep, "--speed", "max", "--wait-subs", "1", "--json")
			rep := startBBox(t, "replay", args...)
			if code := rep.wait(60 * time.Second); code != 0 {
				t.Fatalf("replay exit %d\n%s", code, rep.stderr.String())
			}
			if code := sub.wait(60 * time.Second); code != 0 {
				t.Fatalf("sub exit %d\n%s", code, sub.stderr.String())
			}
			var s jsonSummary
			rep.summary(&s)
			if s.RecordsPublished != int64(len(all)) {
				t.Errorf("published %d, want %d", s.RecordsPublished, len(all))
			}
			gotTopic, gotType, n := readTap(t, tap)
			if n != len(all) {
				t.Fatalf("tap has %d records, want %d", n, len(all))
			}
			for typ, c := range wantType {
				if gotType[typ] != c {
					t.Errorf("type %c: %d records, want %d", typ, gotType[typ], c)
				}
			}
			for topic, want := range wantTopic {
				got := gotTopic[topic]
				if len(got) != len(want) {
					t.Fatalf("topic %s: %d records, want %d", topic, len(got), len(want))
				}
				for k := range want {
					if !bytes.Equal(got[k], want[k]) {
						t.Fatalf("topic %s record %d: %x, want %x", topic, k, got[k], want[k])
					}
				}
			}
			if len(gotTopic) != len(wantTopic) || len(wantType) != len(itch.Types) {
				t.Errorf("%d topics (want %d), %d types", len(gotTopic), len(wantTopic), len(wantType))
			}
		})
	}
}

// A damaged ITCH file is reported by file and offset, and skipped unless
// --strict.
func TestExchangeBadMessages(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "50", "--symbols", "2"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	b, _ := os.ReadFile(f)
	// After the first message (S, 2+12 bytes): an unknown type and a D
	// message one byte short.
	bad := append([]byte{}, b[:14]...)
	bad = append(bad, 0, 3, 'z', 1, 2)
	bad = append(bad, 0, 18, 'D')
	bad = append(bad, make([]byte, 17)...)
	bad = append(bad, b[14:]...)
	os.WriteFile(f, bad, 0o644)
	out := filepath.Join(dir, "x.bbc")
	code, p := runBBox(t, 30*time.Second, "import", f, "--out", out, "--json")
	if code != 0 {
		t.Fatalf("import exit %d: %s", code, p.stderr.String())
	}
	var rep exchange.ImportReport
	p.summary(&rep)
	if rep.Exchange.Unknown != 1 || rep.Exchange.BadLength != 1 || rep.Records != rep.Exchange.Messages {
		t.Fatalf("report %+v", rep.Exchange)
	}
	for _, want := range []string{"offset 14: unknown message type 'z'", "offset 19: wrong length for its type: 'D' is 18 bytes, want 19"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
		}
	}
	code, p = runBBox(t, 30*time.Second, "import", f, "--out", out, "--strict", "--force")
	if code != 1 || !strings.Contains(p.stderr.String(), "offset 14") {
		t.Fatalf("--strict: exit %d\n%s", code, p.stderr.String())
	}
	if code, p := runBBox(t, 30*time.Second, "inspect", f); code != 1 || !strings.Contains(p.stdout.String(), "1 unknown type, 1 wrong length") {
		t.Fatalf("inspect: exit %d\n%s", code, p.stdout.String())
	}
}

// Usage errors of the exchange inputs exit 2 naming the flag or option.
func TestExchangeUsage(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", f, "--records", "20", "--symbols", "2"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", f}, exitUsage, "--out is required"},
		{[]string{"import", f, "--out", filepath.Join(dir, "x.bbc"), "--tz", "Mars/Base"}, exitUsage, "--tz"},
		{[]string{"import", f + "?port=0", "--out", filepath.Join(dir, "x.bbc")}, exitError, "port="},
		{[]string{"gen", "--format", "csv", "--out", filepath.Join(dir, "y")}, exitUsage, "--format"},
		{[]string{"replay", f, "--bind", "tcp://127.0.0.1:0", "--skip-corrupt"}, exitUsage, "--skip-corrupt"},
		{[]string{"replay", f, "--bind", "tcp://127.0.0.1:0", "--hwm", "1000"}, exitUsage, "--hwm 1000 is below --frame-size"},
		{[]string{"replay", f}, exitUsage, "--bind is required"},
		{[]string{"replay", f, "--mold", "udp://10.0.0.1:5"}, exitUsage, "multicast"},
		{[]string{"replay", f, "--mold", "udp://239.1.1.1:5?nope=1"}, exitUsage, "nope"},
		{[]string{"replay", f, "--mold", "udp://239.1.1.1:5", "--loop", "2"}, exitUsage, "--loop"},
		{[]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", "moldudp64://239.1.1.1:5?b=1.2.3.4:5"}, exitUsage, "line B"},
		{[]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", "moldudp64://239.1.1.1:5?rewind=host"}, exitUsage, "rewind="},
	}
	for _, c := range cases {
		code, p := runBBox(t, 30*time.Second, c.args...)
		if out := p.stderr.String(); code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("bbox %s: exit %d (want %d), stderr lacks %q:\n%s", strings.Join(c.args, " "), code, c.code, c.want, out)
		}
	}
}

// bbox inspect --json on an ITCH file carries CLI.md's inspect keys.
func TestExchangeInspectJSON(t *testing.T) {
	f := filepath.Join(t.TempDir(), "01302019.NASDAQ_ITCH50.gz")
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch.gz", "--out", f, "--records", "3000", "--symbols", "9", "--seed", "7"); code != 0 {
		t.Fatalf("gen: %s", p.stderr.String())
	}
	code, p := runBBox(t, 30*time.Second, "inspect", f, "--json", "--top", "3")
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, p.stderr.String())
	}
	var rep map[string]any
	p.summary(&rep)
	for _, k := range []string{"records", "symbols", "first_ts", "last_ts", "bytes", "compressed_bytes", "chunks", "top_symbols", "exchange"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("inspect --json lacks %q", k)
		}
	}
	_, _, all := expectedDay(t, 3000, 9)
	st, _ := os.Stat(f)
	if rep["records"].(float64) != float64(len(all)) || rep["symbols"].(float64) != 10 || rep["compressed_bytes"].(float64) != float64(st.Size()) ||
		len(rep["top_symbols"].([]any)) != 3 || rep["last_ts"].(float64) <= rep["first_ts"].(float64) {
		t.Errorf("inspect report %v", rep)
	}
	for _, want := range []string{"Stock Directory", "busiest", "2019-01-30"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("inspect text lacks %q:\n%s", want, p.stderr.String())
		}
	}
}
