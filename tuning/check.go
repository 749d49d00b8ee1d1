package tuning

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bbox-dev/bbox/internal/words"
)

// Check is one line of the box report (bbox tune).
type Check struct {
	Name        string `json:"name"`
	Found       string `json:"found"`
	Recommended string `json:"recommended"`
	Why         string `json:"why"`
	Status      string `json:"status"`
}

// Check statuses.
const (
	StatusOK      = "ok"      // found is what bbox recommends
	StatusChange  = "change"  // worth changing on a box that runs bbox
	StatusInfo    = "info"    // a fact to plan with; nothing to change
	StatusUnknown = "unknown" // could not be read here (a VM, an old kernel, no permission)
)

// Recommended sysctl values and why; Apply uses the same table.
const (
	RecSockBufMax = 16 << 20 // bytes
	RecBusyPoll   = 50       // µs
)

// sysctls are the settings bbox tune may change with --apply.
var sysctls = []struct {
	name, why string
	rec       int
	file      string // under proc/sys
}{
	{"net.core.rmem_max", "the largest SO_RCVBUF a socket may ask for: the kernel silently caps --rcvbuf at it, and a bigger receive buffer rides out a burst while a subscriber thread is descheduled", RecSockBufMax, "net/core/rmem_max"},
	{"net.core.wmem_max", "the largest SO_SNDBUF a socket may ask for: the kernel silently caps --sndbuf at it; the publisher's per-subscriber queues drain into it", RecSockBufMax, "net/core/wmem_max"},
	{"net.core.busy_poll", "µs a poll/epoll wait (Go's netpoller) spins on the NIC queue before sleeping: lower, steadier receive latency for the pinned subscriber threads, paid in CPU on their dedicated cores; 0 is off", RecBusyPoll, "net/core/busy_poll"},
	{"net.core.busy_read", "µs a blocking read spins on the NIC queue before sleeping (the same trade as busy_poll, for reads); 0 is off", RecBusyPoll, "net/core/busy_read"},
}

// CheckBox reports on the machine seen through fsys, which is "/" in
// practice (os.DirFS("/")): paths are like "proc/sys/..." and "sys/...".
// A file that is missing or unreadable (a VM, a container, an old kernel)
// makes its check "unknown" or "info"; it is never an error.
func CheckBox(fsys fs.FS) []Check {
	var out []Check
	cpus, cpuErr := readCPUList(fsys, "sys/devices/system/cpu/online")
	out = append(out, checkCores(fsys, cpus, cpuErr))
	out = append(out, checkSMT(fsys))
	out = append(out, checkIsolation(fsys, "isolcpus", "sys/devices/system/cpu/isolated", len(cpus),
		"keeps the scheduler's other tasks off the subscriber threads' cores, so a pinned thread is never preempted"))
	out = append(out, checkIsolation(fsys, "nohz_full", "sys/devices/system/cpu/nohz_full", len(cpus),
		"stops the scheduler tick on a core that runs one thread: no periodic interruption of a pinned subscriber thread"))
	out = append(out, checkNICs(fsys, len(cpus))...)
	out = append(out, checkIRQBalance(fsys))
	for _, s := range sysctls {
		out = append(out, checkSysctl(fsys, s.name, s.file, s.rec, s.why))
	}
	out = append(out, checkGovernor(fsys, cpus))
	out = append(out, checkTHP(fsys))
	out = append(out, checkClock(fsys))
	return out
}

func readString(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func readCPUList(fsys fs.FS, name string) ([]int, error) {
	s, err := readString(fsys, name)
	if err != nil {
		return nil, err
	}
	if s == "" || s == "(null)" {
		return nil, nil
	}
	return ParseCPUList(s)
}

func plural(n int, one, many string) string { return words.Count(n, one, many) }

func checkCores(fsys fs.FS, cpus []int, err error) Check {
	c := Check{Name: "cores", Status: StatusInfo,
		Recommended: "one core per shard's subscriber thread, cores for the workers, and one for the OS and interrupts (bbox sub --cpus, --worker-cpus)",
		Why:         "each subscriber thread is locked to its core; busy threads that outnumber cores preempt each other and records wait"}
	if err != nil || len(cpus) == 0 {
		c.Found, c.Status = "unknown (sys/devices/system/cpu/online unreadable)", StatusUnknown
		return c
	}
	c.Found = fmt.Sprintf("%s online (%s)", plural(len(cpus), "core", "cores"), FormatCPUList(cpus))
	if nodes, err := readCPUList(fsys, "sys/devices/system/node/online"); err == nil && len(nodes) > 0 {
		c.Found += ", " + plural(len(nodes), "NUMA node", "NUMA nodes")
		if len(nodes) > 1 {
			c.Recommended += "; on the NUMA node of the shard's NIC"
		}
	}
	return c
}

func checkSMT(fsys fs.FS) Check {
	c := Check{Name: "smt", Recommended: "off, or leave the hyper-thread sibling of every pinned core idle",
		Why: "two hyper-threads share one core's execution units and caches: a busy sibling slows a pinned subscriber thread unpredictably"}
	s, err := readString(fsys, "sys/devices/system/cpu/smt/active")
	switch {
	case err != nil:
		c.Found, c.Status = "unknown (sys/devices/system/cpu/smt/active unreadable)", StatusUnknown
	case s == "1":
		c.Found, c.Status = "on", StatusChange
		if ctl, err := readString(fsys, "sys/devices/system/cpu/smt/control"); err == nil {
			c.Found += " (control: " + ctl + ")"
		}
	default:
		c.Found, c.Status = "off", StatusOK
	}
	return c
}

func checkIsolation(fsys fs.FS, name, file string, ncpu int, why string) Check {
	c := Check{Name: name, Why: why,
		Recommended: fmt.Sprintf("the subscriber threads' cores, on the kernel command line (%s=2-3 for two shards on cores 2 and 3)", name)}
	cpus, err := readCPUList(fsys, file)
	cmdline, _ := readString(fsys, "proc/cmdline")
	switch {
	case err != nil && os.IsNotExist(err):
		c.Found, c.Status = "not supported by this kernel ("+file+" is missing)", StatusInfo
	case err != nil:
		c.Found, c.Status = "unknown ("+file+": "+err.Error()+")", StatusUnknown
	case len(cpus) > 0:
		c.Found, c.Status = FormatCPUList(cpus), StatusOK
	case ncpu > 0 && ncpu < 4:
		c.Found, c.Status = "none", StatusInfo
		c.Recommended = "none: with fewer than 4 cores there is none to spare for the OS; isolate the subscriber cores on a bigger box"
	default:
		c.Found, c.Status = "none", StatusChange
	}
	for _, f := range strings.Fields(cmdline) {
		if strings.HasPrefix(f, name+"=") {
			c.Found += " (command line: " + f + ")"
		}
	}
	return c
}

func checkNICs(fsys fs.FS, ncpu int) []Check {
	ents, err := fs.ReadDir(fsys, "sys/class/net")
	if err != nil {
		return []Check{{Name: "nics", Found: "unknown (sys/class/net unreadable)", Status: StatusUnknown,
			Recommended: "one NIC (or NIC queue) per shard", Why: "each shard's traffic on its own I/O path"}}
	}
	var out []Check
	for _, e := range ents {
		if e.Name() == "lo" {
			continue
		}
		out = append(out, checkNIC(fsys, e.Name()), checkNICIRQs(fsys, e.Name(), ncpu))
	}
	if len(out) == 0 {
		out = append(out, Check{Name: "nics", Found: "none but loopback", Status: StatusInfo,
			Recommended: "one NIC (or NIC queue) per shard", Why: "each shard's traffic on its own I/O path"})
	}
	return out
}

func checkNIC(fsys fs.FS, nic string) Check {
	dir := path.Join("sys/class/net", nic)
	c := Check{Name: "nic " + nic, Status: StatusInfo,
		Recommended: "one NIC per shard (bind each shard's endpoint to it on both boxes: [shard N] pub-nic/sub-nic); MTU 9000 where every hop takes it",
		Why:         "a NIC per shard gives each stream its own queue, interrupts and wire; jumbo frames carry a 64 KiB batch in 8 packets instead of 46"}
	var parts []string
	if s, err := readString(fsys, dir+"/speed"); err == nil && !strings.HasPrefix(s, "-") {
		parts = append(parts, "speed "+s+" Mb/s")
	} else {
		parts = append(parts, "speed unknown (virtual NIC or link down)")
	}
	if s, err := readString(fsys, dir+"/mtu"); err == nil {
		parts = append(parts, "mtu "+s)
	}
	rx, tx := 0, 0
	if qs, err := fs.ReadDir(fsys, dir+"/queues"); err == nil {
		for _, q := range qs {
			switch {
			case strings.HasPrefix(q.Name(), "rx-"):
				rx++
			case strings.HasPrefix(q.Name(), "tx-"):
				tx++
			}
		}
		parts = append(parts, fmt.Sprintf("%d rx / %d tx queues", rx, tx))
	} else {
		parts = append(parts, "queues unknown")
	}
	if s, err := readString(fsys, dir+"/operstate"); err == nil {
		parts = append(parts, "state "+s)
	}
	if _, err := fs.Stat(fsys, dir+"/device"); err != nil {
		parts = append(parts, "virtual (no device)")
	}
	c.Found = strings.Join(parts, ", ")
	return c
}

// nicIRQs lists the NIC's interrupts: its MSI vectors, else the lines of
// /proc/interrupts that name it or its device (drivers name queue vectors
// "eth0-TxRx-0"; virtio names them after the device: "virtio2-input.0").
func nicIRQs(fsys fs.FS, nic string) []int {
	names := []string{nic}
	if dev, err := fs.ReadLink(fsys, path.Join("sys/class/net", nic, "device")); err == nil && path.Base(dev) != nic {
		names = append(names, path.Base(dev))
	}
	var irqs []int
	if ents, err := fs.ReadDir(fsys, path.Join("sys/class/net", nic, "device/msi_irqs")); err == nil {
		for _, e := range ents {
			if n, err := strconv.Atoi(e.Name()); err == nil {
				irqs = append(irqs, n)
			}
		}
	}
	if len(irqs) == 0 {
		if s, err := readString(fsys, "proc/interrupts"); err == nil {
			for _, line := range strings.Split(s, "\n") {
				f := strings.Fields(line)
				if len(f) < 2 || !strings.HasSuffix(f[0], ":") {
					continue
				}
				last := f[len(f)-1]
				if strings.HasSuffix(last, "-config") { // virtio's control vector, not a queue
					continue
				}
				if slices.ContainsFunc(names, func(n string) bool { return last == n || strings.HasPrefix(last, n+"-") }) {
					if n, err := strconv.Atoi(strings.TrimSuffix(f[0], ":")); err == nil {
						irqs = append(irqs, n)
					}
				}
			}
		}
	}
	sort.Ints(irqs)
	return slices.Compact(irqs)
}

func checkNICIRQs(fsys fs.FS, nic string, ncpu int) Check {
	c := Check{Name: "irq affinity " + nic,
		Recommended: "each queue's interrupt on one core: the core of the shard that uses this NIC, or its neighbour; irqbalance stopped or told to leave these IRQs alone",
		Why:         "an interrupt that lands on another core costs a cross-core wake-up and cache misses for every packet; one that lands on a random core disturbs whatever runs there"}
	irqs := nicIRQs(fsys, nic)
	if len(irqs) == 0 {
		c.Found, c.Status = "no interrupts of its own (virtual NIC, or its IRQs are not named after it)", StatusInfo
		return c
	}
	var parts []string
	spread := false
	for _, irq := range irqs {
		aff, err := readString(fsys, fmt.Sprintf("proc/irq/%d/smp_affinity_list", irq))
		if err != nil {
			parts = append(parts, fmt.Sprintf("%d→?", irq))
			continue
		}
		if l, err := ParseCPUList(aff); err == nil && len(l) > 1 {
			spread = true
		}
		parts = append(parts, fmt.Sprintf("%d→%s", irq, aff))
	}
	c.Found = "irq→cpus " + strings.Join(parts, " ")
	c.Status = StatusOK
	if spread && ncpu > 1 {
		c.Status = StatusChange
	}
	return c
}

func checkIRQBalance(fsys fs.FS) Check {
	c := Check{Name: "irqbalance", Recommended: "not running once NIC interrupts are placed by hand (or with IRQBALANCE_BANNED_CPULIST covering the subscriber cores)",
		Why: "irqbalance moves interrupts every few seconds, undoing a hand-made placement and landing interrupts on pinned cores"}
	ents, err := fs.ReadDir(fsys, "proc")
	if err != nil {
		c.Found, c.Status = "unknown (proc unreadable)", StatusUnknown
		return c
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if comm, err := readString(fsys, "proc/"+e.Name()+"/comm"); err == nil && comm == "irqbalance" {
			c.Found, c.Status = "running (pid "+e.Name()+")", StatusChange
			return c
		}
	}
	c.Found, c.Status = "not running", StatusOK
	return c
}

func checkSysctl(fsys fs.FS, name, file string, rec int, why string) Check {
	c := Check{Name: name, Recommended: fmt.Sprintf("%d or more", rec), Why: why}
	if rec == RecSockBufMax {
		c.Recommended = fmt.Sprintf("%d (%s) or more", rec, FormatBytes(int64(rec)))
	}
	s, err := readString(fsys, path.Join("proc/sys", file))
	if err != nil {
		c.Found, c.Status = "unknown (/proc/sys/"+file+" unreadable)", StatusUnknown
		return c
	}
	v, err := strconv.Atoi(s)
	c.Found = s
	switch {
	case err != nil:
		c.Status = StatusUnknown
	case v >= rec:
		c.Status = StatusOK
	default:
		c.Status = StatusChange
	}
	return c
}

func checkGovernor(fsys fs.FS, cpus []int) Check {
	c := Check{Name: "cpu frequency governor", Recommended: "performance",
		Why: "powersave, ondemand and schedutil clock a core down between bursts, and the first records of the next burst pay the ramp-up"}
	by := map[string][]int{}
	for _, cpu := range cpus {
		if g, err := readString(fsys, fmt.Sprintf("sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu)); err == nil {
			by[g] = append(by[g], cpu)
		}
	}
	if len(by) == 0 {
		c.Found, c.Status = "no cpufreq (a VM, or the frequency is set by firmware)", StatusInfo
		return c
	}
	var parts []string
	c.Status = StatusOK
	for g, l := range by {
		parts = append(parts, g+" on "+FormatCPUList(l))
		if g != "performance" {
			c.Status = StatusChange
		}
	}
	sort.Strings(parts)
	c.Found = strings.Join(parts, ", ")
	return c
}

// bracketed picks the active choice of a sysfs "a [b] c" file.
func bracketed(s string) string {
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return s
}

func checkTHP(fsys fs.FS) Check {
	c := Check{Name: "transparent huge pages", Recommended: "enabled=madvise (or never), defrag=madvise (or defer+madvise, never)",
		Why: "with always, page faults may stop to compact memory and khugepaged rewrites pages in the background: both stall threads at random moments; madvise leaves huge pages to programs that ask for them"}
	en, err := readString(fsys, "sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		c.Found, c.Status = "unknown (sys/kernel/mm/transparent_hugepage unreadable)", StatusUnknown
		return c
	}
	en = bracketed(en)
	c.Found, c.Status = "enabled="+en, StatusOK
	if en == "always" {
		c.Status = StatusChange
	}
	if df, err := readString(fsys, "sys/kernel/mm/transparent_hugepage/defrag"); err == nil {
		df = bracketed(df)
		c.Found += ", defrag=" + df
		if df == "always" || df == "defer" {
			c.Status = StatusChange
		}
	}
	return c
}

func checkClock(fsys fs.FS) Check {
	c := Check{Name: "clock source", Recommended: "tsc (kvm-clock in a VM)",
		Why: "bbox reads the clock for every frame; with hpet or acpi_pm each read is a slow hardware access instead of a vDSO call"}
	s, err := readString(fsys, "sys/devices/system/clocksource/clocksource0/current_clocksource")
	if err != nil {
		c.Found, c.Status = "unknown", StatusUnknown
		return c
	}
	c.Found, c.Status = s, StatusOK
	if s == "hpet" || s == "acpi_pm" || s == "jiffies" {
		c.Status = StatusChange
	}
	return c
}

// SysctlChange is one sysctl Apply changed, and how to undo it.
type SysctlChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
	Undo string `json:"undo"`
}

// ApplySysctls raises every sysctl of the box report that is below its
// recommendation, writing under root ("/" for this box) and changing
// nothing else. It returns what it changed; an error names the sysctl it
// could not write (the changes before it stay, and are returned).
func ApplySysctls(root string) ([]SysctlChange, error) {
	fsys := os.DirFS(root)
	var out []SysctlChange
	for _, s := range sysctls {
		c := checkSysctl(fsys, s.name, s.file, s.rec, s.why)
		if c.Status != StatusChange {
			continue
		}
		p := filepath.Join(root, "proc/sys", s.file)
		nv := strconv.Itoa(s.rec)
		if err := os.WriteFile(p, []byte(nv+"\n"), 0o644); err != nil {
			return out, fmt.Errorf("set %s=%s: %w", s.name, nv, err)
		}
		out = append(out, SysctlChange{Name: s.name, Old: c.Found, New: nv, Undo: fmt.Sprintf("sysctl -w %s=%s", s.name, c.Found)})
	}
	return out, nil
}
