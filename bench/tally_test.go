package bench

import (
	"testing"
	"time"
)

// TestTallyWait: the drain wait returns when the last record is counted,
// whether it was counted before or after the wait began, and gives up at
// its bound when records are missing.
func TestTallyWait(t *testing.T) {
	done := func(f func()) bool {
		ch := make(chan struct{})
		go func() { f(); close(ch) }()
		select {
		case <-ch:
			return true
		case <-time.After(10 * time.Second):
			return false
		}
	}
	early := newTally()
	early.Add(5)
	if !done(func() { early.wait(5, time.Hour, nil) }) {
		t.Fatal("records counted before the wait: the wait did not return")
	}
	late := newTally()
	late.Add(2)
	go func() { late.Add(3) }()
	if !done(func() { late.wait(5, time.Hour, nil) }) {
		t.Fatal("the last records counted during the wait: the wait did not return")
	}
	short := newTally()
	short.Add(4)
	if !done(func() { short.wait(5, time.Millisecond, nil) }) || short.Load() != 4 {
		t.Fatal("one record missing: the wait did not give up at its bound")
	}
	failed := make(chan struct{})
	close(failed)
	if !done(func() { newTally().wait(5, time.Hour, failed) }) {
		t.Fatal("a failed receiver: the wait did not return")
	}
}
