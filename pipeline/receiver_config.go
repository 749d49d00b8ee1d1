package pipeline

// Validate reports the first unusable part, the worker side first as
// NewReceiver builds it: the dispatcher's config with Push, else the
// pool's (Pool is ignored with Push), then the subscriber's. NewReceiver
// calls it before it builds anything.
func (c ReceiverConfig) Validate() error {
	if c.Push != nil {
		if err := c.Push.Validate(); err != nil {
			return err
		}
	} else if err := c.Pool.Validate(); err != nil {
		return err
	}
	return c.Sub.Validate()
}
