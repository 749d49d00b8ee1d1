package pipeline

import (
	"errors"
	"fmt"
)

// Validate reports the first unusable part, the worker side first as
// NewReceiver builds it: the dispatcher's config with Push, else the
// pool's (Pool is ignored with Push), then the subscriber's. NewReceiver
// calls it before it builds anything.
func (c ReceiverConfig) Validate() error {
	switch {
	case c.WaitWorkers < 0 || c.WaitTimeout < 0:
		return fmt.Errorf("waiting for %d workers for %v: want neither negative", c.WaitWorkers, c.WaitTimeout)
	case c.WaitWorkers > 0 && c.Push == nil:
		return errors.New("waiting for workers needs a push endpoint: in-process workers are there from the start")
	}
	if c.Push != nil {
		if err := c.Push.Validate(); err != nil {
			return err
		}
	} else if err := c.Pool.Validate(); err != nil {
		return err
	}
	return c.Sub.Validate()
}
