package replay

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenFiles: a list opens in order; a damaged file opens (Damaged
// names it), a missing one is the error and closes those opened before.
func TestOpenFiles(t *testing.T) {
	dir := t.TempDir()
	whole := writeFile(t, testRecords(t, 2000, 1), 8<<10)
	bad := whole[:len(whole)*2/3] // a torn tail: no index, the last chunk cut
	a, b := filepath.Join(dir, "a.bbc"), filepath.Join(dir, "b.bbc")
	os.WriteFile(a, whole, 0o644)
	os.WriteFile(b, bad, 0o644)

	fs, err := OpenFiles([]string{a, a})
	if err != nil || len(fs) != 2 || fs.Damaged() != nil || fs[1].Name() != a || fs.Meta()["source"] != "test" {
		t.Fatalf("two whole files: %v, %d readers", err, len(fs))
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}

	fs, err = OpenFiles([]string{a, b})
	if err != nil || fs.Damaged() != fs[1] || fs.Damaged().Err() == nil {
		t.Fatalf("a damaged file opens and is named: %v", err)
	}
	fs.Close()

	_, err = OpenFiles([]string{a, filepath.Join(dir, "missing.bbc")})
	var e *Error
	if !errors.As(err, &e) || e.File != filepath.Join(dir, "missing.bbc") || e.Kind != KindIO {
		t.Fatalf("missing file: %v", err)
	}
	if n := len(Files(nil).IndexNotes()); n != 0 || Files(nil).Meta() != nil {
		t.Fatalf("no files: %d notes", n)
	}
}
