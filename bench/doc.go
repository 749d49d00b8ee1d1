// Package bench owns latency measurement and load generation: per-thread
// HdrHistograms merged off the hot path, fixed-rate load through the real
// pipeline (RunLoad) and through the plain-TCP and naive-zmq4 baselines,
// rate sweeps to the break point (Sweep), and the reports that bbox bench
// writes: percentile tables, .hgrm percentile distributions, HdrHistogram
// interval logs, SVG plots and the comparison of two runs.
//
// Latency is measured from each record's scheduled send time (FromSource
// with a paced generator) unless the caller asks for the send time
// (FromSend), which lets a stalled sender hide latency: coordinated
// omission.
//
// Concurrency: a Recorder's Observe is called by one thread per slot; each
// slot has its own lock, taken once per frame, and a reader only holds it
// to swap in an empty histogram, so merging never stalls a receiving
// thread. Merged and Interval may be called from any goroutine; the
// histogram Interval returns is reused by the next Interval call. RunLoad
// and Sweep may run concurrently with each other (each builds its own
// pipeline), though on a small box they then measure each other. The
// report writers are plain functions of their arguments.
package bench
