package exchange

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// ImportInputs refuses files that are no exchange input by name, and
// the status line counts what Run wrote.
func TestImportInputsAndStatus(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("not a feed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportInputs([]string{other}); err == nil || err.Error() != other+": not an ITCH 5.0 file, pcap or pcapng (checked by content)" {
		t.Fatalf("a text file: %v", err)
	}
	in := filepath.Join(dir, "day.pcap")
	_, loc, _ := FeedTime("", "")
	if _, _, err := WritePcap(in, PcapConfig{Gen: testGen, Day: time.Date(2019, 1, 30, 0, 0, 0, 0, loc)}); err != nil {
		t.Fatal(err)
	}
	ins, err := ImportInputs([]string{in})
	if err != nil || len(ins) != 1 {
		t.Fatalf("%v: %v", ins, err)
	}
	im, err := NewImport(ImportConfig{Source: Config{Inputs: ins}, Out: filepath.Join(dir, "day.bbc")})
	if err != nil {
		t.Fatal(err)
	}
	if s := im.Status(0, func(int64) float64 { return 0 }); !strings.HasPrefix(s, "[ 0s] 0 records  ") {
		t.Errorf("status before Run: %q", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := im.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := im.Status(3*time.Second, func(n int64) float64 { return float64(n) }); rep.Records == 0 ||
		!strings.HasPrefix(s, "[ 3s] "+words.Group(rep.Records)+" records  "+words.RateFixed(float64(rep.Records))+" rec/s") {
		t.Errorf("status after Run: %q (%d records)", s, rep.Records)
	}
}
