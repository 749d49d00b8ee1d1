package tuning

import (
	"fmt"
	"slices"

	"github.com/bbox-dev/bbox/internal/words"
)

// BoxConfig is how a long-running command uses the box: Go runtime
// settings, the core plan's input and the socket buffers it will ask for.
// The zero value changes nothing: the runtime's defaults, no pinning, the
// kernel's buffers.
type BoxConfig struct {
	Runtime Runtime // see Runtime's fields; zero keeps the runtime's settings
	// Shards, ShardCPUs, RestCPUs and Workers are CoreInput's (Online is
	// this process's cores): nil RestCPUs is auto, empty is none.
	Shards    int
	ShardCPUs []int
	RestCPUs  []int
	Workers   int
	// RcvBuf and SndBuf are the socket buffer sizes asked for (0: the
	// kernel's default), probed so a capped request is warned about.
	RcvBuf, SndBuf int
}

// BoxPlan is what SetupBox did.
type BoxPlan struct {
	Runtime  RuntimeState
	Cores    CorePlan
	Warnings []string // the core plan's, then the runtime's and socket buffers'
}

// SetupBox applies c: the runtime settings, then the core plan (shard
// threads on ShardCPUs, every other thread restricted to the rest), and
// probes the socket buffers. It must run before the subscriber threads
// start: restricting the process afterwards would undo their pinning. A
// core the process may not use is an *UnavailableCPUError.
func SetupBox(c BoxConfig) (BoxPlan, error) {
	var p BoxPlan
	if err := c.Validate(); err != nil {
		return p, err
	}
	var err error
	if p.Cores, err = PlanCores(c.coreInput()); err != nil {
		return p, err
	}
	// GOMAXPROCS first: Go would otherwise shrink it to the restricted mask.
	if p.Runtime, err = c.Runtime.Apply(); err != nil {
		return p, err
	}
	if p.Cores.Rest != nil {
		if err := RestrictProcess(p.Cores.Rest); err != nil {
			return p, err
		}
	}
	p.Warnings = append(p.Warnings, p.Cores.Warnings...)
	if p.Runtime.MaxProcs < p.Cores.Busy && p.Runtime.MaxProcs < p.Cores.Cores {
		p.Warnings = append(p.Warnings, fmt.Sprintf("GOMAXPROCS %d is below the %d busy threads: subscriber threads will wait for a P (leave --gomaxprocs at 0)", p.Runtime.MaxProcs, p.Cores.Busy))
	}
	res, err := ProbeSockBufs(c.RcvBuf, c.SndBuf)
	if err != nil {
		return p, err
	}
	for _, r := range res {
		flagName := "--rcvbuf"
		if r.Option == "SO_SNDBUF" {
			flagName = "--sndbuf"
		}
		if w := r.Warning(flagName); w != "" {
			p.Warnings = append(p.Warnings, w)
		}
	}
	return p, nil
}

// PlanBox is the core plan of c, checked and warned about as SetupBox
// would, without changing the process (an in-process pipeline's check).
func PlanBox(c BoxConfig) (CorePlan, error) {
	if err := c.Validate(); err != nil {
		return CorePlan{}, err
	}
	return PlanCores(c.coreInput())
}

// Validate reports the first setting that cannot be used: the runtime's
// (Runtime.Validate), or a negative count, core or buffer size. Whether
// the cores are this process's to use is PlanCores' to say.
func (c BoxConfig) Validate() error {
	if err := c.Runtime.Validate(); err != nil {
		return err
	}
	switch {
	case c.Shards < 0 || c.Workers < 0:
		return fmt.Errorf("%d shards and %d workers: counts must not be negative", c.Shards, c.Workers)
	case c.RcvBuf < 0 || c.SndBuf < 0:
		return fmt.Errorf("socket buffers %d and %d bytes: sizes must not be negative", c.RcvBuf, c.SndBuf)
	}
	for _, cpus := range [][]int{c.ShardCPUs, c.RestCPUs} {
		for _, cpu := range cpus {
			if cpu < 0 {
				return fmt.Errorf("core %d: cores are numbered from 0", cpu)
			}
		}
	}
	return nil
}

func (c BoxConfig) coreInput() CoreInput {
	return CoreInput{Online: Online(), Shards: c.Shards, ShardCPUs: c.ShardCPUs, RestCPUs: c.RestCPUs, Workers: c.Workers}
}

// String is the plan's log line: the runtime settings and where the
// threads run.
func (p BoxPlan) String() string {
	line := "runtime " + p.Runtime.String()
	if p.Cores.Shards != nil {
		line += fmt.Sprintf("; subscriber threads on cores %v", p.Cores.Shards)
	}
	if p.Cores.Rest != nil {
		line += "; everything else on cores " + FormatCPUList(p.Cores.Rest)
	}
	return line
}

// SockBufCappedWarning is the warning for n sockets whose buffer requests
// the kernel capped ("" for none).
func SockBufCappedWarning(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s got smaller buffers than --rcvbuf/--sndbuf asked for: the kernel caps them at net.core.rmem_max / net.core.wmem_max (see bbox tune)", words.Count(n, "socket", "sockets"))
}

// ShardCPUs are the cores of n subscriber threads for a --cpus value:
// "auto" pins thread i to online core i mod the online count, "none" (or
// "") leaves them unpinned (nil), anything else is a CPU list.
func ShardCPUs(s string, n int) ([]int, error) {
	switch s {
	case "", "none":
		return nil, nil
	case "auto":
		online := Online()
		out := make([]int, n)
		for i := range out {
			out[i] = online[i%len(online)]
		}
		return out, nil
	}
	return ParseCPUList(s)
}

// AvailableCPUs parses a CPU list and holds it to the cores this process
// may use, so a core the box lacks is refused before anything is pinned.
func AvailableCPUs(s string) ([]int, error) {
	cpus, err := ParseCPUList(s)
	if err != nil {
		return nil, err
	}
	online := Online()
	for _, c := range cpus {
		if !slices.Contains(online, c) {
			return nil, fmt.Errorf("cpu %d is not available to this process (online: %s)", c, FormatCPUList(online))
		}
	}
	return cpus, nil
}
