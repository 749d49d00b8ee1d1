package zmqx

// ResetOnClose makes the next Close abort the connection with a TCP RST
// (SO_LINGER 0) instead of a FIN. The peer's kernel then discards what it
// has received and not yet read: a dispatcher that drops a stalled worker
// and counts its unacknowledged batches as lost (or re-sends them) uses it
// so the worker, once it resumes, cannot read and handle them after all.
// On other transports (ipc) it does nothing.
func (p *Peer) ResetOnClose() { p.g.resetOnClose() }
