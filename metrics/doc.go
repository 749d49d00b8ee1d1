// Package metrics exposes bbox's counters to Prometheus.
//
// Every collector here is a custom prometheus.Collector that reads a
// snapshot of bbox's own counters (the Stats methods of shard, workers and
// replay, which read atomics) when it is scraped: nothing on a hot path
// takes a lock, allocates or even knows metrics exist. Adding a counter is
// one line in the collector's family list.
//
// Names follow Prometheus' conventions: the bbox_ namespace, _total on
// counters, base units (seconds, bytes). Label cardinality is bounded:
// shard and worker numbers, a per-shard peer slot (position among the
// shard's live connections, at most MaxPeers), and close reasons folded to
// at most MaxReasons short words; never a symbol or topic.
//
// Server serves a command's registry over HTTP (with pprof if asked) and
// holds the few counts the command itself keeps for its collectors.
//
// Collectors and Server are safe for concurrent use (the Prometheus
// registry may scrape from several goroutines); the snapshot functions
// they are given must be too.
package metrics
