package workers

import (
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// Status is a worker process's status line (bbox worker) at elapsed:
// its rate (records per second lately, the caller's to measure) and what
// st says it has handled.
func Status(elapsed time.Duration, rate float64, st WorkerProcStats) string {
	return fmt.Sprintf("[%2.0fs] %s rec/s, %s handled", elapsed.Seconds(), words.RateFixed(rate), words.Group(st.Records))
}
