package replay

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// A recording's status line is RecordStatus of its subscriber's and
// recorder's counters, its rate asked of the records received.
func TestRecordingStatusLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rec.bbc")
	r, err := NewRecording(RecordingConfig{
		Recorder: RecorderConfig{Out: out},
		Sub:      shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}, Logf: t.Logf},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var asked int64 = -1
	got := r.StatusLine(2*time.Second, func(n int64) float64 { asked = n; return 1500 })
	want := RecordStatus(2*time.Second, 1500, r.Subscriber().Stats(), r.Recorder().Stats())
	if got != want || asked != 0 || !strings.Contains(got, "rec.bbc") {
		t.Fatalf("got %q (rate asked of %d), want %q", got, asked, want)
	}
}
