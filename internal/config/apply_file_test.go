package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ApplyFile with no path sets nothing; with a file it applies the side's
// settings; a missing file is an error naming it.
func TestApplyFile(t *testing.T) {
	fs := sideFlags("worker")
	if notes, err := ApplyFile("", fs, "worker", nil); notes != nil || err != nil || fs.Lookup("connect").Value.String() != "" {
		t.Fatalf("no --config: %q, %v", notes, err)
	}
	path := filepath.Join(t.TempDir(), "two.conf")
	if err := os.WriteFile(path, []byte(twoBoxes), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyFile(path, fs, "worker", fs.Set); err != nil || fs.Lookup("connect").Value.String() != "tcp://10.0.1.2:7101" {
		t.Fatalf("worker: %v, --connect %s", err, fs.Lookup("connect").Value)
	}
	missing := filepath.Join(t.TempDir(), "none.conf")
	if _, err := ApplyFile(missing, sideFlags("pub"), "pub", nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing file: %v", err)
	}
}
