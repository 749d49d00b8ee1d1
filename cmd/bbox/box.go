package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/bbox-dev/bbox/tuning"
)

// boxFlags are how a long-running command uses the box: Go runtime
// settings and, on the subscriber, the cores left for everything but the
// subscriber threads. The values check themselves when set, so a bad one
// in a config file is reported with its line.
type boxFlags struct {
	rt         tuning.Runtime
	workerCPUs cpuSpec // none without --worker-cpus: no subscriber threads to keep apart
}

func (b *boxFlags) register(fs *flag.FlagSet, withWorkerCPUs bool) {
	fs.IntVar(&b.rt.MaxProcs, "gomaxprocs", 0, "GOMAXPROCS (0: the cores this process may use at start, then fixed so narrowing the worker threads' cores cannot shrink it)")
	fs.Var(checked{&b.rt.GOGC, func(s string) error { return tuning.Runtime{GOGC: s}.Validate() }}, "gogc",
		"GC target percent or off (default $GOGC, else Go's 100: the hot path allocates almost nothing, so collections are rare; higher trades memory for fewer)")
	fs.Var(checked{&b.rt.MemLimit, func(s string) error { return tuning.Runtime{MemLimit: s}.Validate() }}, "gomemlimit",
		"soft memory limit like 4GiB, or off (default $GOMEMLIMIT, else none; near it the GC works harder instead of the box swapping)")
	b.workerCPUs = "none"
	if withWorkerCPUs {
		b.workerCPUs = "auto"
		fs.Var(&b.workerCPUs, "worker-cpus", "cores for everything but the subscriber threads (workers, Go runtime, I/O): a list like 0-1, auto (the cores not in --cpus, when --cpus pins), or none")
	}
}

// checked is a string flag whose value must pass check.
type checked struct {
	p     *string
	check func(string) error
}

func (c checked) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}

func (c checked) Set(s string) error {
	if err := c.check(s); err != nil {
		return err
	}
	*c.p = s
	return nil
}

// cpuSpec is auto, none or a CPU list.
type cpuSpec string

func (c *cpuSpec) String() string { return string(*c) }

func (c *cpuSpec) Set(s string) error {
	if s != "auto" && s != "none" {
		if _, err := tuning.ParseCPUList(s); err != nil {
			return err
		}
	}
	*c = cpuSpec(s)
	return nil
}

// boxPlan is what setup did, for the log and the summary.
type boxPlan struct {
	state    tuning.RuntimeState
	cores    tuning.CorePlan
	warnings []string
}

// setup applies the runtime settings, then the core plan (shard threads
// on shardCPUs, every other thread on the rest), and probes the socket
// buffers. It must run before the subscriber threads start: restricting
// the process afterwards would undo their pinning.
func (b *boxFlags) setup(log *logger, cf *connFlags, shards int, shardCPUs []int, busyWorkers int) (boxPlan, error) {
	var p boxPlan
	in := tuning.CoreInput{Online: tuning.Online(), Shards: shards, ShardCPUs: shardCPUs, Workers: busyWorkers}
	switch b.workerCPUs {
	case "auto":
	case "", "none":
		in.RestCPUs = []int{}
	default:
		in.RestCPUs, _ = tuning.ParseCPUList(string(b.workerCPUs)) // checked by Set
	}
	var err error
	if p.cores, err = tuning.PlanCores(in); err != nil {
		return p, cpuUsage(err)
	}
	// GOMAXPROCS first: Go would otherwise shrink it to the restricted mask.
	if p.state, err = b.rt.Apply(); err != nil {
		return p, err
	}
	if p.cores.Rest != nil {
		if err := tuning.RestrictProcess(p.cores.Rest); err != nil {
			return p, err
		}
	}
	p.warnings = append(p.warnings, p.cores.Warnings...)
	if p.state.MaxProcs < p.cores.Busy && p.state.MaxProcs < p.cores.Cores {
		p.warnings = append(p.warnings, fmt.Sprintf("GOMAXPROCS %d is below the %d busy threads: subscriber threads will wait for a P (leave --gomaxprocs at 0)", p.state.MaxProcs, p.cores.Busy))
	}
	res, err := tuning.ProbeSockBufs(cf.rcvbuf, cf.sndbuf)
	if err != nil {
		return p, err
	}
	for _, r := range res {
		flagName := "--rcvbuf"
		if r.Option == "SO_SNDBUF" {
			flagName = "--sndbuf"
		}
		if w := r.Warning(flagName); w != "" {
			p.warnings = append(p.warnings, w)
		}
	}
	line := "runtime " + p.state.String()
	if p.cores.Shards != nil {
		line += fmt.Sprintf("; subscriber threads on cores %v", p.cores.Shards)
	}
	if p.cores.Rest != nil {
		line += "; everything else on cores " + tuning.FormatCPUList(p.cores.Rest)
	}
	log.Logf("%s", line)
	for _, w := range p.warnings {
		log.Logf("warning: %s", w)
	}
	return p, nil
}

// sockBufWarning surfaces the transport's count of capped buffer requests.
func sockBufWarning(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s got smaller buffers than --rcvbuf/--sndbuf asked for: the kernel caps them at net.core.rmem_max / net.core.wmem_max (see bbox tune)", plural(n, "socket", "sockets"))
}

// coreWarnings checks an in-process pipeline's layout (bbox demo) the way
// setup checks bbox sub's, without restricting the process, and logs the
// warnings: the same layout gets the same one warning in both.
func coreWarnings(log *logger, shards int, shardCPUs []int, busyWorkers int) ([]string, error) {
	p, err := tuning.PlanCores(tuning.CoreInput{Online: tuning.Online(), Shards: shards, ShardCPUs: shardCPUs, Workers: busyWorkers})
	if err != nil {
		return nil, cpuUsage(err)
	}
	for _, w := range p.Warnings {
		log.Logf("warning: %s", w)
	}
	return p.Warnings, nil
}

// cpuUsage makes a core this process may not use a usage error naming the
// flag that asked for it (fail reports it as one: exit 2).
func cpuUsage(err error) error {
	var ce *tuning.UnavailableCPUError
	if !errors.As(err, &ce) {
		return err
	}
	flagName := "--worker-cpus"
	if ce.Shards {
		flagName = "--cpus"
	}
	return &usageError{fmt.Errorf("%s: %w", flagName, err)}
}
