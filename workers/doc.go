// Package workers owns the worker pool that subscriber threads hand
// records to: the Handler interface for user code, the built-in
// per-symbol statistics handler, the in-process pool (Go channels; zmq4's
// inproc transport corrupts frames over 255 bytes), and the out-of-process
// path: a dispatcher that sends each batch to exactly one connected
// `bbox worker` over ZMTP PUSH/PULL, and the worker side that pulls.
//
// Concurrency: Pool and PushDispatcher are safe for concurrent Deliver
// calls from all subscriber threads. A Handler is called by one goroutine
// only (its worker), so it needs no locking of its own. Worker.Run is
// called once.
package workers
