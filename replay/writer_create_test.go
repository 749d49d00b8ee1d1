package replay

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCreateValidatesFirst: a bad WriterConfig is refused before an
// existing file at the path is truncated.
func TestCreateValidatesFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "day.bbc")
	if err := os.WriteFile(path, []byte("yesterday's capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, WriterConfig{Level: 99}); err == nil {
		t.Fatal("Create took compression level 99")
	}
	if b, _ := os.ReadFile(path); string(b) != "yesterday's capture" {
		t.Fatalf("the refused Create left %q", b)
	}
}
