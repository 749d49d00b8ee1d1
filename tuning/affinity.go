package tuning

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Pin locks the calling goroutine to its OS thread and restricts that
// thread (only that thread: sched_setaffinity(0) acts on the caller) to
// cpu. The goroutine should never unlock: the thread carries the mask.
func Pin(cpu int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin thread to cpu %d: %w", cpu, err)
	}
	return nil
}

// ThreadCPUs returns the CPUs the calling thread may run on.
func ThreadCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	return setList(&set), nil
}

// Tid is the calling thread's kernel id (for /proc/self/task/TID).
func Tid() int { return unix.Gettid() }

// Online returns the CPUs this process may use.
func Online() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		out := make([]int, runtime.NumCPU())
		for i := range out {
			out[i] = i
		}
		return out
	}
	return setList(&set)
}

// MaxCPU bounds CPU numbers: the affinity masks bbox uses (unix.CPUSet)
// hold 1024 CPUs.
const MaxCPU = 1024

// ParseCPUList parses "0,2-3" into [0 2 3]; the error names the bad part.
func ParseCPUList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a >= MaxCPU {
			return nil, fmt.Errorf("cpu list %q: bad cpu %q", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b >= MaxCPU {
				return nil, fmt.Errorf("cpu list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cpu list %q is empty", s)
	}
	return out, nil
}

// ThreadAffinity returns the CPUs thread tid of this process may run on.
func ThreadAffinity(tid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &set); err != nil {
		return nil, fmt.Errorf("affinity of thread %d: %w", tid, err)
	}
	return setList(&set), nil
}

// setList lists the CPUs in set, ascending.
func setList(set *unix.CPUSet) []int {
	var out []int
	for i := 0; i < MaxCPU; i++ {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}

// RestrictProcess limits every thread of this process to cpus: the core
// plan's "everything else" (workers, the Go runtime, I/O goroutines). Call
// it before pinning any thread with Pin, which it would otherwise undo.
// Threads the runtime starts later inherit the mask: Go creates them from
// an unlocked thread or from its template thread, never from a locked
// (pinned) one.
//
// A thread can be cloned while this runs: the kernel copies the parent's
// mask early in clone, so a child of a parent restricted a moment later
// keeps the old mask and appears in /proc/self/task only afterwards. So
// each pass checks every thread's actual mask (not just the new ones) and
// it returns only after two consecutive passes, a settle apart, found
// nothing to change.
func RestrictProcess(cpus []int) error {
	if len(cpus) == 0 {
		return fmt.Errorf("restrict process: no cpus")
	}
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	clean := 0
	for pass := 0; pass < 50; pass++ {
		changed, err := restrictPass(&set, cpus)
		if err != nil {
			return err
		}
		if changed > 0 {
			clean = 0
			continue
		}
		if clean++; clean == 2 {
			return nil
		}
		// Long enough for an in-flight clone to finish and be listed.
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("restrict process to cpus %s: threads kept appearing with another mask", FormatCPUList(cpus))
}

// restrictPass sets set on every listed thread whose mask differs and says
// how many it changed. A thread that exits meanwhile is not an error.
func restrictPass(set *unix.CPUSet, cpus []int) (changed int, err error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, fmt.Errorf("restrict process: %w", err)
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var cur unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &cur); err == unix.ESRCH {
			continue
		} else if err == nil && cur == *set {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
			return changed, fmt.Errorf("restrict thread %d to cpus %s: %w", tid, FormatCPUList(cpus), err)
		}
		changed++
	}
	return changed, nil
}

// FormatCPUList writes cpus the way the kernel does: "0,2-3".
func FormatCPUList(cpus []int) string {
	c := append([]int(nil), cpus...)
	sort.Ints(c)
	var b strings.Builder
	for i := 0; i < len(c); {
		j := i
		for j+1 < len(c) && c[j+1] <= c[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if c[j] > c[i] {
			fmt.Fprintf(&b, "%d-%d", c[i], c[j])
		} else {
			fmt.Fprintf(&b, "%d", c[i])
		}
		i = j + 1
	}
	return b.String()
}
