// Package workers owns the worker pool that subscriber threads hand
// records to: the Handler interface for user code, the built-in
// per-symbol statistics handler, the in-process pool (Go channels; zmq4's
// inproc transport corrupts frames over 255 bytes), and the out-of-process
// path: a dispatcher that sends each batch to exactly one connected
// `bbox worker` over ZMTP PUSH/PULL, under credit-based flow control
// (docs/wire.md section 5.1: workers announce a window and acknowledge what
// they handled; a worker that stops making progress is dropped and its
// unacknowledged records are counted lost or redelivered), and the worker
// side that pulls, acknowledges and stops on a croak (its status line:
// Status, or Worker.StatusLine of its own counters). A Tap writes one line per handled record, to a file with
// CreateTap (bbox sub --tap, bbox worker --tap).
//
// Accounting: Pool and PushDispatcher both count, per worker, records
// handed, handled and lost, so that handled + lost is every record
// delivered to them (PushDispatcher also Redelivered and Unconfirmed).
//
// Concurrency: Pool and PushDispatcher are safe for concurrent Deliver
// calls from all subscriber threads, and their counters and Stats for
// concurrent reads. A Handler is called by one goroutine only (its
// worker), so it needs no locking of its own. Worker.Run is called once.
package workers
