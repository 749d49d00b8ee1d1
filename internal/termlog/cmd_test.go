package termlog

import (
	"fmt"
	"os"
	"strings"
	"sync"
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

// Each index of a Rates keeps its own last count.
func TestRates(t *testing.T) {
	var r Rates
	if a, b := r.Of(0, 100), r.Of(-1, 100); a <= 0 || b <= 0 {
		t.Errorf("first rates %v, %v: want ones since the process started", a, b)
	}
	time.Sleep(time.Millisecond)
	if a, b := r.Rate(100), r.Of(-1, 200); a != 0 || b <= 0 {
		t.Errorf("index 0 unchanged: %v (want 0); index -1 moved: %v (want > 0)", a, b)
	}
}

// WhileStatus draws the line while run runs, clears it after, and says
// how long run took.
func TestWhileStatus(t *testing.T) {
	var b syncBuf
	l := New(Config{W: &b, TTY: true, Redraw: 5 * time.Millisecond, Width: func() int { return 80 }})
	drawn := make(chan struct{})
	var once sync.Once
	took := l.WhileStatus(func(el time.Duration, r *Rates) string {
		once.Do(func() { close(drawn) })
		return fmt.Sprintf("n %.0f", r.Of(3, 0))
	}, func() {
		select {
		case <-drawn:
		case <-time.After(10 * time.Second):
		}
	})
	out := b.String()
	if took <= 0 || !strings.Contains(out, "\r\033[Kn 0") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("took %v, wrote %q", took, out)
	}
}
