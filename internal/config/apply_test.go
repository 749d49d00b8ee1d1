package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func sideFlags(side string) *flag.FlagSet {
	fs := flag.NewFlagSet("bbox "+side, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range map[string][]string{
		"pub":    {"bind", "rate", "wait-subs"},
		"sub":    {"connect", "cpus", "push", "workers", "order", "worker-cpus", "max-delay", "topics"},
		"worker": {"connect"},
	}[side] {
		fs.String(n, "", "the "+n)
	}
	return fs
}

func TestApply(t *testing.T) {
	top, err := Decode("two.conf", []byte(twoBoxes))
	if err != nil {
		t.Fatal(err)
	}
	fs := sideFlags("pub")
	fs.Set("rate", "5") // the command line's
	notes, err := top.Apply(fs, "pub", nil)
	if err != nil || fs.Lookup("bind").Value.String() != strings.Join(top.Binds(), ",") || fs.Lookup("rate").Value.String() != "5" || fs.Lookup("wait-subs").Value.String() != "1" {
		t.Fatalf("pub: %v, %q", err, notes)
	}
	if len(notes) != 1 || notes[0] != "--rate on the command line overrides two.conf:3 ([pub] rate)" {
		t.Errorf("notes %q", notes)
	}
	fs = sideFlags("sub")
	if _, err := top.Apply(fs, "sub", nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"connect": strings.Join(top.Connects(), ","), "cpus": "2,3", "push": "tcp://10.0.1.2:7101", "topics": "AAPL,MSFT"} {
		if got := fs.Lookup(name).Value.String(); got != want {
			t.Errorf("sub --%s = %q, want %q", name, got, want)
		}
	}
	fs = sideFlags("worker")
	if _, err := top.Apply(fs, "worker", nil); err != nil || fs.Lookup("connect").Value.String() != "tcp://10.0.1.2:7101" {
		t.Errorf("worker: %v, --connect %s", err, fs.Lookup("connect").Value)
	}
}

func TestApplyErrors(t *testing.T) {
	for _, c := range []struct{ side, text, want string }{
		{"pub", "[pub]\nnope = 1\n", "t.conf:2: [pub] nope: bbox pub has no flag --nope (bbox pub -h lists them)"},
		{"pub", "[pub]\nconfig = x.conf\n", "t.conf:2: [pub] config: a config file cannot name another"},
		{"pub", "[pub]\nbind = tcp://h:1\n[shard 0]\nendpoint = tcp://h:2\n", "t.conf:2: [pub] bind is also set by the [shard N] sections (line 3): keep one"},
		{"sub", "[sub]\nworkers = 2\n[workers]\ncount = 3\n", "t.conf:2: [sub] workers is also set by [workers] count (line 4): keep one"},
		{"pub", "[pub]\nrate = fast\n", `t.conf:2: [pub] rate = "fast": invalid value for --rate (the rate): bad rate`},
		{"worker", "[pub]\nrate = 1\n", "t.conf: no [workers] endpoint: bbox worker connects to it (or give --connect)"},
		{"tune", "[pub]\n", "t.conf: no section for bbox tune"},
	} {
		top, err := Decode("t.conf", []byte(c.text))
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		set := func(name, value string) error {
			if value == "fast" {
				return errors.New("bad rate")
			}
			return nil
		}
		if _, err := top.Apply(sideFlags(c.side), c.side, set); err == nil || err.Error() != c.want {
			t.Errorf("%s %q: %v, want %s", c.side, c.text, err, c.want)
		}
	}
	// A worker given --connect needs no [workers] endpoint.
	top, _ := Decode("t.conf", []byte("[pub]\n"))
	fs := sideFlags("worker")
	fs.Set("connect", "tcp://h:1")
	if notes, err := top.Apply(fs, "worker", nil); err != nil || notes != nil {
		t.Errorf("worker --connect: %q, %v", notes, err)
	}
}
