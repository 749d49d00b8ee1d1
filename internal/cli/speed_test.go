package cli

import (
	"flag"
	"io"
	"testing"
)

func TestSpeed(t *testing.T) {
	for in, want := range map[string]float64{"max": 0, "1x": 1, "10x": 10, "0.5x": 0.5} {
		s := Speed(3)
		if err := s.Set(in); err != nil || float64(s) != want {
			t.Errorf("Speed.Set(%q) = %v, %v; want %v", in, float64(s), err, want)
		}
		if got := s.String(); got != in {
			t.Errorf("Speed(%v).String() = %q, want %q", want, got, in)
		}
	}
	for _, in := range []string{"", "1", "x", "-1x", "0x", "fast"} {
		s := Speed(3)
		if err := s.Set(in); err == nil || s != 3 {
			t.Errorf("Speed.Set(%q) accepted (now %v)", in, float64(s))
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := Speed(1)
	fs.Var(&s, "speed", "")
	if err := fs.Parse([]string{"--speed", "2x"}); err != nil || s != 2 || fs.Lookup("speed").DefValue != "1x" {
		t.Errorf("as a flag: %v, %v, default %q", float64(s), err, fs.Lookup("speed").DefValue)
	}
}
