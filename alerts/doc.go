// Package alerts owns bbox's alert stream as the operator's console sees
// it: the alert vocabulary (a Squawk is a late record, a gap, a stalled
// worker pool or a silent feed, and a croak when it ends the subscriber;
// an Event is one alert of any kind, squawk, croak, slow consumer or
// disconnect), its wire form (the two-frame message [Topic+Kind][JSON of
// Event] on a ZeroMQ PUB), and Watch, the console side that subscribes to
// an alert endpoint and decodes what arrives, and Pub, the side that
// publishes: the processes that squawk bind one, and each console gets its
// own bounded zmqx.Writer, so a stuck console never delays them (Open
// binds an optional one). Line and Format are an event's console line,
// and Follow watches several endpoints for bbox alerts --connect.
//
// Concurrency: Squawk and Event are plain values; Watch calls fn from one
// goroutine at a time; Pub is safe for concurrent use.
package alerts
