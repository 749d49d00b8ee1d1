package main

import (
	"io"

	"github.com/bbox-dev/bbox/shard"
)

// The summary's recovery keys and their text are shard's
// (shard/recovery_text.go); these keep the names subside.go and pub.go use.

// RecoveryKeys are the subscriber summary's recovery counts.
type RecoveryKeys = shard.RecoveryKeys

func recoveryKeysOf(st shard.SubStats) RecoveryKeys { return shard.RecoveryKeysOf(st) }

// printRecovery writes the human summary's recovery lines.
func printRecovery(w io.Writer, k *RecoveryKeys) { k.WriteText(w) }

// printRewind writes the publisher's window and recovery line.
func printRewind(w io.Writer, win *shard.WindowStats, rec []shard.RecoveryStats) {
	shard.WriteRewindText(w, win, rec)
}
