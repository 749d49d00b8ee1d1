package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const twoBoxes = `# two boxes, two NICs each
[pub]
rate = 200000          # records/s
wait-subs = 1

[sub]
max-delay = 5ms
topics = "AAPL,MSFT"

[workers]
endpoint = tcp://10.0.1.2:7101

[shard 0]
endpoint = tcp://10.0.1.1:7001
pub-nic = eth1
sub-nic = eth1
sub-cpu = 2

[shard 1]
bind = tcp://*:7002
connect = tcp://10.0.2.1:7002
pub-nic = eth2
sub-nic = 10.0.2.2
sub-cpu = 3
`

func TestDecodeTwoBoxes(t *testing.T) {
	top, err := Decode("two.conf", []byte(twoBoxes))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := top.Binds(), []string{"tcp://eth1;10.0.1.1:7001", "tcp://eth2;*:7002"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Binds = %q, want %q", got, want)
	}
	if got, want := top.Connects(), []string{"tcp://eth1;10.0.1.1:7001", "tcp://10.0.2.2;10.0.2.1:7002"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Connects = %q, want %q", got, want)
	}
	if got, want := top.SubCPUs(), []int{2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("SubCPUs = %v, want %v", got, want)
	}
	if st, _ := top.Pub.Get("rate"); st.Value != "200000" || st.Line != 3 {
		t.Errorf("[pub] rate = %+v, want 200000 at line 3 (comment stripped)", st)
	}
	if st, _ := top.Sub.Get("topics"); st.Value != "AAPL,MSFT" {
		t.Errorf("[sub] topics = %q", st.Value)
	}
	if st, _ := top.Workers.Get("endpoint"); st.Value != "tcp://10.0.1.2:7101" {
		t.Errorf("[workers] endpoint = %q", st.Value)
	}
}

// Every mistake names the file and the line it is on.
func TestDecodeErrors(t *testing.T) {
	f := func(text, wantLoc, wantMsg string) {
		t.Helper()
		_, err := Decode("t.conf", []byte(text))
		if err == nil {
			t.Errorf("%q: no error, want %s %s", text, wantLoc, wantMsg)
			return
		}
		if !strings.Contains(err.Error(), "t.conf:"+wantLoc+":") || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("%q:\n got %v\nwant t.conf:%s: ...%s...", text, err, wantLoc, wantMsg)
		}
	}
	f("rate = 1\n", "1", "outside any section")
	f("[pub]\nrate 1\n", "2", "want `key = value`")
	f("[pub]\nRate = 1\n", "2", "bad key")
	f("[pub]\nrate = 1\nrate = 2\n", "3", "given again (first at line 2)")
	f("[pub]\n[pub]\n", "2", "section [pub] again (first at line 1)")
	f("[pub\n", "1", "bad section header")
	f("[shard x]\n", "1", "bad section number")
	f("[shard 01]\n", "1", "bad section number")
	f("[shard]\nendpoint = tcp://h:1\n", "1", "needs its number")
	f("[box]\n", "1", "unknown section [box]")
	f("[pub]\nx = \"abc\n", "2", "unterminated")
	f("[pub]\nx = \"abc\" d\n", "2", "after the quoted value")
	f("\n[shard 0]\nendpoint = tcp://h:1\n[shard 2]\nendpoint = tcp://h:3\n", "4", "no [shard 1]")
	f("[shard 0]\npub-nic = eth0\n", "1", "needs endpoint")
	f("[shard 0]\nendpoint = udp://h:1\n", "2", "unsupported transport")
	f("[shard 0]\nendpoint = tcp://h:1\nnic = eth0\n", "3", `no setting "nic"`)
	f("[shard 0]\nendpoint = ipc:///tmp/x\nsub-nic = eth0\n", "3", "not tcp")
	f("[shard 0]\nendpoint = tcp://eth0;h:1\nsub-nic = eth1\n", "3", "already names its interface")
	f("[shard 0]\nendpoint = tcp://h:1\npub-nic = a/b\n", "3", "want an interface name")
	f("[shard 0]\nendpoint = tcp://h:1\npub-nic = 10.0.0.1\n", "3", "is an address")
	f("[shard 0]\nendpoint = tcp://h:1\nsub-cpu = two\n", "3", "want one core number")
	f("[shard 0]\nendpoint = tcp://h:1\nsub-cpu = 1\n[shard 1]\nendpoint = tcp://h:2\n", "4", "no sub-cpu but other shards do")
	f("[workers]\ncount = 0\n", "2", "at least 1")
	f("[workers]\nendpoint = tcp:/x\n", "2", "endpoint")
	f("[workers]\nthreads = 2\n", "2", `no setting "threads"`)
}

func TestParseValues(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		file, err := Parse("v.conf", []byte("[pub]\n"+line+"\n"))
		if err != nil {
			t.Errorf("%q: %v", line, err)
			return
		}
		if got := file.Sections[0].Settings[0].Value; got != want {
			t.Errorf("%q: value %q, want %q", line, got, want)
		}
	}
	f("k = v", "v")
	f("k=v", "v")
	f("  k  =  a b  ", "a b")
	f("k = v # note", "v")
	f("k = v\t# note", "v")
	f("k = tcp://h:1#x", "tcp://h:1#x")
	f(`k = " padded # not a comment "  # a comment`, " padded # not a comment ")
	f(`k = ""`, "")
	f("k =", "")
	f("k = a = b", "a = b")
	f("k = v\r", "v")
}

func TestFormatRoundTrip(t *testing.T) {
	f, err := Parse("r.conf", []byte(twoBoxes+"[sub 2]\nodd = \" x#y\\t\"\nempty = \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Parse("r.conf", f.Format())
	if err != nil {
		t.Fatalf("formatted file does not parse: %v\n%s", err, f.Format())
	}
	if !sameFile(f, g) {
		t.Fatalf("round trip changed the file:\n%s\nvs\n%s", f.Format(), g.Format())
	}
}

// sameFile compares sections and settings, not line numbers.
func sameFile(a, b *File) bool {
	if len(a.Sections) != len(b.Sections) {
		return false
	}
	for i, s := range a.Sections {
		o := b.Sections[i]
		if s.Name != o.Name || s.Index != o.Index || len(s.Settings) != len(o.Settings) {
			return false
		}
		for j, st := range s.Settings {
			if st.Key != o.Settings[j].Key || st.Value != o.Settings[j].Value {
				return false
			}
		}
	}
	return true
}

// The README's two-box example is a valid topology file.
func TestREADMEExample(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("no README here")
	}
	_, rest, ok := strings.Cut(string(b), "```ini\n")
	if !ok {
		t.Fatal("README has no ```ini topology example")
	}
	text, _, _ := strings.Cut(rest, "```")
	top, err := Decode("README.md example", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := top.Binds(), []string{"tcp://eth1;10.0.1.1:7001", "tcp://eth2;10.0.2.1:7002"}; !reflect.DeepEqual(got, want) {
		t.Errorf("README example binds %q, want %q", got, want)
	}
	if got := top.SubCPUs(); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("README example cores %v", got)
	}
}
