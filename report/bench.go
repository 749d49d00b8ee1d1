package report

import "github.com/bbox-dev/bbox/bench"

// common is Summary under another name, so that BenchSummary can embed
// it next to bench.Summary (two embedded fields may not share a name);
// its keys are promoted into the JSON object all the same.
type common = Summary

// BenchSummary is bbox bench's JSON summary: the keys every command's
// summary has (CLI.md) plus bench's own.
type BenchSummary struct {
	common
	bench.Summary
	// Interrupted is set when SIGINT/SIGTERM ended the run early: the
	// figures are what was measured until then (it shadows the verdict's).
	Interrupted bool `json:"interrupted,omitempty"`
}

// Bench is the summary of a bench run.
func Bench(r *bench.Report) *BenchSummary {
	res := r.Result
	s := &BenchSummary{Summary: r.Summary, Interrupted: r.Interrupted, common: Summary{
		Command: "bench", RecordsPublished: res.Published, RecordsReceived: res.Received, RecordsLost: res.Lost,
		Gaps: res.Gaps, ThroughputRPS: res.Throughput(), LatencyUS: res.Latency(), Seconds: res.Elapsed.Seconds(),
		FramesMalformed: res.Malformed, Shards: []Shard{}, Workers: r.Workers, Warnings: r.Warnings,
	}}
	for _, sh := range r.Shards {
		s.Shards = append(s.Shards, Shard{ID: sh.ID, Records: sh.Records, CPU: sh.CPU})
	}
	return s
}
