package alerts

import (
	"testing"

	"go.uber.org/goleak"
)

// Every watch goroutine must have exited when Watch or Follow returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
