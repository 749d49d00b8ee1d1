package replay

// What bbox record needs beyond the Recorder itself: reading its rotation
// setting, running a subscriber into it, and saying what was written.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
	"github.com/bbox-dev/bbox/shard"
)

// ParseRotate reads when a recording starts a new file: a positive
// interval (1h, 30m: RecorderConfig.RotateEvery) or a size (1GB, 512MiB:
// RotateBytes); "" never rotates.
func ParseRotate(s string) (size int64, every time.Duration, err error) {
	if s == "" {
		return 0, 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return 0, 0, fmt.Errorf("%q: want a positive interval", s)
		}
		return 0, d, nil
	}
	if n, err := words.ParseSize(s); err == nil {
		return n, 0, nil
	}
	return 0, 0, fmt.Errorf("%q is neither a size (1GB, 512MiB) nor an interval (1h, 30m)", s)
}

// Record runs a subscriber delivering to r (run is its Run) until it
// returns, and ends it at once if r fails to write (a full disk): data
// that cannot be stored must not be acknowledged by carrying on. Then,
// the subscriber threads stopped, it closes r, which writes everything
// already received, seals the last chunk and writes the index. It returns
// the subscriber's error and r's.
func (r *Recorder) Record(ctx context.Context, run func(context.Context) error) (runErr, closeErr error) {
	rctx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-r.Failed():
			cancel()
		case <-rctx.Done():
		}
	}()
	runErr = run(rctx)
	cancel()
	<-watched // the watcher is gone before Record returns
	return runErr, r.Close()
}

// Warnings say what the recording lost after the subscriber received it.
func (s RecorderStats) Warnings() []string {
	if s.Dropped > 0 {
		return []string{fmt.Sprintf("%s received records were not written", words.Group(s.Dropped))}
	}
	return nil
}

// RecordStatus is bbox record's status line after el: the receive rate
// (records per second lately), what the subscriber received and lost,
// and what s holds written.
func RecordStatus(el time.Duration, rate float64, sub shard.SubStats, s RecorderStats) string {
	return fmt.Sprintf("[%2.0fs] %s rec/s, %s received, %s written to %s (%s bytes) | lost %d gaps %d",
		el.Seconds(), words.RateFixed(rate), words.Group(sub.Received), words.Group(s.Records),
		s.Files[len(s.Files)-1], words.Group(s.Bytes), sub.Lost, sub.Gaps)
}

// WriteText is bbox record's closing report: what the subscriber received
// in secs seconds, what s wrote (files, bytes, chunks, compression, the
// zone stored), the stream's losses, then warnings.
func (s RecorderStats) WriteText(w io.Writer, sub shard.SubStats, secs float64, zone string, warnings []string) {
	fmt.Fprintf(w, "record: %s records received in %.1fs (%s records/s), %s written\n", words.Group(sub.Received), secs,
		words.RateFixed(float64(sub.Received)/secs), words.Group(s.Records))
	fmt.Fprintf(w, "  files    %s (%s bytes, %s, %.1f:1), times in %s\n", strings.Join(s.Files, ", "), words.Group(s.Bytes),
		words.Count(s.Chunks, "chunk", "chunks"), float64(s.WireBytes)/float64(max(s.Bytes, 1)), zone)
	fmt.Fprintf(w, "  stream   published %s   lost %s   %s\n", words.Group(sub.Published), words.Group(sub.Lost), words.Count(sub.Gaps, "gap", "gaps"))
	for _, warn := range warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}
