// Package bench owns latency measurement and load generation: per-thread
// HdrHistograms merged off the hot path, fixed-rate load through the real
// pipeline in this process (RunLoad) and through the plain-TCP and
// naive-zmq4 baselines, the same between separate processes (bbox pub and
// bbox sub, the lean TCP pair of SendTCP/ReceiveTCP, and the libzmq C
// baseline compiled from the embedded libzmq/zmqbase.c), rate ladders and
// sweeps to the break point (Sweep), and the reports that bbox bench
// writes: percentile tables, .hgrm percentile distributions, HdrHistogram
// interval logs, SVG plots and the comparison of two runs (CompareFiles,
// Regressions). Run is one `bbox bench` invocation (Options): it runs,
// reports and writes the files; the command parses flags and prints.
//
// Latency is measured from each record's scheduled send time (FromSource
// with a paced generator) unless the caller asks for the send time
// (FromSend), which lets a stalled sender hide latency: coordinated
// omission. A warm-up (LoadConfig.Warmup, Recorder.SetWarmup) is kept
// apart from the main figures by each frame's stamp.
//
// Concurrency: a Recorder's Observe is called by one thread per slot; each
// slot has its own lock, taken once per frame, and a reader only holds it
// to swap in an empty histogram, so merging never stalls a receiving
// thread. Merged and Interval may be called from any goroutine; the
// histogram Interval returns is reused by the next Interval call, so one
// goroutine takes intervals (a LatencyLog is that goroutine for its
// Recorder). RunLoad, Sweep and Run may run concurrently with each
// other (each builds its own pipeline or processes), though on a small box
// they then measure each other. The report writers are plain functions of
// their arguments.
package bench
