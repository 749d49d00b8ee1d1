// Package upstream owns bbox's ingest of an existing ZeroMQ feed handler:
// bbox as a subscriber of a PUB that sends [topic][payload] (optionally
// [topic][payload][timestamp]) messages. A Source subscribes, checks every
// message (dropping and counting the malformed, the badly-topicked and the
// too large), PINGs a quiet upstream and redials a silent one, and yields
// one record per message, so `bbox pub --source zmq+tcp://HOST:PORT`
// stamps, shards and fans the feed out like any other feed.Source. Parse
// reads that spelling (docs/wire.md section 8); Stats.Warnings and
// Stats.ActiveNote say what a summary must about the run.
//
// Concurrency: a Source's Next and Pending belong to one goroutine; its
// Stats and Close are safe from any.
package upstream
