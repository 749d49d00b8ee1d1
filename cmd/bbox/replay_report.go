package main

import (
	"io"

	"github.com/bbox-dev/bbox/report"
)

// replaySummary is the JSON summary of bbox replay for bbox captures
// (docs/cli.md lists its keys).
type replaySummary = report.CaptureReplay

// afterStatus is w for a closing summary that may follow a progress bar
// or status line: on a terminal the summary starts on a line of its own
// (breakFirst); off one it is w's first line.
func afterStatus(e *env, w io.Writer) io.Writer {
	if e.stderrTTY {
		return &breakFirst{w: w}
	}
	return w
}

// breakFirst writes an empty line before the first write, so that a
// report written in pieces starts on a line of its own.
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
