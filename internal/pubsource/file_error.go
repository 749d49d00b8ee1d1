package pubsource

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// FileError is an Open error about a file: one that is there but cannot
// be published (Err names it), or a name spelt as a path (a "/" or "."
// and no "://") that is not there. Other Open errors are about a name
// that is no source at all, which a command reports as a usage mistake;
// a FileError is bad input.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// fileError classifies err, Open's error for name.
func fileError(name string, err error) error {
	if _, serr := os.Stat(name); serr == nil {
		return &FileError{err}
	} else if strings.ContainsAny(name, "/.") && !strings.Contains(name, "://") {
		// As in bbox replay, a missing path is said as the system says it.
		return &FileError{fmt.Errorf("%s: %w", name, errors.Unwrap(serr))}
	}
	return err
}
