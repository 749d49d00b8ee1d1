// Package bench owns latency measurement and load generation: per-thread
// HdrHistograms merged off the hot path, fixed-rate load through the real
// pipeline, and the reports (percentile tables, .hgrm files, interval logs,
// plots) that bbox bench writes.
//
// Concurrency: a Recorder's Record is called by one thread per slot (each
// slot has its own lock, taken once per frame, so slots never contend);
// Merged and Interval may be called from any goroutine.
package bench
