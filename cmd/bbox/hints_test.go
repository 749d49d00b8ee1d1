package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLibraryErrorsGetTheirFlag: the exchange package names no flag, so
// the command adds the one that answers its error: an undated ITCH file
// needs --date.
func TestLibraryErrorsGetTheirFlag(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "day.itch") // no date in the name
	if code, p := runBBox(t, 30*time.Second, "gen", "--format", "itch", "--out", day, "--records", "100", "--symbols", "4"); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, p.stderr.String())
	}
	code, p := runBBox(t, 30*time.Second, "import", day, "--out", filepath.Join(dir, "day.bbc"))
	want := "no trading day: name the file like MMDDYYYY.NASDAQ_ITCH50 or give the day (--date)"
	if code != 1 || !strings.Contains(p.stderr.String(), want) {
		t.Fatalf("import of an undated ITCH file: exit %d, stderr\n%s\nwant exit 1 and %q", code, p.stderr.String(), want)
	}
}
