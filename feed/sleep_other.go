//go:build !linux

package feed

import "time"

// minPaceSleep is the shortest sleep between paced chunks.
const minPaceSleep = 50 * time.Microsecond

// preciseSleep sleeps d; off Linux it is the runtime's timer.
func preciseSleep(d time.Duration) { time.Sleep(d) }
