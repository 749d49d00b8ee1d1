package termlog

import (
	"testing"

	"go.uber.org/goleak"
)

// Every status-line goroutine (StatusLoop, WhileStatus) must have
// exited once its stop is closed and done awaited.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
