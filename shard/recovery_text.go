package shard

import "strings"

// RecoveryText names where a subscriber of c recovers from, for the log:
// each shard's recovery endpoint (given, or the default beside its
// Connect endpoint), then the archive.
func (c *SubConfig) RecoveryText() string {
	if c.Recover == RecoverOff {
		return "recovery off: gaps are counted as lost"
	}
	var eps []string
	for i := range c.Connect {
		if len(c.RecoveryConnect) > i {
			eps = append(eps, c.RecoveryConnect[i])
		} else if ep, err := DefaultRecoveryEndpoint(c.Connect[i]); err == nil {
			eps = append(eps, ep)
		}
	}
	s := "recovering gaps from the publisher's window at " + strings.Join(eps, ", ")
	if len(c.Archive) > 0 {
		s += ", then the archive at " + strings.Join(c.Archive, ", ")
	}
	return s
}
