package report

import (
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// PubSourceStatus is the status line of a publisher running a source:
// PubStatus of pub's counters now (a *shard.Publisher; rate: records per
// second of its count), then the source's own counters where it has them
// (a live feed's StatusLine, as internal/pubsource's sources give).
func PubSourceStatus(elapsed time.Duration, pub interface{ Stats() shard.PubStats }, rate func(n int64) float64, src any) string {
	st := pub.Stats()
	line := PubStatus(elapsed, &st, func(_ int, n int64) float64 { return rate(n) })
	if sl, ok := src.(interface{ StatusLine() string }); ok {
		line += sl.StatusLine()
	}
	return line
}
