package shard

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// TestRecoveryLimitsValidate: zero limits are the defaults; a negative
// one is refused by Validate, by PubConfig.Validate and by
// NewRecoveryServer alike, naming it.
func TestRecoveryLimitsValidate(t *testing.T) {
	if err := (RecoveryLimits{}).Validate(); err != nil {
		t.Fatalf("zero limits: %v", err)
	}
	f := func(l RecoveryLimits, name string) {
		t.Helper()
		err := l.Validate()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%+v: %v, want an error naming %s", l, err, name)
		}
		pc := PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, RecoveryLimits: l}
		if perr := pc.Validate(); perr == nil || perr.Error() != err.Error() {
			t.Fatalf("%+v: PubConfig.Validate says %v, want %v", l, perr, err)
		}
		if _, serr := NewRecoveryServer("tcp://127.0.0.1:0", zmqx.Options{}, nil, l, nil); serr == nil || serr.Error() != err.Error() {
			t.Fatalf("%+v: NewRecoveryServer says %v, want %v", l, serr, err)
		}
	}
	f(RecoveryLimits{MaxReplyBytes: -1}, "max reply bytes")
	f(RecoveryLimits{Rate: -1}, "rate")
	f(RecoveryLimits{Rate: math.NaN()}, "rate")
	f(RecoveryLimits{Burst: -1}, "burst")
	f(RecoveryLimits{QueueBytes: -1}, "queue bytes")
	f(RecoveryLimits{MaxPeers: -1}, "max peers")
	f(RecoveryLimits{WriteTimeout: -time.Second}, "write timeout")
}

// TestConfigsValidateConn: the publisher's and subscriber's Validate
// refuse socket options that zmqx refuses.
func TestConfigsValidateConn(t *testing.T) {
	bad := zmqx.Options{RcvBuf: -1}
	if err := (PubConfig{Binds: []string{"tcp://127.0.0.1:0"}, Conn: bad}).Validate(); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("PubConfig with %+v: %v", bad, err)
	}
	if err := (SubConfig{Connect: []string{"tcp://127.0.0.1:1"}, Conn: bad}).Validate(); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("SubConfig with %+v: %v", bad, err)
	}
}
