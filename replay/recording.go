package replay

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
)

// RecordingConfig configures a Recording.
type RecordingConfig struct {
	// Recorder configures the capture files (RecordingMeta is the
	// metadata bbox record gives them).
	Recorder RecorderConfig
	// Sub configures the subscriber threads whose records are written;
	// the Recording is their sink. A recovery server (Serve) takes its
	// socket options (Conn) and log (Logf).
	Sub shard.SubConfig
	// Linger bounds how long Close keeps a recovery server up for
	// clients still catching up. 0 means 10s.
	Linger time.Duration
}

// Recording is a recording session (bbox record): subscriber threads
// writing what they receive to a Recorder and, once Serve is called, a
// recovery server answering from its files, finished and in progress.
// It is driven by one goroutine: NewRecording, Serve, Run, Close; its
// Subscriber's and Recorder's Stats may be read from any goroutine.
type Recording struct {
	cfg RecordingConfig
	rec *Recorder
	sub *shard.Subscriber
	srv *shard.RecoveryServer
}

// NewRecording opens the recorder's first file and makes the subscriber
// threads (not yet connected: Run connects them). A config the
// subscriber refuses opens no file.
func NewRecording(cfg RecordingConfig) (*Recording, error) {
	if cfg.Linger < 0 {
		return nil, errors.New("replay: negative recording linger")
	}
	if err := cfg.Sub.Validate(); err != nil {
		return nil, err
	}
	if cfg.Linger == 0 {
		cfg.Linger = 10 * time.Second
	}
	rec, err := NewRecorder(cfg.Recorder)
	if err != nil {
		return nil, err
	}
	sub, err := shard.NewSubscriber(cfg.Sub, rec)
	if err != nil {
		rec.Close()
		return nil, err
	}
	return &Recording{cfg: cfg, rec: rec, sub: sub}, nil
}

// RecordingMeta is what bbox record stores in each file's header: what
// made it, the endpoints it recorded (connect), this host, and the zone
// of the feed (which bbox inspect and replay read times in).
func RecordingMeta(connect []string, zone string) map[string]string {
	host, _ := os.Hostname()
	return map[string]string{"source": "bbox record", "connect": strings.Join(connect, ","), "host": host, "tz": zone}
}

// Serve binds a recovery server on endpoint that answers recovery
// requests (docs/wire.md section 9) from the files recorded, and returns
// the endpoint bound. Call it at most once, before Run.
func (r *Recording) Serve(endpoint string) (string, error) {
	if r.srv != nil {
		return "", errors.New("replay: the recording already serves recovery")
	}
	srv, err := shard.NewRecoveryServer(endpoint, r.cfg.Sub.Conn, r.rec.Archive(), shard.RecoveryLimits{}, r.cfg.Sub.Logf)
	if err != nil {
		return "", err
	}
	r.srv = srv
	return srv.Endpoint(), nil
}

// Run records until the subscriber ends (ctx, end-of-stream with
// ExitOnEOS, a croak) or the recorder fails to write, then closes the
// recorder, sealing its last file (Recorder.Record). It returns the
// subscriber's error and the recorder's. Run is called once.
func (r *Recording) Run(ctx context.Context) (runErr, closeErr error) {
	return r.rec.Record(ctx, r.sub.Run)
}

// Close closes the recorder if Run has not, then keeps the recovery
// server up (at most Linger) while clients are still catching up, and
// closes it. It is safe after Run and twice.
func (r *Recording) Close() {
	r.rec.Close()
	if r.srv != nil {
		r.srv.Linger(r.cfg.Linger) // the files are sealed by now
		r.srv.Close()
		r.srv = nil
	}
}

// VerdictInput is what verdict.Judge needs of a recording that received
// st and wrote rs, its Run having returned runErr (a croak is a finding;
// any other error is the caller's to report): the stream's counters, the
// croak, and what was received and not written.
func (r *Recording) VerdictInput(st shard.SubStats, rs RecorderStats, runErr error) verdict.Input {
	in := st.VerdictInput(r.cfg.Sub.Recover != shard.RecoverOff)
	if ce := (*shard.CroakError)(nil); errors.As(runErr, &ce) {
		in.Croaked, in.CroakReason = true, ce.Error()
	}
	in.NotWritten = rs.Dropped
	return in
}

// Subscriber is the subscriber threads (for their stats and metrics).
func (r *Recording) Subscriber() *shard.Subscriber { return r.sub }

// Recorder is the recorder they write to.
func (r *Recording) Recorder() *Recorder { return r.rec }
