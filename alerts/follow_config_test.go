package alerts

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestFollowConfigValidate: a config that does not Validate is logged,
// with Validate's error, and ends Follow before any connection.
func TestFollowConfigValidate(t *testing.T) {
	if err := (FollowConfig{Endpoints: []string{"tcp://127.0.0.1:1"}}).Validate(); err != nil {
		t.Fatalf("an endpoint only: %v", err)
	}
	for _, c := range []struct {
		cfg  FollowConfig
		want string
	}{
		{FollowConfig{}, "no endpoint"},
		{FollowConfig{Endpoints: []string{"nonsense"}}, "nonsense"},
		{FollowConfig{Endpoints: []string{"tcp://127.0.0.1:1"}, Kinds: []string{""}}, "empty kind"},
		{FollowConfig{Endpoints: []string{"tcp://127.0.0.1:1"}, Count: -1}, "count -1"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: %v, want %q", c.cfg, err, c.want)
		}
		var logged []string
		c.cfg.Logf = func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }
		Follow(context.Background(), c.cfg, func(Event) { t.Error("an event shown") })
		if len(logged) != 1 || logged[0] != err.Error() {
			t.Fatalf("%+v: Follow logged %q, want %q", c.cfg, logged, err)
		}
	}
}
