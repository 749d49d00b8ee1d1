package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIContract checks the exit codes and messages of CLI.md in process.
func TestCLIContract(t *testing.T) {
	f := func(args []string, wantCode int, wantIn string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
		if code != wantCode {
			t.Fatalf("bbox %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out.String(), errb.String())
		}
		if all := out.String() + errb.String(); !strings.Contains(all, wantIn) {
			t.Fatalf("bbox %s: output lacks %q:\n%s", strings.Join(args, " "), wantIn, all)
		}
	}
	f(nil, exitUsage, "Usage")
	f([]string{"help"}, exitOK, "demo")
	f([]string{"nonsense"}, exitUsage, `unknown command "nonsense"`)
	for _, c := range []string{"demo", "pub", "sub", "worker", "alerts"} {
		f([]string{"help", c}, exitOK, "Usage: bbox "+c)
		f([]string{c, "-h"}, exitOK, "Usage: bbox "+c)
		f([]string{c, "--no-such-flag"}, exitUsage, "no-such-flag")
	}
	f([]string{"pub"}, exitUsage, "--bind is required")
	f([]string{"sub"}, exitUsage, "--connect is required")
	f([]string{"worker"}, exitUsage, "--connect is required")
	f([]string{"pub", "--bind", "tcp://127.0.0.1:1", "--rate", "fast"}, exitUsage, "max")
	f([]string{"sub", "--connect", "udp://1.2.3.4:5"}, exitUsage, "udp://1.2.3.4:5")
	f([]string{"sub", "--connect", "tcp://127.0.0.1:1", "--on-late", "panic"}, exitUsage, "--on-late")
	f([]string{"demo", "--shards", "0"}, exitUsage, "--shards")
	f([]string{"demo", "--cpus", "x"}, exitUsage, "--cpus")
	// An address that cannot be bound is an error (1), named; a port out of range is a usage error (2).
	f([]string{"pub", "--bind", "tcp://192.0.2.1:7000", "--duration", "1ms"}, exitError, "shard 0: bind tcp://192.0.2.1:7000")
	f([]string{"pub", "--bind", "tcp://127.0.0.1:99999", "--duration", "1ms"}, exitUsage, `port "99999"`)
	foreign := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(foreign, []byte("not a capture"), 0o644)
	f([]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", foreign}, exitError, "notes.txt")
	f([]string{"pub", "--bind", "tcp://127.0.0.1:0", "--source", "no-such-source"}, exitUsage, "--source")
}
