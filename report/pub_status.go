package report

import (
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// PubSourceStatus is the status line of a publisher running a source:
// PubStatus of st (rate: records per second of the publisher's count),
// then the source's own counters where it has them (a live feed's
// StatusLine, as internal/pubsource's sources give).
func PubSourceStatus(elapsed time.Duration, st *shard.PubStats, rate func(n int64) float64, src any) string {
	line := PubStatus(elapsed, st, func(_ int, n int64) float64 { return rate(n) })
	if sl, ok := src.(interface{ StatusLine() string }); ok {
		line += sl.StatusLine()
	}
	return line
}
