package shard

import "testing"

func TestRecoveryText(t *testing.T) {
	for _, c := range []struct {
		cfg  SubConfig
		want string
	}{
		{SubConfig{Recover: RecoverOff, Connect: []string{"tcp://h:7000"}}, "recovery off: gaps are counted as lost"},
		{SubConfig{Recover: RecoverWindow, Connect: []string{"tcp://h:7000", "tcp://h:7001"}}, "recovering gaps from the publisher's window at tcp://h:8000, tcp://h:8001"},
		{SubConfig{Recover: RecoverArchive, Connect: []string{"tcp://h:7000"}, RecoveryConnect: []string{"tcp://r:9"}, Archive: []string{"tcp://a:1", "tcp://a:2"}},
			"recovering gaps from the publisher's window at tcp://r:9, then the archive at tcp://a:1, tcp://a:2"},
	} {
		if got := c.cfg.RecoveryText(); got != c.want {
			t.Errorf("RecoveryText = %q, want %q", got, c.want)
		}
	}
}
