package report

import (
	"io"

	"github.com/bbox-dev/bbox/replay"
)

// CaptureReplay is bbox replay's closing report for bbox captures: the
// publisher's keys (CLI.md) plus what the replay read and skipped, as its
// "replay" block.
type CaptureReplay struct {
	Summary
	Replay replay.PlayReport `json:"replay"`
}

// NewCaptureReplay is the report of a capture replay that read rep
// through a publisher whose summary is s, run with waitSubs (Unheard).
// nothing, if not "", says that the replay played through and matched no
// record (replay.Play.Report); it is the first warning added.
func NewCaptureReplay(s Summary, rep replay.PlayReport, nothing string, waitSubs int) *CaptureReplay {
	if nothing != "" {
		s.Warnings = append(s.Warnings, nothing)
	}
	s.Warnings = append(s.Warnings, Unheard(&s, waitSubs)...)
	return &CaptureReplay{Summary: s, Replay: rep}
}

// WriteText is the capture replay's text: WriteReplay.
func (r *CaptureReplay) WriteText(w io.Writer) { WriteReplay(w, &r.Replay, &r.Summary) }
