package shard

import (
	"testing"
	"time"
)

// TestBroadcast: a signal wakes every waiter that took the channel
// before it, and only those.
func TestBroadcast(t *testing.T) {
	var b broadcast
	w1, w2 := b.wait(), b.wait()
	b.signal()
	for i, w := range []<-chan struct{}{w1, w2} {
		select {
		case <-w:
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d not woken", i+1)
		}
	}
	w3 := b.wait()
	select {
	case <-w3:
		t.Fatal("a waiter after the signal was woken by it")
	default:
	}
	b.signal()
	<-w3
}
