package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair with the given width.
func openPTY(t *testing.T, cols int) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestStatusLineFitsTerminal runs bbox demo with stderr on a 60-column
// terminal: every status line is redrawn in place, cut to fit, never
// wrapping, and keeps the loss counters.
func TestStatusLineFitsTerminal(t *testing.T) {
	const cols = 60
	master, slave := openPTY(t, cols)
	cmd := exec.Command(bboxBin, "demo", "--duration", "2500ms", "--rate", "20k")
	cmd.Stderr = slave
	cmd.Env = append(os.Environ(), "COLUMNS=200") // the terminal's own width wins
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	slave.Close()
	var tty bytes.Buffer
	var mu sync.Mutex
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			tty.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not finish in 60s")
	}
	time.Sleep(100 * time.Millisecond) // the reader drains the terminal
	mu.Lock()
	raw := tty.String()
	mu.Unlock()
	n := 0
	for _, seg := range strings.Split(raw, "\r") {
		s, ok := strings.CutPrefix(seg, "\033[K")
		if !ok || !strings.HasPrefix(s, "[") {
			continue
		}
		s = strings.TrimRight(s, "\n")
		n++
		if w := utf8.RuneCountInString(s); w >= cols {
			t.Errorf("status line of %d columns on a %d-column terminal: %q", w, cols, s)
		}
		if !strings.Contains(s, "lost") {
			t.Errorf("the cut status line dropped the loss counters: %q", s)
		}
	}
	if n == 0 {
		t.Fatalf("no status line drawn on the terminal:\n%q", raw)
	}
}
