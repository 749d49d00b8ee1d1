package tuning

import (
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
)

func TestParseRuntimeValues(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	g := func(s string, want int, ok bool) {
		t.Helper()
		got, err := ParseGOGC(s)
		if (err == nil) != ok || (ok && got != want) {
			t.Errorf("ParseGOGC(%q) = %d, %v; want %d ok=%v", s, got, err, want, ok)
		}
	}
	g("", 100, true)
	g("off", -1, true)
	g("400", 400, true)
	g("-5", 0, false)
	g("lots", 0, false)
	t.Setenv("GOGC", "250")
	g("", 250, true)

	b := func(s string, want int64, ok bool) {
		t.Helper()
		got, err := ParseBytes(s)
		if (err == nil) != ok || (ok && got != want) {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d ok=%v", s, got, err, want, ok)
		}
	}
	b("", math.MaxInt64, true)
	b("off", math.MaxInt64, true)
	b("4GiB", 4<<30, true)
	b("512MiB", 512<<20, true)
	b("1000", 1000, true)
	b("1000B", 1000, true)
	b("4GB", 0, false)
	b("-1", 0, false)
	b("99999999999TiB", 0, false)
	t.Setenv("GOMEMLIMIT", "1GiB")
	b("", 1<<30, true)

	for n, want := range map[int64]string{4 << 30: "4GiB", 1536 << 20: "1536MiB", 1000: "1000B", 16 << 20: "16MiB", 0: "0B", 1: "1B", -2048: "-2048B"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRuntimeApply(t *testing.T) {
	before := CurrentRuntime()
	t.Cleanup(func() {
		runtime.GOMAXPROCS(before.MaxProcs)
		debug.SetGCPercent(before.GOGC)
		debug.SetMemoryLimit(before.MemLimit)
	})
	st, err := Runtime{GOGC: "300", MemLimit: "3GiB"}.Apply()
	if err != nil {
		t.Fatal(err)
	}
	want := RuntimeState{MaxProcs: before.MaxProcs, GOGC: 300, MemLimit: 3 << 30}
	if st != want {
		t.Errorf("Apply = %+v, want %+v", st, want)
	}
	if s := st.String(); s != "GOMAXPROCS="+strconv.Itoa(before.MaxProcs)+" GOGC=300 GOMEMLIMIT=3GiB" {
		t.Errorf("String = %q", s)
	}
	if _, err := (Runtime{MemLimit: "3 GiB"}).Apply(); err == nil {
		t.Error("Apply with a bad memory limit: no error")
	}
	if _, err := (Runtime{MaxProcs: -1}).Apply(); err == nil {
		t.Error("Apply with GOMAXPROCS -1: no error")
	}
}

// A bad $GOGC is not bbox's to reject when no setting asks for a value:
// Go ignores it, and so do Validate and Apply. (Go refuses to start with a
// bad $GOMEMLIMIT, but Validate does not read that either.)
func TestRuntimeIgnoresBadEnv(t *testing.T) {
	t.Setenv("GOGC", "abc")
	t.Setenv("GOMEMLIMIT", "lots")
	if err := (Runtime{}).Validate(); err != nil {
		t.Errorf("Validate with GOGC=abc GOMEMLIMIT=lots and no settings: %v", err)
	}
	for _, r := range []Runtime{{GOGC: "abc"}, {MemLimit: "lots"}} {
		if err := r.Validate(); err == nil {
			t.Errorf("Validate(%+v): no error", r)
		}
	}
	before := CurrentRuntime()
	t.Cleanup(func() { runtime.GOMAXPROCS(before.MaxProcs) })
	st, err := Runtime{}.Apply()
	if err != nil || st.GOGC != before.GOGC || st.MemLimit != before.MemLimit {
		t.Errorf("Apply with bad env = %+v, %v; want %+v unchanged", st, err, before)
	}
}
