package workers

import (
	"errors"
	"os"
)

// CreateTap creates the file at path (replacing one that is there) and a
// Tap writing to it, with Tap.Payload set to payload: the --tap file of
// bbox sub and bbox worker. close flushes the Tap and closes the file.
// An empty path is no tap: a nil Tap and a close that does nothing.
func CreateTap(path string, payload bool) (tap *Tap, close func() error, err error) {
	if path == "" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	tap = NewTap(f)
	tap.Payload = payload
	return tap, func() error { return errors.Join(tap.Flush(), f.Close()) }, nil
}
