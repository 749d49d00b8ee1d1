package shard

// Name is the strategy's name as ParseIdle reads it (park, yield or
// spin); ok is false for a strategy that is none of those three, which
// only a Go caller can build and no command line can carry.
func (i IdleStrategy) Name() (name string, ok bool) {
	switch i {
	case IdlePark:
		return "park", true
	case IdleYield:
		return "yield", true
	case IdleSpin:
		return "spin", true
	}
	return "", false
}
