// Package pipeline assembles bbox's engine from its parts, once, for every
// command and benchmark that runs it.
//
// A PubRun is the publishing half on its own (bbox pub, bbox replay): a
// Publisher built from its config, the wait for subscribers, and a Source
// published through it (Publish) for at most a duration.
//
// A Receiver is the receiving half (bbox sub, bbox demo, bench): the
// subscriber threads handing records to an in-process worker Pool or, with
// PushConfig, to worker processes through a PushDispatcher, plus the
// squawks it collects and the verdict input its counters make.
//
// A Loop is the whole pipeline in one process over loopback: a Publisher
// with one PUB endpoint per shard on 127.0.0.1, a Receiver connected to
// them, a run of a Source through it and the drain to end-of-stream. bbox
// demo and bench.RunLoad both run it, so what demo shows is what the
// benchmark measures. FullSpeed is a Loop's publisher config for a source
// run at full speed (lossless: the pipeline's pace is the answer).
//
// Concurrency: a Receiver's Run is called once; its accessors (Subscriber,
// Pool, WorkerStats, Squawks, VerdictInput) may be called from other
// goroutines while it runs. A Loop is driven by one goroutine: Start, then
// Run once, then Close. A PubRun is run by one goroutine, which also
// calls its hooks.
package pipeline
