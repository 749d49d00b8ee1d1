package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// WorkerSummary is a worker process's closing summary: what it handled,
// dropped and discarded, and whether a subscriber croaked (its JSON is
// bbox worker --json's object).
type WorkerSummary struct {
	Command       string        `json:"command"`
	Records       int64         `json:"records"`
	Batches       int64         `json:"batches"`
	Malformed     int64         `json:"frames_malformed"`
	Discarded     int64         `json:"records_discarded"`
	EOS           int64         `json:"eos"`
	Gone          int64         `json:"subscribers_gone"`
	Croaked       bool          `json:"croaked"`
	CroakReason   string        `json:"croak_reason,omitempty"`
	Seconds       float64       `json:"seconds"`
	ThroughputRPS float64       `json:"throughput_rps"`
	Workers       []WorkerStats `json:"workers"`
	TopSymbols    []SymSummary  `json:"top_symbols"`
}

// RunSummary is Run, timed and summed up: the summary names the five
// busiest symbols of top (the handler's statistics, or nil). A croak
// (*AbortError) is not an error here: it is in the summary as Croaked and
// CroakReason; any other error of Run is returned.
func (w *Worker) RunSummary(ctx context.Context, top *SymbolStats) (WorkerSummary, error) {
	start := time.Now()
	err := w.Run(ctx)
	elapsed := time.Since(start)
	var abort *AbortError
	if err != nil && !errors.As(err, &abort) {
		return WorkerSummary{}, err
	}
	st := w.Stats()
	s := WorkerSummary{Command: "worker", Records: st.Records, Batches: st.Batches, Malformed: st.Malformed, Discarded: st.Discarded, EOS: st.EOS, Gone: st.Gone,
		Seconds: elapsed.Seconds(), ThroughputRPS: float64(st.Records) / elapsed.Seconds(),
		Workers: []WorkerStats{{ID: 0, Records: st.Records, Handled: st.Records, Batches: st.Batches}}}
	var hs []*SymbolStats
	if top != nil {
		hs = append(hs, top)
	}
	s.TopSymbols = MergeTop(5, hs...)
	if abort != nil {
		s.Croaked, s.CroakReason = true, abort.Error()
	}
	return s, nil
}

// WriteText writes the summary for a person: one line of counts, and the
// croak on a line of its own.
func (s *WorkerSummary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "worker: %s in %s over %.1fs", words.Count(s.Records, "record", "records"), words.Count(s.Batches, "batch", "batches"), s.Seconds)
	if s.Malformed > 0 {
		fmt.Fprintf(w, ", %s dropped", words.Count(s.Malformed, "malformed frame", "malformed frames"))
	}
	if s.Discarded > 0 {
		fmt.Fprintf(w, ", %s records discarded (their subscriber dropped the connection or croaked)", words.Group(s.Discarded))
	}
	fmt.Fprintln(w)
	if s.Gone > 0 {
		fmt.Fprintf(w, "  %s gone: hung up without an end-of-stream and stayed unreachable (given up on; what was sent after is unknown here)\n",
			words.Count(s.Gone, "subscriber", "subscribers"))
	}
	if s.Croaked {
		fmt.Fprintf(w, "CROAKED: %s\n", s.CroakReason)
	}
}
