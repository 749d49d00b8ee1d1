package termlog

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSay(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, Component: "sub"})
	l.Say("banner line")
	l.Say("warning: sub-1 shard 0: gap of 5")
	l.Say("CROAK: sub-1 shard 0: record late")
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "banner line" || !strings.Contains(lines[1], "WARN") || !strings.Contains(lines[2], "ERROR") {
		t.Errorf("Say wrote:\n%s", out)
	}
}

func TestRater(t *testing.T) {
	var r Rater
	if v := r.Rate(100); v <= 0 {
		t.Errorf("first rate %v: want one since the process started", v)
	}
	time.Sleep(time.Millisecond)
	if v := r.Rate(100); v != 0 {
		t.Errorf("no change, rate %v", v)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a file is a terminal")
	}
}
