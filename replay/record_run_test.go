package replay

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

func TestParseRotate(t *testing.T) {
	for _, c := range []struct {
		in   string
		size int64
		dur  time.Duration
	}{{"", 0, 0}, {"1GB", 1e9, 0}, {"512MiB", 512 << 20, 0}, {"1h", 0, time.Hour}, {"90s", 0, 90 * time.Second}} {
		size, dur, err := ParseRotate(c.in)
		if err != nil || size != c.size || dur != c.dur {
			t.Errorf("rotate %s: %d, %v, %v", c.in, size, dur, err)
		}
	}
	for _, in := range []string{"soon", "-1h", "0s"} {
		if _, _, err := ParseRotate(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("rotate %q: %v", in, err)
		}
	}
}

// TestRecorderRecord: the subscriber runs until it returns, the recorder
// is closed after it (the file sealed), and both errors come back.
func TestRecorderRecord(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rec.bbc")
	rec, err := NewRecorder(RecorderConfig{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	stopped := errors.New("end of stream")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runErr, closeErr := rec.Record(ctx, func(ctx context.Context) error { return stopped })
	if runErr != stopped || closeErr != nil {
		t.Fatalf("run %v, close %v", runErr, closeErr)
	}
	if _, err := Open(out); err != nil {
		t.Fatalf("the recording is not a sealed capture: %v", err)
	}
	// A run that waits for its context is ended by the caller's.
	rec, _ = NewRecorder(RecorderConfig{Out: filepath.Join(t.TempDir(), "b.bbc")})
	short, cancel2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel2()
	runErr, _ = rec.Record(short, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if !errors.Is(runErr, context.DeadlineExceeded) {
		t.Fatalf("run %v", runErr)
	}
}

func TestRecordText(t *testing.T) {
	rs := RecorderStats{Records: 1000, Dropped: 3, Chunks: 1, Bytes: 500, WireBytes: 2000, Files: []string{"a.bbc", "b.bbc"}}
	sub := shard.SubStats{Received: 1003, Published: 1010, Lost: 7, Gaps: 1}
	var b bytes.Buffer
	rs.WriteText(&b, sub, 2, "America/New_York", rs.Warnings())
	want := "record: 1,003 records received in 2.0s (502 records/s), 1,000 written\n" +
		"  files    a.bbc, b.bbc (500 bytes, 1 chunk, 4.0:1), times in America/New_York\n" +
		"  stream   published 1,010   lost 7   1 gap\n" +
		"  warning: 3 received records were not written\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	if l := RecordStatus(3*time.Second, 1500, sub, rs); l != "[ 3s] 1.5k rec/s, 1,003 received, 1,000 written to b.bbc (500 bytes) | lost 7 gaps 1" {
		t.Fatalf("status %q", l)
	}
}

func TestRecorderFirstFile(t *testing.T) {
	for _, c := range []struct {
		cfg  RecorderConfig
		want string
	}{{RecorderConfig{Out: "d/day.bbc"}, "d/day.bbc"}, {RecorderConfig{Out: "day.bbc", RotateBytes: 1}, "day-0000.bbc"},
		{RecorderConfig{Out: "day.bbc", RotateEvery: time.Hour}, "day-0000.bbc"}} {
		if got := c.cfg.FirstFile(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cfg, got, c.want)
		}
	}
	// The file a rotating Recorder opens first is the one named.
	cfg := RecorderConfig{Out: filepath.Join(t.TempDir(), "day.bbc"), RotateEvery: time.Hour}
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if files := rec.Stats().Files; len(files) != 1 || files[0] != cfg.FirstFile() || rec.Archive() == nil {
		t.Fatalf("files %q, want %q first", files, cfg.FirstFile())
	}
}

// TestRecorderRecordEndsOnWriteError: a recorder that cannot write (a full
// disk) ends the subscriber's run at once, and its error comes back.
func TestRecorderRecordEndsOnWriteError(t *testing.T) {
	rec, err := NewRecorder(RecorderConfig{Out: filepath.Join(t.TempDir(), "day.bbc")})
	if err != nil {
		t.Fatal(err)
	}
	full := errors.New("write day.bbc: no space left on device")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runErr, closeErr := rec.Record(ctx, func(ctx context.Context) error {
		rec.setErr(full) // what a failed chunk write does
		<-ctx.Done()     // a subscriber runs until it is stopped
		return ctx.Err()
	})
	if !errors.Is(runErr, context.Canceled) || closeErr != full || ctx.Err() != nil {
		t.Fatalf("run %v, close %v, caller's context %v: want the run cancelled by the write error", runErr, closeErr, ctx.Err())
	}
}
