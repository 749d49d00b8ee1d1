// Package shard owns the engine's data path between a source and the
// worker pool: routing (topic → partition → shard), batching records into
// frames, the publisher with one PUB endpoint per shard and its
// slow-consumer policy, and the subscriber with one pinned thread per shard
// that decodes in place, checks sequences (gaps), record age (the snail) and
// topics, and hands batches to a Sink. (Ingesting an existing ZeroMQ feed
// is package upstream's.) Recovery: the publisher's rewind window (the
// frames sent, held by reference) and its recovery endpoints, the recovery
// protocol (docs/wire.md section 9), and the subscriber's recovery of gaps
// and late joins in sequence order (recover_sub.go); ParseRewind and
// ParseHold read the window's and the hold's sizes as people write them.
//
// Concurrency: Publisher methods are safe for concurrent use (a mutex
// orders publishing, heartbeats and Close); RecoveryServer's too. Subscriber.Run is called once;
// Stats may be called from any goroutine. Router is immutable and safe.
package shard
