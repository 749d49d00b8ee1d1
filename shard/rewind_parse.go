package shard

import (
	"fmt"

	"github.com/bbox-dev/bbox/internal/words"
)

// ParseRewind reads a rewind window (PubConfig.Rewind) as a person gives
// it: a size of frame memory such as 64MiB or 1GiB (words.ParseSize), or
// "0" or "off" for none, which is -1: the window and the recovery
// endpoints off.
func ParseRewind(s string) (int64, error) {
	switch s {
	case "0", "off":
		return -1, nil
	}
	return words.ParseSize(s)
}

// ParseHold reads SubConfig.MaxHold as a person gives it: a size such as
// 64MiB (words.ParseSize), at most 1TiB.
func ParseHold(s string) (int, error) {
	n, err := words.ParseSize(s)
	if err == nil && n > 1<<40 {
		err = fmt.Errorf("%q is more than 1TiB", s)
	}
	return int(n), err
}
