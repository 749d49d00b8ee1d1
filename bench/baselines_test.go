package bench

import (
	"slices"
	"testing"
)

func TestBaselines(t *testing.T) {
	for _, c := range []struct {
		names   []string
		process bool
		want    []Path
		bad     string
	}{
		{nil, false, nil, ""},
		{nil, true, []Path{PathTCP, PathLibZMQ, PathLibZMQ64}, ""},
		{[]string{"none"}, true, nil, ""},
		{[]string{"tcp", "zmq4", "tcp"}, false, []Path{PathTCP, PathZMQ4}, ""},
		{[]string{"libzmq", "zmq4"}, false, []Path{PathZMQ4}, "libzmq"},
		{[]string{"tcp", "zmq4", "udp"}, true, []Path{PathTCP}, "zmq4"},
	} {
		got, bad := Baselines(c.names, c.process)
		if !slices.Equal(got, c.want) || bad != c.bad {
			t.Errorf("Baselines(%q, %v) = %v, %q; want %v, %q", c.names, c.process, got, bad, c.want, c.bad)
		}
	}
}
