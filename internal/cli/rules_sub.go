package cli

import "errors"

// The subscriber side's rules (bbox sub, demo, record, worker), kept apart
// from bbox.go so that each group's rules merge on their own.
func init() {
	BBox.Rules["credit"] = Int(checkCredit)
}

// checkCredit holds bbox worker's --credit, the batches a subscriber may
// send ahead, to at least one (workers.WorkerConfig reads 0 as its
// default, which the flag spells 64). A negative window is refused in the
// words of every other count.
func checkCredit(n int) error {
	switch {
	case n < 0:
		return errors.New("must not be negative")
	case n == 0:
		return errors.New("want at least 1 batch")
	}
	return nil
}
