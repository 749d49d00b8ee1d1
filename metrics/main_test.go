package metrics

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a test started must have exited when it returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
