package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/cli"
	"github.com/bbox-dev/bbox/shard"
)

// recoveryPubFlags are a publisher's rewind window and recovery endpoints
// (pub, replay).
type recoveryPubFlags struct {
	rewind string
	binds  cli.List
}

func (r *recoveryPubFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.rewind, "rewind", "256MiB", "rewind window: frames kept (by reference) per partition for subscribers to recover gaps from, as frame memory (64MiB, 1GiB); 0 turns it and the recovery endpoints off")
	fs.Var(&r.binds, "recovery-bind", "recovery endpoints, one per shard (default: each --bind's host at its port + 1000; see docs/wire.md section 9)")
}

// apply sets the window's fields of cfg; errors are usage errors.
func (r *recoveryPubFlags) apply(cfg *shard.PubConfig) error {
	n, err := shard.ParseRewind(r.rewind)
	switch {
	case err != nil:
		return fmt.Errorf("--rewind: %v", err)
	case n < 0 && len(r.binds) > 0:
		return fmt.Errorf("--recovery-bind without a window: --rewind %s turns recovery off", r.rewind)
	}
	cfg.Rewind, cfg.RecoveryBinds = n, r.binds // nil: each --bind's port + 1000
	return nil
}

// recoverySubFlags are a subscriber's recovery settings (sub).
type recoverySubFlags struct {
	mode      string
	connect   cli.List
	archive   cli.List
	fromStart bool
	fromSeq   uint64
	hold      string
	timeout   time.Duration
}

func (r *recoverySubFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.mode, "recover", "window", "recover gaps, reconnects and --from-start joins: off (count them lost), window (the publisher's rewind window) or archive (the window, then --archive)")
	fs.Var(&r.connect, "recovery", "the publisher's recovery endpoints, one per shard, off to skip one (default: each --connect's host at its port + 1000)")
	fs.Var(&r.archive, "archive", "recovery endpoints of recorders (bbox record --serve), asked after the window with --recover archive")
	fs.BoolVar(&r.fromStart, "from-start", false, "a late joiner recovers the stream from its first record (needs --recover)")
	fs.Uint64Var(&r.fromSeq, "from-seq", 0, "a late joiner recovers every partition from this sequence (needs --recover)")
	fs.StringVar(&r.hold, "recover-hold", "64MiB", "live records held back per shard while an earlier range is recovered; past it the recovery is given up and its range counted lost")
	fs.DurationVar(&r.timeout, "recover-timeout", shard.DefaultRecoverTimeout, "a recovery endpoint silent this long counts as failed")
}

// apply sets sc's recovery fields; errors are usage errors.
func (r *recoverySubFlags) apply(sc *shard.SubConfig) error {
	mode, err := shard.ParseRecoverMode(r.mode)
	if err != nil {
		return fmt.Errorf("--recover %v", err)
	}
	sc.Recover = mode
	if len(r.connect) > 0 && len(r.connect) != len(sc.Connect) {
		return fmt.Errorf("--recovery: %d endpoints for %d --connect endpoints: give one per shard (off to skip one)", len(r.connect), len(sc.Connect))
	}
	sc.RecoveryConnect = r.connect // nil: each --connect's port + 1000
	sc.Archive = r.archive
	if mode == shard.RecoverArchive && len(r.archive) == 0 {
		return fmt.Errorf("--recover archive needs --archive ENDPOINT (bbox record --serve)")
	}
	if mode != shard.RecoverArchive && len(r.archive) > 0 {
		return fmt.Errorf("--archive is asked only with --recover archive")
	}
	if r.fromStart && r.fromSeq > 0 {
		return fmt.Errorf("--from-start and --from-seq: give one")
	}
	sc.JoinFrom = r.fromSeq // 0: live from the join on
	if r.fromStart {
		sc.JoinFrom = 1 // the stream's first record
	}
	if sc.JoinFrom > 0 && mode == shard.RecoverOff {
		return fmt.Errorf("--from-start/--from-seq need --recover window or archive")
	}
	if sc.MaxHold, err = shard.ParseHold(r.hold); err != nil {
		return fmt.Errorf("--recover-hold: %q: want a size such as 64MiB", r.hold)
	}
	if r.timeout <= 0 {
		return fmt.Errorf("--recover-timeout %v: want a positive duration", r.timeout)
	}
	sc.RecoverTimeout = r.timeout
	return nil
}
