package tuning

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// allowedList reads Cpus_allowed_list of one thread of this process, the
// kernel's view from outside the thread; "" if the thread has exited.
func allowedList(t *testing.T, tid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", tid))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return "" // exited between listing and reading: nothing to check
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list for thread %d", tid)
	return ""
}

// Pin restricts the calling thread, and only it.
func TestPinOnlyThisThread(t *testing.T) {
	online := Online()
	if len(online) < 2 {
		t.Skip("needs 2 cores")
	}
	runtime.LockOSThread() // so mainTid stays this goroutine's thread
	defer runtime.UnlockOSThread()
	mainTid := Tid()
	before := allowedList(t, mainTid)
	for _, cpu := range online[:2] {
		type res struct {
			tid  int
			mask []int
			err  error
		}
		ch := make(chan res)
		release := make(chan struct{})
		go func() {
			err := Pin(cpu)
			mask, _ := ThreadCPUs()
			ch <- res{Tid(), mask, err}
			<-release // stay locked until the check from outside is done
		}()
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !reflect.DeepEqual(r.mask, []int{cpu}) {
			t.Errorf("pinned to %d: thread sees affinity %v", cpu, r.mask)
		}
		if got := allowedList(t, r.tid); got != fmt.Sprint(cpu) {
			t.Errorf("pinned to %d: /proc says Cpus_allowed_list %s", cpu, got)
		}
		if got, err := ThreadAffinity(r.tid); err != nil || !reflect.DeepEqual(got, []int{cpu}) {
			t.Errorf("ThreadAffinity(%d) = %v, %v; want [%d]", r.tid, got, err, cpu)
		}
		close(release) // the goroutine exits locked, so Go retires its thread
	}
	if after := allowedList(t, mainTid); after != before {
		t.Errorf("the test's own thread changed from %s to %s", before, after)
	}
}

// RestrictProcess moves every thread, and threads started afterwards
// inherit the mask.
func TestRestrictProcess(t *testing.T) {
	online := Online()
	if len(online) < 2 {
		t.Skip("needs 2 cores")
	}
	t.Cleanup(func() {
		if err := RestrictProcess(online); err != nil {
			t.Error(err)
		}
	})
	rest := online[:1]
	if err := RestrictProcess(rest); err != nil {
		t.Fatal(err)
	}
	// Start threads: blocked locked goroutines force the runtime to create Ms.
	const extra = 4
	tids := make(chan int)
	release := make(chan struct{})
	for i := 0; i < extra; i++ {
		go func() {
			runtime.LockOSThread()
			tids <- Tid()
			<-release
		}()
	}
	for i := 0; i < extra; i++ {
		<-tids
	}
	defer close(release)
	everyThreadOn(t, rest)
}

// Threads the runtime starts while RestrictProcess runs end up restricted
// too: a clone in flight copies its parent's old mask.
func TestRestrictProcessWhileThreadsStart(t *testing.T) {
	online := Online()
	if len(online) < 2 {
		t.Skip("needs 2 cores")
	}
	t.Cleanup(func() {
		if err := RestrictProcess(online); err != nil {
			t.Error(err)
		}
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A goroutine that exits locked retires its thread, so the
				// runtime keeps creating new ones.
				done := make(chan struct{})
				go func() {
					runtime.LockOSThread()
					close(done)
				}()
				<-done
			}
		}()
	}
	rest := online[:1]
	err := RestrictProcess(rest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// Threads started after the call inherit the mask from a restricted
	// thread; check that none kept the old one.
	everyThreadOn(t, rest)
}

// everyThreadOn checks that every thread of the process may run on cpus
// only. A thread that exited after the listing (a retired pinned thread
// of TestPinOnlyThisThread, say) has no mask left to check.
func everyThreadOn(t *testing.T, cpus []int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	want := FormatCPUList(cpus)
	for _, e := range ents {
		var tid int
		fmt.Sscan(e.Name(), &tid)
		if got := allowedList(t, tid); got != want && got != "" {
			t.Errorf("thread %d: Cpus_allowed_list %s, want %s", tid, got, want)
		}
	}
}
