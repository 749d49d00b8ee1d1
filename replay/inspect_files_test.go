package replay

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// InspectFiles is Inspect of the named files, summarised in the zone
// asked for (a bad one a *ZoneError), with their damage apart.
func TestInspectFiles(t *testing.T) {
	dir := t.TempDir()
	good, torn := filepath.Join(dir, "good.bbc"), filepath.Join(dir, "torn.bbc")
	file := writeFile(t, testRecords(t, 500, 2), 8<<10)
	if err := os.WriteFile(good, file, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, damage, err := InspectFiles([]string{good}, "America/New_York", 3)
	if err != nil || len(damage) != 0 {
		t.Fatalf("a whole file: %v, damage %v", err, damage)
	}
	r, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect([]*Reader{r}, 3)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/New_York")
	var got, want bytes.Buffer
	sum.WriteText(&got)
	rep.Summary(loc, ZoneNote("America/New_York", nil)).WriteText(&want)
	if got.String() != want.String() || sum.TZ != "America/New_York" {
		t.Errorf("summary (zone %s):\n%s\nwant Inspect's:\n%s", sum.TZ, got.String(), want.String())
	}

	var ze *ZoneError
	if _, _, err := InspectFiles([]string{good}, "Nowhere/Such", 3); !errors.As(err, &ze) || ze.Error() == "" {
		t.Errorf("a bad zone: %v, want a *ZoneError", err)
	}
	if _, _, err := InspectFiles([]string{filepath.Join(dir, "missing.bbc")}, "", 3); err == nil || errors.As(err, &ze) {
		t.Errorf("a missing file: %v, want its own error", err)
	}
	bad, _ := corruptChunk(t, file, 1)
	if err := os.WriteFile(torn, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, damage, err := InspectFiles([]string{torn}, "", 3); err != nil || len(damage) == 0 {
		t.Errorf("a damaged chunk: %v, damage %v; want it named, not an error", err, damage)
	}
}
