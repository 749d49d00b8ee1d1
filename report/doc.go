// Package report is the run summary the receiving and publishing commands
// print (bbox sub, demo, pub, replay, record, bench): the JSON object of
// docs/cli.md (Summary, with its keys exactly as the contract names them),
// how it is filled from the engine's counters (Stream, Received,
// Published, InProcess; Finish for a receiving run, from what the
// command Measured), the verdict it carries (Judge), its human text
// (WriteHuman, WritePub, WriteReplay) and the live status lines of those
// commands; and the commands' own summaries built on it (Bench, Record,
// WithExchange, Unheard) and bbox demo's banner (DemoBanner).
//
// ExchangeReplay is bbox replay's report for exchange inputs,
// CaptureReplay its report for bbox captures, RecordReport bbox record's;
// PubSourceStatus, ReceiverStatus and PipelineStatus are status lines
// read from a running publisher, receiver or pipeline.
//
// What names a command-line flag stays with the command: where a text
// needs one (a capped socket buffer), the caller supplies it.
//
// Concurrency: a Summary is a plain value, filled and printed by one
// goroutine; the functions are safe for concurrent use.
package report
