//go:build linux

package feed

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

// rawSleepMax is the longest sleep that holds its P (see preciseSleep).
const rawSleepMax = 2 * time.Millisecond

// preciseSleep sleeps d (under ~1ms) on the calling thread with the
// kernel's high-resolution timer rather than the Go runtime's, which
// rounds such waits up to about 1ms. The thread's timer slack (50µs by
// default, added to every sleep) is set to 1µs first; the thread is locked
// only for the two calls so the slack lands on the thread that sleeps.
// The slack is set on every sleep because the goroutine may sleep on a
// different thread each time; the call costs ~1µs per ≥50µs wake-up.
func preciseSleep(d time.Duration) {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	ts := syscall.NsecToTimespec(int64(d))
	if d <= rawSleepMax && runtime.GOMAXPROCS(0) > 1 {
		// A raw sleep keeps this goroutine's P for the short wait (the
		// other Ps run everything else) but skips the scheduler's syscall
		// bookkeeping, whose first syscall after an idle spell wakes the
		// runtime's monitor thread: at a fixed rate that is every sleep.
		syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	} else {
		syscall.Nanosleep(&ts, nil)
	}
	runtime.UnlockOSThread()
}
