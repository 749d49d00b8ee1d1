package metrics

import (
	"strings"
	"testing"
)

// TestServerConfigValidate: Serve refuses a missing or malformed address
// before it listens, with Validate's error.
func TestServerConfigValidate(t *testing.T) {
	for _, c := range []struct{ addr, want string }{{"", "no address"}, {"9100", "missing port"}} {
		cfg := ServerConfig{Addr: c.addr}
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%q: %v, want %q", c.addr, err, c.want)
		}
		if s, serr := Serve(cfg); serr == nil || serr.Error() != err.Error() {
			if s != nil {
				s.Close()
			}
			t.Fatalf("%q: Serve says %v, want %v", c.addr, serr, err)
		}
	}
	if err := (ServerConfig{Addr: ":0"}).Validate(); err != nil {
		t.Fatalf(":0: %v", err)
	}
}
