package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A bad $GOGC does not stop bbox when no --gogc asks for a value: Go
// ignores it, so must we. A bad flag value is still an error, named.
func TestCLIBadGoEnvIgnored(t *testing.T) {
	port := freePorts(t, 1)[0]
	run := func(args ...string) (int, *proc) {
		t.Helper()
		cmd := exec.Command(bboxBin, args...)
		cmd.Env = append(cmd.Environ(), "GOGC=abc")
		p := startCmd(t, "bbox "+strings.Join(args, " "), cmd)
		return p.wait(20 * time.Second), p
	}
	bind := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	if code, p := run("pub", "--bind", bind, "--records", "10", "--rate", "max"); code != exitOK {
		t.Errorf("GOGC=abc bbox pub: exit %d, want 0\n%s", code, p.stderr.String())
	}
	for _, flag := range []string{"--gogc", "--gomemlimit"} {
		if code, p := run("pub", "--bind", bind, "--records", "10", flag, "x"); code != exitUsage || !strings.Contains(p.stderr.String(), flag[1:]) {
			t.Errorf("bbox pub %s x: exit %d, want %d naming the flag\n%s", flag, code, exitUsage, p.stderr.String())
		}
	}
}
