package shard

import (
	"testing"

	"go.uber.org/goleak"
)

// Every publisher, subscriber and recovery goroutine a test started must
// have exited when its Close or Run returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
