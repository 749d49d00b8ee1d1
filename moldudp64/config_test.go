package moldudp64

import (
	"net/netip"
	"strings"
	"testing"
)

// Lines are required (one or two); the drop fractions are fractions.
func TestConfigsValidate(t *testing.T) {
	l := Line{Group: netip.MustParseAddrPort("239.1.1.1:30001")}
	for _, c := range []struct {
		err  error
		want string
	}{
		{SenderConfig{}.Validate(), "0 lines: want 1 or 2"},
		{SenderConfig{Lines: []Line{l, l, l}}.Validate(), "3 lines"},
		{SenderConfig{Lines: []Line{l}, Drop: [2]float64{1.5, 0}}.Validate(), "drop fractions"},
		{ReceiverConfig{}.Validate(), "0 lines: want 1 or 2"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
	if err := (SenderConfig{Lines: []Line{l, l}, Drop: [2]float64{0.2, 0.2}}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (ReceiverConfig{Lines: []Line{l}}).Validate(); err != nil {
		t.Fatal(err)
	}
}
