//go:build !linux

package feed

import "time"

// preciseSleep sleeps d; off Linux it is the runtime's timer.
func preciseSleep(d time.Duration) { time.Sleep(d) }
