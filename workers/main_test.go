package workers

import (
	"testing"

	"go.uber.org/goleak"
)

// Every dispatcher, worker and pool goroutine must have exited when its
// Close or Run returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
