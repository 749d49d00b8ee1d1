package shard

import "sync"

// broadcast wakes every goroutine waiting for a change, so that waiting
// for a condition on shared state is explicit signalling, not a loop that
// sleeps and looks again: take wait's channel, check the condition, and
// block on the channel if it does not hold yet; whoever changes the state
// calls signal afterwards. The zero value is ready; safe for concurrent use.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next signal.
func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// signal wakes everyone waiting; it costs a lock when no one is.
func (b *broadcast) signal() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}
