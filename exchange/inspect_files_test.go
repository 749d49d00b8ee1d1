package exchange

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "01302019.NASDAQ_ITCH50")
	if _, err := WriteITCH(name, testGen, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, ok, err := InspectFiles(ctx, []string{name}, "", 3)
	if !ok || err != nil || rep.Trouble() != "" {
		t.Fatalf("InspectFiles = %v, %v (trouble %q)", ok, err, rep.Trouble())
	}
	if _, ok, err := InspectFiles(ctx, []string{name}, "Mars/Olympus", 3); !ok || !errors.Is(err, ErrFeedTime) || !strings.HasPrefix(err.Error(), "tz: ") {
		t.Errorf("bad zone: %v, %v; want ErrFeedTime saying tz", ok, err)
	}
	// Not exchange inputs: not read, not an error here.
	if rep, ok, err := InspectFiles(ctx, []string{filepath.Join(dir, "day.bbc")}, "Mars/Olympus", 3); ok || err != nil || rep != nil {
		t.Errorf("a bbox capture: %v, %v, %v", rep, ok, err)
	}
}
