package shard

import (
	"strings"

	"github.com/bbox-dev/bbox/alerts"
)

// Squawk describes a late record or a gap (alerts.Squawk: the alert
// vocabulary is package alerts').
type Squawk = alerts.Squawk

// CroakError is returned by Run when the subscriber croaked.
type CroakError struct{ Squawk Squawk }

func (e *CroakError) Error() string { return strings.TrimPrefix(e.Squawk.String(), "CROAK: ") }
