package replay

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/shard"
)

// A Recording writes every record a publisher sends, with bbox record's
// metadata, until end-of-stream, and serves recovery while it runs.
func TestRecording(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := shard.NewPublisher(shard.PubConfig{Binds: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	out := filepath.Join(t.TempDir(), "rec.bbc")
	connect := pub.Endpoints()
	r, err := NewRecording(RecordingConfig{
		Recorder: RecorderConfig{Out: out, Writer: WriterConfig{Meta: RecordingMeta(connect, "America/New_York")}},
		Sub:      shard.SubConfig{Connect: connect, ExitOnEOS: true, Logf: t.Logf},
		Linger:   100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ep, err := r.Serve("tcp://127.0.0.1:0")
	if err != nil || !strings.HasPrefix(ep, "tcp://127.0.0.1:") || strings.HasSuffix(ep, ":0") {
		t.Fatalf("serve: %q, %v", ep, err)
	}
	if _, err := r.Serve("tcp://127.0.0.1:0"); err == nil {
		t.Fatal("a second Serve succeeded")
	}
	type result struct{ run, close error }
	done := make(chan result, 1)
	go func() { run, cl := r.Run(ctx); done <- result{run, cl} }()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	g, err := feed.NewGenerator(feed.GenConfig{Symbols: 20, Seed: 5, Records: n})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Run(ctx, g); err != nil {
		t.Fatal(err)
	}
	pub.Close() // end-of-stream ends the recording
	res := <-done
	if res.run != nil || res.close != nil {
		t.Fatalf("run %v, close %v", res.run, res.close)
	}
	if st, rs := r.Subscriber().Stats(), r.Recorder().Stats(); st.Received != n || rs.Records != n {
		t.Fatalf("received %d, written %d; want %d", st.Received, rs.Records, n)
	}
	f, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := f.Header().Meta
	if f.Records() != n || m["source"] != "bbox record" || m["connect"] != strings.Join(connect, ",") || m["tz"] != "America/New_York" || m["host"] == "" {
		t.Fatalf("file holds %d records, meta %v", f.Records(), m)
	}
	r.Close()
	r.Close()
}

// A recording that cannot open its file, or whose subscriber config is
// unusable, is refused and leaves nothing running.
func TestNewRecordingErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewRecording(RecordingConfig{Recorder: RecorderConfig{Out: filepath.Join(dir, "no", "such", "dir", "x.bbc")},
		Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}}); err == nil {
		t.Error("recorded into a directory that is not there")
	}
	if _, err := NewRecording(RecordingConfig{Recorder: RecorderConfig{Out: filepath.Join(dir, "a.bbc")}}); err == nil {
		t.Error("recorded with no endpoints to subscribe to")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.bbc")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused recording left its file: %v", err)
	}
	if _, err := NewRecording(RecordingConfig{Recorder: RecorderConfig{Out: filepath.Join(dir, "b.bbc")},
		Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}, Linger: -time.Second}); err == nil {
		t.Error("took a negative linger")
	}
	r, err := NewRecording(RecordingConfig{Recorder: RecorderConfig{Out: filepath.Join(dir, "c.bbc")}, Sub: shard.SubConfig{Connect: []string{"tcp://127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Serve("nonsense"); err == nil {
		t.Error("served recovery on a bad endpoint")
	}
	r.Close()
}
