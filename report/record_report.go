package report

import (
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/replay"
	"github.com/bbox-dev/bbox/shard"
	"github.com/bbox-dev/bbox/verdict"
)

// RecordReport is bbox record's closing report: RecordSummary's JSON,
// and the recording's text.
type RecordReport struct {
	RecordSummary
	sub shard.SubStats // what the text reports received
}

// NewRecordReport is the report of a recording run, its arguments as
// Record's.
func NewRecordReport(st shard.SubStats, rs replay.RecorderStats, elapsed time.Duration, zone string, in verdict.Input) *RecordReport {
	return &RecordReport{RecordSummary: Record(st, rs, elapsed, zone, in), sub: st}
}

// WriteText writes an empty line, which ends the line the run's status
// left, then what was received and written (RecorderStats.WriteText) with
// the summary's warnings, and the verdict on the stream recorded.
func (r *RecordReport) WriteText(w io.Writer) {
	fmt.Fprintln(w)
	r.Recording.WriteText(w, r.sub, r.Seconds, r.TZ, r.Warnings)
	r.writeEnd(w)
}
