// Package feed owns the market-data record, the batch frame wire format
// (docs/wire.md) and the sources that yield records: the deterministic
// synthetic generator (and Day, a trading day's generator settings, and
// GenReport, what bbox gen wrote), the Source interface that captures and
// upstream feeds implement, and Each, which drains a Source.
//
// The hot paths are append-style and allocation-free after warm-up:
// [AppendRecord] and [Encoder] write into caller-owned buffers, and
// [DecodeFrame] decodes a frame in place, returning [Record] values whose
// Topic and Payload alias the frame.
//
// Concurrency: Encoder, Generator and Batch are not safe for concurrent use;
// give each goroutine its own. DecodeFrame and the other functions are safe
// to call from any number of goroutines.
package feed
