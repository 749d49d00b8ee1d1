package cli

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestChecked(t *testing.T) {
	fs := flag.NewFlagSet("prog cmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	v := "none"
	fs.Var(Checked(&v, func(s string) error {
		if s != "none" && s != "auto" {
			return errors.New("want none or auto")
		}
		return nil
	}), "cpus", "cores")
	if f := fs.Lookup("cpus"); f.DefValue != "none" {
		t.Fatalf("default %q, want none", f.DefValue)
	}
	if err := spec.Parse(fs, []string{"--cpus", "bogus"}); err == nil || err.Error() != "--cpus bogus: want none or auto" || v != "none" {
		t.Fatalf("bogus: %v, value %q", err, v)
	}
	if err := spec.Parse(fs, []string{"--cpus", "auto"}); err != nil || v != "auto" {
		t.Fatalf("auto: %v, value %q", err, v)
	}
	if s := Checked(nil, nil).String(); s != "" {
		t.Fatalf("zero value's String %q", s)
	}
}

func TestDurationAtLeast(t *testing.T) {
	f := func(min time.Duration, arg string, want time.Duration, wantErr string) {
		t.Helper()
		fs := flag.NewFlagSet("prog cmd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := 7 * time.Second
		fs.Func("every", "interval (default 7s)", DurationAtLeast(min, &d))
		err := spec.Parse(fs, []string{"--every", arg})
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || err.Error() != wantErr) || d != want {
			t.Fatalf("min %v, --every %s: %v, value %v; want %q, %v", min, arg, err, d, wantErr, want)
		}
	}
	f(0, "0", 0, "")
	f(0, "1.5s", 1500*time.Millisecond, "")
	f(0, "-1s", 7*time.Second, "--every -1s: want a duration ≥ 0 such as 1s")
	f(0, "soon", 7*time.Second, "--every soon: want a duration ≥ 0 such as 1s")
	f(10*time.Millisecond, "10ms", 10*time.Millisecond, "")
	f(10*time.Millisecond, "9ms", 7*time.Second, "--every 9ms: want a duration of at least 10ms")

	// A Func flag shows the default its usage states, once.
	fs := flag.NewFlagSet("prog cmd", flag.ContinueOnError)
	var d time.Duration
	fs.Func("every", "interval (default 1s)", DurationAtLeast(0, &d))
	if u := spec.Usage(fs, "", ""); strings.Count(u, "default") != 1 {
		t.Fatalf("help:\n%s", u)
	}
}
