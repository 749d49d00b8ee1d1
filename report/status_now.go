package report

import (
	"time"

	"github.com/bbox-dev/bbox/pipeline"
)

// ReceiverStatus is SubStatus of rx's subscriber counters now (bbox sub's
// status line), so that a command's status wiring is one call.
func ReceiverStatus(elapsed time.Duration, rx *pipeline.Receiver, rate Rate) string {
	st := rx.Subscriber().Stats()
	return SubStatus(elapsed, &st, rate)
}

// PipelineStatus is LoopStatus of l's publisher and subscriber counters
// now (bbox demo's status line).
func PipelineStatus(elapsed time.Duration, l *pipeline.Loop, rate Rate) string {
	ps, ss := l.Publisher().Stats(), l.Receiver().Subscriber().Stats()
	return LoopStatus(elapsed, &ps, &ss, rate)
}
