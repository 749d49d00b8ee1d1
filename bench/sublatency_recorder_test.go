package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

func TestStampSet(t *testing.T) {
	s := FromSource
	if err := s.Set("send"); err != nil || s != FromSend {
		t.Errorf("Set(send): %v, %v", s, err)
	}
	if err := s.Set("schedule"); err != nil || s != FromSource {
		t.Errorf("Set(schedule): %v, %v", s, err)
	}
	if err := s.Set("arrival"); err == nil || s != FromSource {
		t.Errorf("Set(arrival): %v, %v", s, err)
	}
}

// Without a path the recorder is the summary's: from the send time, every
// record counted (no warm-up apart), whatever the log would have used;
// with one it is OpenSubLatency's.
func TestSubRecorder(t *testing.T) {
	rec, lg, err := SubRecorder(SubLatencyConfig{From: FromSource, Warmup: time.Hour}, 2)
	if err != nil || lg != nil || rec == nil {
		t.Fatalf("recorder %v, log %v, err %v", rec, lg, err)
	}
	now := time.Now().UnixNano()
	rec.Observe(1, now, []feed.Record{{SourceTS: now - 9e6, SendTS: now - 5000}})
	if h := rec.Merged(); h.TotalCount() != 1 || h.Max() > 1e6 {
		t.Fatalf("%d values, max %dns: want one, from the send time", h.TotalCount(), h.Max())
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	rec, lg, err = SubRecorder(SubLatencyConfig{Path: filepath.Join(t.TempDir(), "sub.hlog"), From: FromSource}, 1)
	if err != nil || lg == nil {
		t.Fatalf("with a path: log %v, err %v", lg, err)
	}
	rec.Observe(0, now, []feed.Record{{SourceTS: now - 9e6, SendTS: now - 5000}})
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if h := rec.Merged(); h.TotalCount() != 1 || h.Max() < 8e6 {
		t.Fatalf("with a path: %d values, max %dns: want one, from the schedule", h.TotalCount(), h.Max())
	}
}
