package main

import (
	"fmt"
	"io"

	"github.com/bbox-dev/bbox/report"
)

// replaySummary is the JSON summary of bbox replay for bbox captures
// (docs/cli.md lists its keys).
type replaySummary = report.CaptureReplay

// summaryBreak starts a closing summary on a line of its own where a
// progress bar or status line may still be on the terminal; off a
// terminal the summary is stdout's first line.
func summaryBreak(e *env, w io.Writer) {
	if e.stderrTTY {
		fmt.Fprintln(w)
	}
}

// breakFirst writes an empty line before the first write: the summary
// summaryBreak gives, for a report written in pieces.
type breakFirst struct {
	w    io.Writer
	done bool
}

func (b *breakFirst) Write(p []byte) (int, error) {
	if !b.done {
		b.done = true
		if _, err := io.WriteString(b.w, "\n"); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}
