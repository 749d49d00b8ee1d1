package replay

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbox-dev/bbox/feed"
)

// RecorderConfig configures a Recorder. Zero values are documented defaults.
type RecorderConfig struct {
	// Out is the capture file to write. With rotation every file gets a
	// sequence number before the extension (RotatedName). Required.
	Out string
	// RotateBytes starts a new file once the current one reaches this
	// size (it may exceed it by one chunk). 0 never rotates by size.
	RotateBytes int64
	// RotateEvery starts a new file when the current one is this old.
	// 0 never rotates by time.
	RotateEvery time.Duration
	// Flush seals a chunk whose first record has waited this long, so a
	// quiet feed reaches the disk and a crash loses at most this much.
	// 0 means 1s; negative seals chunks only when they are full.
	Flush time.Duration
	// Writer shapes each file (chunk size, zstd level, metadata). Created
	// is set for each file when it is opened.
	Writer WriterConfig
	// Queue is how many received batches may wait for the writer before
	// the subscriber threads block (back-pressure). 0 (or negative) means
	// 256.
	Queue int
	// Logf receives operational messages (rotations, write errors). nil
	// discards them.
	Logf func(format string, args ...any)
}

// RecorderStats counts what a Recorder has written.
type RecorderStats struct {
	Records   int64    `json:"records"`    // written to sealed chunks
	Received  int64    `json:"received"`   // handed to the recorder
	Dropped   int64    `json:"dropped"`    // received but not written (after a write error)
	Chunks    int64    `json:"chunks"`     // sealed chunks over all files
	Bytes     int64    `json:"bytes"`      // file bytes over all files
	WireBytes int64    `json:"wire_bytes"` // wire size of the records written
	Files     []string `json:"files"`      // every file opened, in order
}

// Recorder is a shard.Sink that writes every delivered record to capture
// files, on a goroutine of its own, rotating by size or age.
type Recorder struct {
	cfg  RecorderConfig
	ch   chan *feed.Batch
	mu   sync.RWMutex
	shut bool
	done chan struct{}
	fail chan struct{}

	smu      sync.Mutex
	files    []string
	err      error
	w        *Writer
	opened   time.Time
	base     RecorderStats // totals of closed files
	received atomic.Int64
	dropped  atomic.Int64
}

// RotatedName is the name of the n-th file (from 0) of a rotated
// capture: "day.bbc" → "day-0003.bbc".
func RotatedName(out string, n int) string {
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%04d%s", strings.TrimSuffix(out, ext), n, ext)
}

// Validate checks c's values (zero values are defaults), the Writer's
// included.
func (c RecorderConfig) Validate() error {
	switch {
	case c.Out == "":
		return errors.New("recorder needs an output file")
	case c.RotateBytes < 0 || c.RotateEvery < 0:
		return errors.New("rotation size and interval must not be negative")
	}
	return c.Writer.Validate()
}

// NewRecorder opens the first file and starts the writer goroutine.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Flush == 0 {
		cfg.Flush = time.Second
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	r := &Recorder{cfg: cfg, ch: make(chan *feed.Batch, cfg.Queue), done: make(chan struct{}), fail: make(chan struct{})}
	if err := r.open(); err != nil {
		return nil, err
	}
	go r.loop()
	return r, nil
}

func (r *Recorder) rotating() bool { return r.cfg.RotateBytes > 0 || r.cfg.RotateEvery > 0 }

// FirstFile is the first file a Recorder with c writes: Out, or with
// rotation RotatedName(Out, 0). A caller that must not replace a capture
// checks it before starting.
func (c RecorderConfig) FirstFile() string {
	if c.RotateBytes > 0 || c.RotateEvery > 0 {
		return RotatedName(c.Out, 0)
	}
	return c.Out
}

// Archive answers recovery requests from the files r has written and is
// writing (bbox record --serve).
func (r *Recorder) Archive() *Archive {
	return NewArchive(func() []string { return r.Stats().Files })
}

func (r *Recorder) open() error {
	name := r.cfg.Out
	if r.rotating() {
		name = RotatedName(r.cfg.Out, len(r.files))
	}
	wc := r.cfg.Writer
	wc.Created = time.Now().UnixNano()
	meta := map[string]string{}
	for k, v := range wc.Meta {
		meta[k] = v
	}
	if r.rotating() {
		meta["part"] = strconv.Itoa(len(r.files))
	}
	wc.Meta = meta
	w, err := Create(name, wc)
	if err != nil {
		return err
	}
	r.smu.Lock()
	r.w, r.opened = w, time.Now()
	r.files = append(r.files, name)
	r.smu.Unlock()
	return nil
}

// Deliver hands a received batch to the writer goroutine; it blocks while
// the queue is full. The recorder returns b to the pool.
func (r *Recorder) Deliver(_ int, b *feed.Batch) {
	r.received.Add(int64(len(b.Recs)))
	r.mu.RLock()
	if r.shut {
		r.mu.RUnlock()
		r.dropped.Add(int64(len(b.Recs)))
		feed.PutBatch(b)
		return
	}
	r.ch <- b
	r.mu.RUnlock()
}

func (r *Recorder) loop() {
	defer close(r.done)
	tick := time.NewTicker(max(r.cfg.Flush/4, 10*time.Millisecond))
	if r.cfg.Flush < 0 {
		tick.Reset(time.Second)
	}
	defer tick.Stop()
	for {
		select {
		case b, ok := <-r.ch:
			if !ok {
				r.closeFile()
				return
			}
			r.write(b)
		case now := <-tick.C:
			r.timers(now)
		}
	}
}

func (r *Recorder) write(b *feed.Batch) {
	defer feed.PutBatch(b)
	// smu guards the Writer against Stats readers; batches are big, so
	// taking it once per batch costs nothing measurable.
	r.smu.Lock()
	if r.err != nil {
		r.smu.Unlock()
		r.dropped.Add(int64(len(b.Recs)))
		return
	}
	for i := range b.Recs {
		if err := r.w.Append(&b.Recs[i]); err != nil {
			if err == ErrTooLarge {
				r.dropped.Add(1)
				continue
			}
			r.setErrLocked(err)
			r.dropped.Add(int64(len(b.Recs) - i))
			r.smu.Unlock()
			return
		}
	}
	full := r.cfg.RotateBytes > 0 && r.w.Stats().Bytes >= r.cfg.RotateBytes
	r.smu.Unlock()
	if full {
		r.rotate("size")
	}
}

func (r *Recorder) timers(now time.Time) {
	r.smu.Lock()
	if r.err != nil || r.w == nil {
		r.smu.Unlock()
		return
	}
	if r.cfg.Flush > 0 {
		if t := r.w.PendingSince(); !t.IsZero() && now.Sub(t) >= r.cfg.Flush {
			if err := r.w.Flush(); err != nil {
				r.setErrLocked(err)
				r.smu.Unlock()
				return
			}
		}
	}
	old := r.cfg.RotateEvery > 0 && now.Sub(r.opened) >= r.cfg.RotateEvery
	r.smu.Unlock()
	if old {
		r.rotate("age")
	}
}

func (r *Recorder) rotate(why string) {
	r.smu.Lock()
	n := r.w.Stats().Records
	r.smu.Unlock()
	if !r.closeFile() {
		return
	}
	if err := r.open(); err != nil {
		r.setErr(err)
		return
	}
	r.smu.Lock()
	prev, cur := r.files[len(r.files)-2], r.files[len(r.files)-1]
	r.smu.Unlock()
	r.cfg.Logf("rotated by %s: closed %s (%d records), writing %s", why, prev, n, cur)
}

// closeFile closes the current file and folds its counts into base.
func (r *Recorder) closeFile() bool {
	r.smu.Lock()
	defer r.smu.Unlock()
	if r.w == nil {
		return false
	}
	err := r.w.Close()
	st := r.w.Stats()
	r.base.Records += st.Records
	r.base.Chunks += st.Chunks
	r.base.Bytes += st.Bytes
	r.base.WireBytes += st.WireBytes
	r.w = nil
	if err != nil {
		r.setErrLocked(err)
		return false
	}
	return true
}

func (r *Recorder) setErr(err error) {
	r.smu.Lock()
	defer r.smu.Unlock()
	r.setErrLocked(err)
}

func (r *Recorder) setErrLocked(err error) {
	if r.err == nil {
		r.err = err
		r.cfg.Logf("recording stopped: %v", err)
		close(r.fail)
	}
}

// Failed is closed when a write error has stopped the recording.
func (r *Recorder) Failed() <-chan struct{} { return r.fail }

// Err returns the write error that stopped the recording, if any.
func (r *Recorder) Err() error {
	r.smu.Lock()
	defer r.smu.Unlock()
	return r.err
}

// Close stops accepting batches, writes what is queued, seals the last
// chunk and closes the file with its index. It returns the first write
// error of the recording.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.shut {
		r.shut = true
		close(r.ch)
	}
	r.mu.Unlock()
	<-r.done
	return r.Err()
}

// Stats returns the counters; safe from any goroutine.
func (r *Recorder) Stats() RecorderStats {
	r.smu.Lock()
	defer r.smu.Unlock()
	s := r.base
	if r.w != nil {
		ws := r.w.Stats()
		s.Records += ws.Records
		s.Chunks += ws.Chunks
		s.Bytes += ws.Bytes
		s.WireBytes += ws.WireBytes
	}
	s.Files = append([]string(nil), r.files...)
	s.Received, s.Dropped = r.received.Load(), r.dropped.Load()
	return s
}
