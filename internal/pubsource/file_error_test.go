package pubsource

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/feed"
)

func TestOpenFileError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(bad, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "gone.bbc")
	for _, tc := range []struct {
		name     string
		fileErr  bool
		contains string
	}{
		{bad, true, "notes.txt"},
		{missing, true, missing + ": no such file or directory"},
		{"no-such-source", false, "is not gen"},
		{"zmq+tcp://", false, ""},
	} {
		_, err := Open(tc.name, feed.GenConfig{})
		if err == nil {
			t.Fatalf("Open(%q): no error", tc.name)
		}
		var fe *FileError
		if errors.As(err, &fe) != tc.fileErr || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("Open(%q) = %v (FileError %v); want FileError %v, naming %q", tc.name, err, fe != nil, tc.fileErr, tc.contains)
		}
	}
	if _, err := Open(missing, feed.GenConfig{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v does not match os.ErrNotExist", err)
	}
}
