package tuning

import (
	"fmt"
	"slices"
)

// CoreInput is what a core plan is made from.
type CoreInput struct {
	// Online are the CPUs this process may use (Online()).
	Online []int
	// Shards is the number of subscriber threads.
	Shards int
	// ShardCPUs are the cores for the subscriber threads: thread i gets
	// ShardCPUs[i % len]. nil leaves them unpinned.
	ShardCPUs []int
	// RestCPUs are the cores for everything else: workers, the Go
	// runtime, I/O. nil means "auto": Online minus ShardCPUs when the
	// threads are pinned, no restriction when they are not. An empty,
	// non-nil slice means no restriction.
	RestCPUs []int
	// Workers is the number of in-process workers that keep a core busy
	// under load (0 when batches go to worker processes).
	Workers int
}

// CorePlan is where each busy thread runs.
type CorePlan struct {
	// Shards is the core of subscriber thread i; nil if unpinned.
	Shards []int
	// Rest are the cores every other thread is restricted to; nil if
	// there is no restriction (they may run anywhere, pinned cores too).
	Rest []int
	// Busy is the number of threads that spin under load (subscriber
	// threads plus in-process workers); Cores is len(Online).
	Busy, Cores int
	// Warnings say where the plan is weaker than it looks.
	Warnings []string
}

// UnavailableCPUError is a core asked for that this process may not use.
type UnavailableCPUError struct {
	CPU    int
	Shards bool // asked for a subscriber thread (ShardCPUs); else for the rest (RestCPUs)
	Online []int
}

func (e *UnavailableCPUError) Error() string {
	what := "workers"
	if e.Shards {
		what = "a subscriber thread"
	}
	return fmt.Sprintf("cpu %d for %s is not available to this process (online: %s)", e.CPU, what, FormatCPUList(e.Online))
}

// PlanCores checks in and makes the plan. An error is an
// *UnavailableCPUError.
func PlanCores(in CoreInput) (CorePlan, error) {
	p := CorePlan{Busy: in.Shards + in.Workers, Cores: len(in.Online)}
	for _, c := range in.ShardCPUs {
		if !slices.Contains(in.Online, c) {
			return p, &UnavailableCPUError{CPU: c, Shards: true, Online: in.Online}
		}
	}
	for _, c := range in.RestCPUs {
		if !slices.Contains(in.Online, c) {
			return p, &UnavailableCPUError{CPU: c, Online: in.Online}
		}
	}
	if len(in.ShardCPUs) > 0 && in.Shards > 0 {
		p.Shards = make([]int, in.Shards)
		owner := map[int]int{}
		for i := range p.Shards {
			c := in.ShardCPUs[i%len(in.ShardCPUs)]
			p.Shards[i] = c
			if j, ok := owner[c]; ok {
				p.Warnings = append(p.Warnings, fmt.Sprintf("subscriber threads of shards %d and %d share core %d: give each shard its own core (--cpus)", j, i, c))
			} else {
				owner[c] = i
			}
		}
	}
	switch {
	case len(in.RestCPUs) > 0:
		p.Rest = slices.Clone(in.RestCPUs)
		for i, c := range p.Shards {
			if slices.Contains(p.Rest, c) {
				p.Warnings = append(p.Warnings, fmt.Sprintf("core %d is both shard %d's subscriber core and a worker core: workers will preempt that thread", c, i))
			}
		}
	case in.RestCPUs == nil && p.Shards != nil:
		for _, c := range in.Online {
			if !slices.Contains(p.Shards, c) {
				p.Rest = append(p.Rest, c)
			}
		}
	}
	if w := crowdedWarning(in, p); w != "" {
		p.Warnings = append(p.Warnings, w)
	}
	return p, nil
}

// crowdedWarning is the one warning about a layout that has more busy
// threads than cores, or pins subscriber threads to every core ("" if
// neither): both are the same fact, that threads will take turns.
func crowdedWarning(in CoreInput, p CorePlan) string {
	allPinned := in.RestCPUs == nil && p.Shards != nil && len(p.Rest) == 0
	over := p.Busy > p.Cores
	if !allPinned && !over {
		return ""
	}
	threads := plural(in.Shards, "subscriber thread", "subscriber threads")
	if p.Shards != nil {
		word := "cores"
		if len(distinct(p.Shards)) == 1 {
			word = "core"
		}
		threads += " pinned to " + word + " " + FormatCPUList(p.Shards)
	}
	cores := plural(p.Cores, "core", "cores")
	switch {
	case allPinned && over:
		return fmt.Sprintf("%s and %s on %s: the subscriber threads take every core, so the workers and the Go runtime preempt them under load; pin fewer threads (--cpus), serve worker processes on other boxes (--push), or use more cores",
			threads, plural(in.Workers, "in-process worker", "in-process workers"), cores)
	case allPinned:
		return fmt.Sprintf("%s on %s: no core is left for the Go runtime and I/O, which preempt the subscriber threads; pin fewer threads (--cpus) or use more cores",
			threads, cores)
	}
	return fmt.Sprintf("%s (%s and %s) on %s: they will preempt each other under load; use fewer workers, serve worker processes on other boxes (--push), or more cores",
		plural(p.Busy, "busy thread", "busy threads"), threads, plural(in.Workers, "in-process worker", "in-process workers"), cores)
}

func distinct(cpus []int) []int {
	out := slices.Clone(cpus)
	slices.Sort(out)
	return slices.Compact(out)
}
