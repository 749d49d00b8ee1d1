package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/tuning"
)

// boxFlags are how a long-running command uses the box: Go runtime
// settings and, on the subscriber, the cores left for everything but the
// subscriber threads. The values check themselves when set, so a bad one
// in a config file is reported with its line.
type boxFlags struct {
	rt         tuning.Runtime
	workerCPUs cli.CPUs // none without --worker-cpus: no subscriber threads to keep apart
}

func (b *boxFlags) register(fs *flag.FlagSet, withWorkerCPUs bool) {
	fs.IntVar(&b.rt.MaxProcs, "gomaxprocs", 0, "GOMAXPROCS (0: the cores this process may use at start, then fixed so narrowing the worker threads' cores cannot shrink it)")
	fs.Var(cli.Checked(&b.rt.GOGC, func(s string) error { return tuning.Runtime{GOGC: s}.Validate() }), "gogc",
		"GC target percent or off (default $GOGC, else Go's 100: the hot path allocates almost nothing, so collections are rare; higher trades memory for fewer)")
	fs.Var(cli.Checked(&b.rt.MemLimit, func(s string) error { return tuning.Runtime{MemLimit: s}.Validate() }), "gomemlimit",
		"soft memory limit like 4GiB, or off (default $GOMEMLIMIT, else none; near it the GC works harder instead of the box swapping)")
	b.workerCPUs = "none"
	if withWorkerCPUs {
		b.workerCPUs = "auto"
		fs.Var(&b.workerCPUs, "worker-cpus", "cores for everything but the subscriber threads (workers, Go runtime, I/O): a list like 0-1, auto (the cores not in --cpus, when --cpus pins), or none")
	}
}

// setup applies the runtime settings and the core plan, and probes the
// socket buffers (tuning.SetupBox), then logs what it did and returns its
// warnings for the summary. It must run before the subscriber threads start.
func (b *boxFlags) setup(log *logger, cf *connFlags, shards int, shardCPUs []int, busyWorkers int) (warnings []string, err error) {
	p, err := tuning.SetupBox(tuning.BoxConfig{Runtime: b.rt, Shards: shards, ShardCPUs: shardCPUs, RestCPUs: b.workerCPUs.List(),
		Workers: busyWorkers, RcvBuf: cf.rcvbuf, SndBuf: cf.sndbuf})
	if err != nil {
		return nil, cpuUsage(err)
	}
	p.Log(log.Logf)
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
