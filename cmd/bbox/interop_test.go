package main

// Wire compatibility with libzmq, through pyzmq (Debian's python3-zmq for
// /usr/bin/python3): examples/python/bbox_sub.py reads `bbox pub`, and
// examples/python/feed_pub.py feeds `bbox pub --source zmq+tcp://...`.

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/upstream"
)

const systemPython = "/usr/bin/python3"

// pythonZMQ returns the Python that has pyzmq, or skips the test (fails it
// under CI, where .ci/run installs python3-zmq).
func pythonZMQ(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import zmq; print(zmq.zmq_version())").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("wire-compatibility test needs %s with pyzmq (Debian package python3-zmq): %v: %s",
			systemPython, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return systemPython
}

func example(name string) string { return filepath.Join("..", "..", "examples", "python", name) }

// startPython runs an example script with the harness's cleanup.
func startPython(t *testing.T, py, name string, args ...string) *proc {
	t.Helper()
	return startCmd(t, name+" "+strings.Join(args, " "), exec.Command(py, append([]string{"-u", example(name)}, args...)...))
}

// recordChecksum is bbox_sub.py's CHECKSUM: CRC-32 (IEEE) over the
// sequence (8 bytes little-endian), the topic length (1 byte), the topic
// and the payload.
func recordChecksum(seq uint64, topic, payload []byte) uint32 {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	b = append(b, byte(len(topic)))
	b = append(b, topic...)
	return crc32.ChecksumIEEE(append(b, payload...))
}

// pyRec is one line of bbox_sub.py's output.
type pyRec struct {
	publisher        string
	epoch            uint64
	shard, partition int
	seq              uint64
	kind             byte
	sendTS, sourceTS int64
	topic            string
	checksum         uint32
}

func parsePyRecs(t *testing.T, out string) []pyRec {
	t.Helper()
	var recs []pyRec
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 10 || len(f[5]) != 1 {
			t.Fatalf("bbox_sub.py: bad line %q", line)
		}
		var r pyRec
		var errs [8]error
		r.publisher = f[0]
		r.epoch, errs[0] = strconv.ParseUint(f[1], 10, 64)
		r.shard, errs[1] = strconv.Atoi(f[2])
		r.partition, errs[2] = strconv.Atoi(f[3])
		r.seq, errs[3] = strconv.ParseUint(f[4], 10, 64)
		r.kind = f[5][0]
		r.sendTS, errs[4] = strconv.ParseInt(f[6], 10, 64)
		r.sourceTS, errs[5] = strconv.ParseInt(f[7], 10, 64)
		r.topic = f[8]
		var c uint64
		c, errs[6] = strconv.ParseUint(f[9], 16, 32)
		r.checksum = uint32(c)
		for _, err := range errs {
			if err != nil {
				t.Fatalf("bbox_sub.py: bad line %q: %v", line, err)
			}
		}
		recs = append(recs, r)
	}
	return recs
}

// pySummary decodes bbox_sub.py's last stderr line, "summary {...}".
func pySummary(t *testing.T, p *proc) map[string]int64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(p.stderr.String()), "\n")
	last := lines[len(lines)-1]
	var m map[string]int64
	if js, ok := strings.CutPrefix(last, "summary "); !ok || json.Unmarshal([]byte(js), &m) != nil {
		t.Fatalf("%s: last stderr line is not a summary: %q", p.name, last)
	}
	return m
}

type wantRec struct {
	seq      uint64
	kind     byte
	topic    string
	checksum uint32
}

// TestInteropPythonSubscriber: a libzmq subscriber written from
// docs/wire.md reads every record of `bbox pub`, in order per partition,
// with the right publisher, epoch, shard, partition, sequence, kind,
// plausible timestamps and matching checksums; a second one subscribed to
// two partitions gets exactly those.
func TestInteropPythonSubscriber(t *testing.T) {
	py := pythonZMQ(t)
	const (
		n          = 20000
		seed       = 11
		symbols    = 40
		size       = 100
		shards     = 2
		partitions = 8
		pubID      = 0x1234
	)
	ports := freePorts(t, shards)
	eps := strings.Split(tcpEndpoints(ports...), ",")
	start := time.Now().UnixNano()
	all := startPython(t, py, "bbox_sub.py", append([]string{"--exit-on-eos", "--timeout", "30"}, eps...)...)
	some := startPython(t, py, "bbox_sub.py", append([]string{"--partition", "3", "--partition", "4", "--exit-on-eos", "--timeout", "30"}, eps...)...)
	pub := startBBox(t, "pub", "pub", "--bind", strings.Join(eps, ","), "--source", "gen", "--rate", "max",
		"--records", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--symbols", strconv.Itoa(symbols), "--size", strconv.Itoa(size),
		"--partitions", strconv.Itoa(partitions), "--id", strconv.Itoa(pubID), "--wait-subs", "2", "--json")
	if code := pub.wait(60 * time.Second); code != 0 {
		t.Fatalf("bbox pub exited %d:\n%s", code, tail(pub.stderr.String(), 20))
	}
	for _, p := range []*proc{all, some} {
		if code := p.wait(60 * time.Second); code != 0 {
			t.Fatalf("%s exited %d:\n%s", p.name, code, tail(p.stderr.String(), 20))
		}
	}
	end := time.Now().UnixNano()
	var ps jsonSummary
	pub.summary(&ps)
	if ps.RecordsPublished != n {
		t.Fatalf("bbox pub published %d records, want %d", ps.RecordsPublished, n)
	}

	// What bbox must have sent: the generator is deterministic by seed,
	// the router by topic, and sequences count per partition from 1.
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: symbols, Size: size, Seed: seed, Records: n})
	if err != nil {
		t.Fatal(err)
	}
	router, err := shard.NewRouter(shards, partitions, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]wantRec{}
	var b feed.Batch
	for {
		b.Reset()
		if err := g.Next(t.Context(), &b); err != nil {
			break
		}
		for _, r := range b.Recs {
			p := int(router.Partition(r.Topic))
			seq := uint64(len(want[p]) + 1)
			want[p] = append(want[p], wantRec{seq, r.Kind, string(r.Topic), recordChecksum(seq, r.Topic, r.Payload)})
		}
	}

	check := func(p *proc, parts map[int]bool) {
		t.Helper()
		got := map[int][]pyRec{}
		recs := parsePyRecs(t, p.stdout.String())
		for _, r := range recs {
			got[r.partition] = append(got[r.partition], r)
		}
		total := 0
		for part, w := range want {
			if parts != nil && !parts[part] {
				if len(got[part]) != 0 {
					t.Fatalf("%s: %d records of partition %d, which it did not subscribe to", p.name, len(got[part]), part)
				}
				continue
			}
			total += len(w)
			g := got[part]
			if len(g) != len(w) {
				t.Fatalf("%s: partition %d: %d records, want %d", p.name, part, len(g), len(w))
			}
			for i, r := range g {
				wr := w[i]
				if r.seq != wr.seq || r.topic != wr.topic || r.kind != wr.kind || r.checksum != wr.checksum {
					t.Fatalf("%s: partition %d record %d: seq %d %s %c %08x, want seq %d %s %c %08x",
						p.name, part, i, r.seq, r.topic, r.kind, r.checksum, wr.seq, wr.topic, wr.kind, wr.checksum)
				}
				if r.publisher != strconv.FormatUint(pubID, 16) || r.shard != part%shards {
					t.Fatalf("%s: partition %d record %d: publisher %s shard %d, want %x and %d", p.name, part, i, r.publisher, r.shard, pubID, part%shards)
				}
				if r.epoch != recs[0].epoch || int64(r.epoch) < start || int64(r.epoch) > r.sendTS {
					t.Fatalf("%s: epoch %d (first %d) outside [test start %d, send time %d]", p.name, r.epoch, recs[0].epoch, start, r.sendTS)
				}
				if r.sourceTS < start || r.sourceTS > r.sendTS || r.sendTS > end {
					t.Fatalf("%s: timestamps source %d send %d not within the run [%d, %d] in that order", p.name, r.sourceTS, r.sendTS, start, end)
				}
			}
		}
		if len(recs) != total {
			t.Fatalf("%s: %d records, want %d", p.name, len(recs), total)
		}
		s := pySummary(t, p)
		if s["records"] != int64(total) || s["gaps"] != 0 || s["lost"] != 0 || s["malformed"] != 0 {
			t.Fatalf("%s: summary %v, want %d records, no gaps, loss or malformed frames", p.name, s, total)
		}
	}
	check(all, nil)
	check(some, map[int]bool{3: true, 4: true})
}

// fedMsg is one message feed_pub.py logged.
type fedMsg struct {
	good    bool
	kind    string // bad messages: which kind
	topic   string
	payload string // hex
	ts      string // "-" or ns
}

func readFeedLog(t *testing.T, path string) []fedMsg {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []fedMsg
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, " ")
		switch {
		case len(f) == 4 && f[0] == "good":
			out = append(out, fedMsg{good: true, topic: f[1], payload: f[2], ts: f[3]})
		case len(f) == 3 && f[0] == "bad":
			out = append(out, fedMsg{kind: f[1], topic: f[2]})
		default:
			t.Fatalf("%s: bad line %.80q", path, line)
		}
	}
	return out
}

// TestInteropUpstreamIngest: a pyzmq PUB (libzmq) sends [topic][payload]
// messages, some with a timestamp frame and some malformed; bbox pub
// ingests them with topic subscriptions, and both a bbox subscriber and a
// libzmq subscriber get every subscribed message intact, in order per
// topic, while the bad ones are counted and dropped. A quiet second in the
// middle proves heartbeats work both ways (libzmq PINGs bbox, bbox PINGs
// libzmq): the upstream connection must survive it.
func TestInteropUpstreamIngest(t *testing.T) {
	py := pythonZMQ(t)
	const sent = 1500
	subscribed := []string{"AAPL", "MSFT", "IBM", "GOOG"}
	ports := freePorts(t, 3)
	up := tcpEndpoints(ports[0])
	eps := strings.Split(tcpEndpoints(ports[1:]...), ",")
	dir := t.TempDir()
	feedLog, tap := filepath.Join(dir, "feed.log"), filepath.Join(dir, "sub.tap")

	// feed_pub.py sends topics round-robin, so which messages bbox takes is
	// known up front: --records makes bbox pub end, cleanly, after the last.
	topics := append(append([]string{}, subscribed...), "ZNOISE")
	records := 0
	for i := 0; i < sent; i++ {
		if i%len(topics) < len(subscribed) {
			records++
		}
	}

	// Every process waits for its peers (retries, --wait-subs, the XPUB's
	// --wait-subscriptions), so the start order does not matter.
	start := time.Now().UnixNano()
	sub := startBBox(t, "sub", "sub", "--connect", strings.Join(eps, ","), "--exit-on-eos", "--tap", tap, "--tap-payload", "--json")
	pysub := startPython(t, py, "bbox_sub.py", append([]string{"--exit-on-eos", "--timeout", "60"}, eps...)...)
	source := "zmq+" + up + "?topic=" + strings.Join(subscribed, "&topic=") + "&kind=Q&heartbeat=100ms&timeout=600ms"
	pub := startBBox(t, "pub", "pub", "--bind", strings.Join(eps, ","), "--source", source,
		"--records", strconv.Itoa(records), "--id", "77", "--wait-subs", "2", "--json")
	feeder := startPython(t, py, "feed_pub.py", "--bind", up, "--count", strconv.Itoa(sent),
		"--topics", strings.Join(topics, ","), "--wait-subscriptions", strconv.Itoa(len(subscribed)),
		"--timestamps", "--bad", "7", "--pause-after", strconv.Itoa(sent/2), "--pause", "1", "--heartbeat", "100",
		"--log", feedLog, "--seed", "3")
	for _, p := range []*proc{feeder, pub, sub, pysub} {
		if code := p.wait(60 * time.Second); code != 0 {
			t.Fatalf("%s exited %d:\n%s", p.name, code, tail(p.stderr.String(), 20))
		}
	}
	end := time.Now().UnixNano()

	// What bbox should have taken: subscribed good messages, per topic in
	// order; and the bad ones before the last of them, by kind.
	fed := readFeedLog(t, feedLog)
	isSub := func(topic string) bool {
		for _, s := range subscribed {
			if strings.HasPrefix(topic, s) {
				return true
			}
		}
		return false
	}
	type want struct{ payload, ts string }
	wants := map[string][]want{}
	var good int
	bad := map[string]int64{}
	var pendingBad []string
	for _, m := range fed {
		switch {
		case !isSub(m.topic):
		case m.good:
			wants[m.topic] = append(wants[m.topic], want{m.payload, m.ts})
			good++
			for _, k := range pendingBad {
				bad[k]++
			}
			pendingBad = pendingBad[:0]
		default:
			class := map[string]string{"one-frame": "malformed", "four-frames": "malformed", "short-ts": "malformed",
				"zero-ts": "malformed", "long-topic": "bad_topic", "too-large": "too_large"}[m.kind]
			pendingBad = append(pendingBad, class)
		}
	}
	if good != records || bad["malformed"] == 0 || bad["bad_topic"] == 0 || bad["too_large"] == 0 {
		t.Fatalf("feed log: %d subscribed good messages (want %d), bad ones %v: the test feed is not what the test assumes", good, records, bad)
	}

	// bbox pub took exactly those, dropped and counted the bad ones, and
	// kept one connection through the quiet second.
	var ps struct {
		RecordsPublished int64           `json:"records_published"`
		Upstream         *upstream.Stats `json:"upstream"`
	}
	pub.summary(&ps)
	u := ps.Upstream
	if ps.RecordsPublished != int64(records) || u == nil || u.Records != int64(records) ||
		u.Malformed != bad["malformed"] || u.BadTopic != bad["bad_topic"] || u.TooLarge != bad["too_large"] || u.Filtered != 0 {
		t.Fatalf("bbox pub: published %d, upstream %+v; want %d records and bad ones %v", ps.RecordsPublished, u, records, bad)
	}
	if u.Connects != 1 || u.Silent != 0 {
		t.Fatalf("upstream connection did not survive the quiet second (heartbeats): %+v", u)
	}

	// bbox sub: every record, payloads byte for byte, per topic in order.
	var ss jsonSummary
	sub.summary(&ss)
	if ss.RecordsReceived != int64(records) || ss.Gaps != 0 || ss.RecordsLost != 0 || ss.FramesMalformed != 0 {
		t.Fatalf("bbox sub: %d records, %d gaps, %d lost, %d malformed; want %d and none", ss.RecordsReceived, ss.Gaps, ss.RecordsLost, ss.FramesMalformed, records)
	}
	type tapRec struct {
		seq     uint64
		payload string
	}
	byTopic := map[string][]tapRec{}
	topicPart := map[string]string{}
	f, err := os.Open(tap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 7 || fl[0] != "4d" {
			t.Fatalf("tap line %.100q: want 7 fields from publisher 4d (77)", sc.Text())
		}
		seq, _ := strconv.ParseUint(fl[4], 10, 64)
		topic, payload := fl[5], fl[6]
		if payload == "-" {
			payload = ""
		}
		if p, ok := topicPart[topic]; ok && p != fl[3] {
			t.Fatalf("topic %s in partitions %s and %s", topic, p, fl[3])
		}
		topicPart[topic] = fl[3]
		byTopic[topic] = append(byTopic[topic], tapRec{seq, payload})
		n++
	}
	if n != records {
		t.Fatalf("tap has %d records, want %d", n, records)
	}
	for topic, w := range wants {
		g := byTopic[topic]
		sort.Slice(g, func(i, j int) bool { return g[i].seq < g[j].seq }) // workers interleave lines
		if len(g) != len(w) {
			t.Fatalf("bbox sub: topic %s: %d records, want %d", topic, len(g), len(w))
		}
		for i := range w {
			if g[i].payload != w[i].payload {
				t.Fatalf("bbox sub: topic %s record %d (seq %d): payload %.40s…, want %.40s…", topic, i, g[i].seq, g[i].payload, w[i].payload)
			}
		}
	}

	// The libzmq subscriber: same records, checksums over the sequence bbox
	// gave them, kind from the spelling, and source times as the upstream
	// sent them (timestamp frame) or as bbox received them.
	got := map[string][]pyRec{}
	for _, r := range parsePyRecs(t, pysub.stdout.String()) {
		got[r.topic] = append(got[r.topic], r)
	}
	for topic, w := range wants {
		g := got[topic]
		if len(g) != len(w) {
			t.Fatalf("bbox_sub.py: topic %s: %d records, want %d", topic, len(g), len(w))
		}
		for i, r := range g {
			payload, _ := hex.DecodeString(w[i].payload)
			if c := recordChecksum(r.seq, []byte(topic), payload); r.checksum != c || r.kind != 'Q' || r.publisher != "4d" {
				t.Fatalf("bbox_sub.py: topic %s record %d: seq %d kind %c publisher %s checksum %08x, want kind Q publisher 4d checksum %08x",
					topic, i, r.seq, r.kind, r.publisher, r.checksum, c)
			}
			if i > 0 && r.seq <= g[i-1].seq {
				t.Fatalf("bbox_sub.py: topic %s out of order: seq %d after %d", topic, r.seq, g[i-1].seq)
			}
			if w[i].ts != "-" {
				if strconv.FormatInt(r.sourceTS, 10) != w[i].ts {
					t.Fatalf("bbox_sub.py: topic %s record %d: source time %d, want the upstream's %s", topic, i, r.sourceTS, w[i].ts)
				}
			} else if r.sourceTS < start || r.sourceTS > r.sendTS {
				t.Fatalf("bbox_sub.py: topic %s record %d: receive time %d not in [%d, send time %d]", topic, i, r.sourceTS, start, r.sendTS)
			}
			if r.sendTS < start || r.sendTS > end {
				t.Fatalf("bbox_sub.py: send time %d outside the run [%d, %d]", r.sendTS, start, end)
			}
		}
	}
	if s := pySummary(t, pysub); s["records"] != int64(records) || s["gaps"] != 0 || s["malformed"] != 0 {
		t.Fatalf("bbox_sub.py summary %v, want %d records and no gaps", s, records)
	}
}

// TestInteropUpstreamHeartbeats: each side's ZMTP heartbeat works against
// libzmq on its own. A quiet second in the feed must not cost the
// upstream connection when only libzmq PINGs (bbox must answer with
// PONGs, or libzmq drops it) and when only bbox PINGs (libzmq must answer,
// or bbox redials).
func TestInteropUpstreamHeartbeats(t *testing.T) {
	py := pythonZMQ(t)
	f := func(name, options string, feedArgs ...string) {
		t.Helper()
		ports := freePorts(t, 2)
		up := tcpEndpoints(ports[0])
		const count = 100
		pub := startBBox(t, "pub "+name, "pub", "--bind", tcpEndpoints(ports[1]), "--source", "zmq+"+up+"?"+options,
			"--records", strconv.Itoa(count), "--json")
		feeder := startPython(t, py, "feed_pub.py", append([]string{"--bind", up, "--count", strconv.Itoa(count),
			"--pause-after", "50", "--pause", "1"}, feedArgs...)...)
		for _, p := range []*proc{feeder, pub} {
			if code := p.wait(60 * time.Second); code != 0 {
				t.Fatalf("%s: %s exited %d:\n%s", name, p.name, code, tail(p.stderr.String(), 20))
			}
		}
		var ps struct {
			Upstream *upstream.Stats `json:"upstream"`
		}
		pub.summary(&ps)
		if u := ps.Upstream; u == nil || u.Records != count || u.Connects != 1 || u.Silent != 0 {
			t.Fatalf("%s: upstream %+v: want %d records over one connection", name, u, count)
		}
	}
	f("libzmq pings, bbox answers", "heartbeat=off", "--heartbeat", "100")
	f("bbox pings, libzmq answers", "heartbeat=100ms&timeout=600ms")
}

// TestInteropPythonSubscriberHeartbeats: a libzmq subscriber that PINGs
// (ZMQ_HEARTBEAT_IVL 100ms, timeout 300ms) keeps its connections to a
// publisher that is quiet for about 500ms at a time: bbox answers each PING
// at once, not with its next frame.
func TestInteropPythonSubscriberHeartbeats(t *testing.T) {
	py := pythonZMQ(t)
	eps := strings.Split(tcpEndpoints(freePorts(t, 2)...), ",")
	sub := startPython(t, py, "bbox_sub.py", append([]string{"--heartbeat", "100", "--exit-on-eos", "--timeout", "30"}, eps...)...)
	pub := startBBox(t, "pub", "pub", "--bind", strings.Join(eps, ","), "--rate", "2", "--records", "6", "--wait-subs", "1", "--json")
	for _, p := range []*proc{pub, sub} {
		if code := p.wait(60 * time.Second); code != 0 {
			t.Fatalf("%s exited %d:\n%s", p.name, code, tail(p.stderr.String(), 20))
		}
	}
	var ps jsonSummary
	pub.summary(&ps)
	if len(ps.Connections) != 2 {
		t.Fatalf("bbox pub saw %d subscriber connections, want 2 (one per shard, never dropped): %+v", len(ps.Connections), ps.Connections)
	}
	for _, c := range ps.Connections {
		if c.State != "publisher closed" {
			t.Fatalf("connection %s on shard %d ended %q, want \"publisher closed\"", c.Peer, c.Shard, c.State)
		}
	}
	if s := pySummary(t, sub); s["records"] != 6 || s["gaps"] != 0 {
		t.Fatalf("bbox_sub.py summary %v, want 6 records and no gaps", s)
	}
}

// pyDecodeScript decodes "PREFIX_HEX FRAME_HEX" lines with bbox_sub.py's
// decoder and prints the verdict and every field, one line per frame.
const pyDecodeScript = `
import sys
sys.path.insert(0, sys.argv[1])
import bbox_sub
for line in sys.stdin:
    pre, fr = line.rstrip("\n").split(" ")
    try:
        h, recs = bbox_sub.decode(bytes.fromhex(pre), bytes.fromhex(fr))
    except bbox_sub.Malformed:
        print("bad")
        continue
    print("ok %(publisher)d %(epoch)d %(shard)d %(shards)d %(partition)d %(partitions)d %(flags)d %(first_seq)d %(count)d" % h,
          " ".join("%d:%d:%d:%d:%s:%s" % (q, k, s, src, t.hex(), p.hex()) for q, k, s, src, t, p in recs))
`

// goDecodeLine is what pyDecodeScript prints, computed with feed's decoder.
func goDecodeLine(prefix, frame []byte) string {
	part, ok := feed.ParsePrefix(prefix)
	recs, h, err := feed.DecodeFrame(frame, nil)
	if !ok || err != nil || h.Partition != part {
		return "bad"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ok %d %d %d %d %d %d %d %d %d ", h.Publisher, h.Epoch, h.Shard, h.Shards, h.Partition, h.Partitions, h.Flags, h.FirstSeq, h.Count)
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d:%d:%d:%x:%x", r.Seq, r.Kind, r.SendTS, r.SourceTS, r.Topic, r.Payload)
	}
	return b.String()
}

// TestInteropPythonDecoder: the Python decoder, written from docs/wire.md,
// and feed.DecodeFrame agree on the document's example, on valid frames of
// every kind and on thousands of corrupted ones: same verdict, same fields.
func TestInteropPythonDecoder(t *testing.T) {
	py := pythonZMQ(t)
	type msg struct{ prefix, frame []byte }
	var msgs []msg
	add := func(h feed.Header, recs ...feed.Record) {
		var e feed.Encoder
		e.Reset(nil, h)
		for i := range recs {
			if err := e.Append(&recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		msgs = append(msgs, msg{feed.PartitionPrefix(nil, h.Partition), append([]byte(nil), e.Finish()...)})
	}
	// docs/wire.md section 7, then the other kinds of frame.
	add(feed.Header{Shard: 1, Shards: 2, Partition: 5, Partitions: 8, Publisher: 1, Epoch: 2, FirstSeq: 100},
		feed.Record{Topic: []byte("MSFT"), Kind: 'P', SendTS: 3, SourceTS: 4, Payload: []byte("hello")})
	g, err := feed.NewGenerator(feed.GenConfig{Seed: 5, VarySize: true, Chunk: 7})
	if err != nil {
		t.Fatal(err)
	}
	var b feed.Batch
	g.Next(t.Context(), &b)
	for i := range b.Recs {
		b.Recs[i].Seq = uint64(1000 + 3*i)
		b.Recs[i].SendTS = -int64(i) // signed: a reader must not take these as unsigned
	}
	add(feed.Header{Shard: 3, Shards: 4, Partition: 0xbeef, Partitions: 0x10000, Publisher: 1<<64 - 1, Epoch: 1 << 63, FirstSeq: 1}, b.Recs...)
	add(feed.Header{Flags: feed.FlagSeq, Partition: 2, Partitions: 4, Publisher: 9, Epoch: 9, FirstSeq: 1000}, b.Recs...)
	add(feed.Header{Flags: feed.FlagSeq, Partition: 2, Partitions: 4, Publisher: 9, Epoch: 9},
		feed.Record{Topic: []byte{0, ' ', 0xff}, Seq: 0, Kind: 0}) // empty payload, odd topic bytes
	add(feed.Header{Flags: feed.FlagHeartbeat, Partition: 1, Partitions: 2, Publisher: 7, Epoch: 8, FirstSeq: 1})
	add(feed.Header{Flags: feed.FlagEOS, Partition: 1, Partitions: 2, Publisher: 7, Epoch: 8, FirstSeq: 55})
	valid := len(msgs)
	// Corruptions that each break one documented rule.
	bad := func(i int, f func(m *msg)) {
		m := msg{append([]byte(nil), msgs[i].prefix...), append([]byte(nil), msgs[i].frame...)}
		f(&m)
		msgs = append(msgs, m)
	}
	reCRC := func(m *msg) {
		hl := int(binary.LittleEndian.Uint16(m.frame[4:]))
		binary.LittleEndian.PutUint32(m.frame[52:], crc32.ChecksumIEEE(m.frame[hl:]))
	}
	bad(0, func(m *msg) { m.prefix = []byte("p0006") })                                                              // prefix names another partition
	bad(0, func(m *msg) { m.prefix = []byte("p0_05") })                                                              // not four hex digits
	bad(0, func(m *msg) { m.frame[len(m.frame)-1] ^= 1 })                                                            // CRC
	bad(0, func(m *msg) { m.frame[3] = 8 })                                                                          // unknown flag
	bad(0, func(m *msg) { binary.LittleEndian.PutUint64(m.frame[40:], 0) })                                          // first_seq 0
	bad(4, func(m *msg) { binary.LittleEndian.PutUint32(m.frame[20:], 1) })                                          // heartbeat with a count
	bad(0, func(m *msg) { m.frame = append(m.frame, 0); binary.LittleEndian.PutUint32(m.frame[48:], 30); reCRC(m) }) // a byte after the records
	bad(0, func(m *msg) { m.frame[56+2] = 0; reCRC(m) })                                                             // empty topic
	bad(0, func(m *msg) { m.frame[56+2] = 10; reCRC(m) })                                                            // topic past the record
	// A longer header (a later version's fields) is skipped by both.
	bad(0, func(m *msg) {
		f := append(append(append([]byte(nil), m.frame[:56]...), 0xAA, 0xBB, 0xCC, 0xDD), m.frame[56:]...)
		binary.LittleEndian.PutUint16(f[4:], 60)
		m.frame = f
	})
	// Random damage: flip, truncate or extend, with the CRC fixed up half
	// the time so the record checks behind it are reached too.
	for i := 0; i < 3000; i++ {
		r := uint64(i)*0x9e3779b97f4a7c15 + 1
		bad(int(r%uint64(valid)), func(m *msg) {
			switch r >> 8 % 3 {
			case 0:
				m.frame[int(r>>16)%len(m.frame)] ^= byte(r>>32) | 1
			case 1:
				m.frame = m.frame[:int(r>>16)%len(m.frame)]
			default:
				m.frame = append(m.frame, byte(r>>24))
			}
			if r>>40&1 == 1 && len(m.frame) >= 56 {
				hl := int(binary.LittleEndian.Uint16(m.frame[4:]))
				if hl >= 56 && hl <= len(m.frame) {
					binary.LittleEndian.PutUint32(m.frame[48:], uint32(len(m.frame)-hl))
					reCRC(m)
				}
			}
		})
	}
	var in strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&in, "%x %x\n", m.prefix, m.frame)
	}
	cmd := exec.Command(py, "-c", pyDecodeScript, example(""))
	cmd.Stdin = strings.NewReader(in.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python decoder: %v\n%s", err, tail(stderr.String(), 20))
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(msgs) {
		t.Fatalf("python decoded %d frames, want %d", len(lines), len(msgs))
	}
	accepted := 0
	for i, m := range msgs {
		want := strings.TrimSpace(goDecodeLine(m.prefix, m.frame))
		if got := strings.TrimSpace(lines[i]); got != want {
			t.Fatalf("frame %d (%x %.120x…):\n python %.300s\n     go %.300s", i, m.prefix, m.frame, got, want)
		}
		if want != "bad" {
			accepted++
		}
	}
	if accepted < valid+1 || accepted == len(msgs) {
		t.Fatalf("%d of %d frames accepted: the corruptions do not exercise both verdicts", accepted, len(msgs))
	}
	t.Logf("%d frames, %d accepted by both decoders", len(msgs), accepted)
}

// TestUpstreamSourceUsage: a bad upstream spelling is a usage error that
// names the flag, the spelling and what is wrong with it.
func TestUpstreamSourceUsage(t *testing.T) {
	ep := tcpEndpoints(freePorts(t, 1)...)
	f := func(source, want string) {
		t.Helper()
		code, p := runBBox(t, 10*time.Second, "pub", "--bind", ep, "--source", source)
		errOut := p.stderr.String()
		if code != exitUsage || !strings.Contains(errOut, "--source") || !strings.Contains(errOut, strconv.Quote(source)) || !strings.Contains(errOut, want) {
			t.Fatalf("--source %s: exit %d, stderr %q; want exit 2 naming --source, the spelling and %q", source, code, errOut, want)
		}
	}
	f("zmq+tcp://127.0.0.1:5556?kind=QQ", "one printable ASCII character")
	f("zmq+tcp://127.0.0.1:5556?topics=A", `unknown option "topics"`)
	f("zmq+tcp://127.0.0.1", "missing port")
	f("zmq+pgm://239.0.0.1:5556", "unsupported transport")
}
