package tuning

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Runtime are the Go runtime settings bbox exposes. The zero value keeps
// Go's defaults (and the GOGC / GOMEMLIMIT environment variables) except
// that GOMAXPROCS is fixed at its start-up value; see MaxProcs.
type Runtime struct {
	// MaxProcs is GOMAXPROCS. 0 means Go's default as computed at start
	// (the CPUs this process may use, lowered to a cgroup CPU quota), then
	// fixed: since Go 1.25 the runtime re-reads its own thread's affinity
	// and would shrink GOMAXPROCS once the core plan narrows the
	// non-subscriber threads to the worker cores, starving the pinned
	// threads of Ps. Every pinned subscriber thread needs a P while it runs.
	MaxProcs int
	// GOGC is the GC target percentage: "" keeps $GOGC or Go's 100, "off"
	// disables collection until MemLimit is near. bbox's hot path
	// allocates almost nothing (frames are decoded in place, batches
	// pooled), so collections are rare at 100; a higher value trades
	// memory for even fewer.
	GOGC string
	// MemLimit is the soft memory limit (GOMEMLIMIT): "" keeps
	// $GOMEMLIMIT or none, "off" removes it, else bytes with an optional
	// KiB/MiB/GiB/TiB suffix. Near the limit the GC works harder instead
	// of letting the box swap; with GOGC=off it is the only trigger.
	MemLimit string
}

// RuntimeState is what the runtime runs with after Apply.
type RuntimeState struct {
	MaxProcs int   `json:"gomaxprocs"`
	GOGC     int   `json:"gogc"`       // -1: off
	MemLimit int64 `json:"gomemlimit"` // math.MaxInt64: none
}

func (s RuntimeState) String() string {
	gogc, lim := strconv.Itoa(s.GOGC), "none"
	if s.GOGC < 0 {
		gogc = "off"
	}
	if s.MemLimit != math.MaxInt64 {
		lim = FormatBytes(s.MemLimit)
	}
	return fmt.Sprintf("GOMAXPROCS=%d GOGC=%s GOMEMLIMIT=%s", s.MaxProcs, gogc, lim)
}

// Validate reports the first setting that does not parse, naming it.
// Empty settings are not checked: they keep what the runtime took from
// the environment at start (Go ignores a bad $GOGC; a bad $GOMEMLIMIT
// stops it before bbox runs).
func (r Runtime) Validate() error {
	if r.MaxProcs < 0 {
		return fmt.Errorf("GOMAXPROCS %d: want 0 (default) or more", r.MaxProcs)
	}
	if r.GOGC != "" {
		if _, err := ParseGOGC(r.GOGC); err != nil {
			return err
		}
	}
	if r.MemLimit != "" {
		if _, err := ParseBytes(r.MemLimit); err != nil {
			return err
		}
	}
	return nil
}

// Apply sets the runtime and returns what it now runs with. It changes
// process-wide state: call it once, early.
func (r Runtime) Apply() (RuntimeState, error) {
	if err := r.Validate(); err != nil {
		return RuntimeState{}, err
	}
	n := r.MaxProcs
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(n) // even unchanged: marks it set, so Go stops adjusting it
	if r.GOGC != "" {
		v, _ := ParseGOGC(r.GOGC)
		debug.SetGCPercent(v)
	}
	if r.MemLimit != "" {
		v, _ := ParseBytes(r.MemLimit)
		debug.SetMemoryLimit(v)
	}
	return CurrentRuntime(), nil
}

// CurrentRuntime reads the runtime's settings without changing them.
func CurrentRuntime() RuntimeState {
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	if gc < 0 {
		gc = -1
	}
	return RuntimeState{MaxProcs: runtime.GOMAXPROCS(0), GOGC: gc, MemLimit: debug.SetMemoryLimit(-1)}
}

// ParseGOGC parses a GOGC value: a percentage or "off" (-1). "" means
// $GOGC, else 100.
func ParseGOGC(s string) (int, error) {
	if s == "" {
		s = os.Getenv("GOGC")
		if s == "" {
			return 100, nil
		}
	}
	if s == "off" {
		return -1, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("GOGC %q: want a percentage (100) or off", s)
	}
	return v, nil
}

// ParseBytes parses a GOMEMLIMIT-style size: "4GiB", "512MiB", "1000000"
// or "off" (no limit, math.MaxInt64). "" means $GOMEMLIMIT, else no limit.
func ParseBytes(s string) (int64, error) {
	if s == "" {
		s = os.Getenv("GOMEMLIMIT")
		if s == "" {
			return math.MaxInt64, nil
		}
	}
	if s == "off" {
		return math.MaxInt64, nil
	}
	num, mult := s, int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 || v > math.MaxInt64/mult {
		return 0, fmt.Errorf("memory limit %q: want bytes with an optional KiB, MiB, GiB or TiB suffix, or off", s)
	}
	return v * mult, nil
}

// byteUnits are the GOMEMLIMIT suffixes, largest first.
var byteUnits = []struct {
	suffix string
	mult   int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// FormatBytes writes n with the largest binary unit that divides it ("B"
// for a count of bytes that none does, zero and negative counts).
func FormatBytes(n int64) string {
	for _, u := range byteUnits {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
