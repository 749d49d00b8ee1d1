package tuning

import (
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/internal/sockbuf"
)

func TestProbeSockBufs(t *testing.T) {
	max := sockbuf.Rcv.Max()
	wmax := sockbuf.Snd.Max()
	if max <= 0 || wmax <= 0 {
		t.Skip("net.core.rmem_max / wmem_max unreadable here")
	}
	res, err := ProbeSockBufs(max, wmax)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Capped() || r.Warning("--x") != "" {
			t.Errorf("asking exactly the cap: %+v reported capped", r)
		}
	}
	res, err = ProbeSockBufs(2*max, 2*wmax)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("got %d results, want 2", len(res))
	}
	for i, want := range []struct{ opt, sysctl string }{{"SO_RCVBUF", "net.core.rmem_max"}, {"SO_SNDBUF", "net.core.wmem_max"}} {
		r := res[i]
		if r.Option != want.opt || !r.Capped() {
			t.Errorf("result %d: %+v, want %s capped", i, r, want.opt)
		}
		w := r.Warning("--rcvbuf")
		if !strings.Contains(w, want.sysctl) || !strings.Contains(w, "sysctl -w "+want.sysctl+"=") {
			t.Errorf("warning %q does not name %s and how to raise it", w, want.sysctl)
		}
	}
	if res, err := ProbeSockBufs(0, 0); err != nil || res != nil {
		t.Errorf("nothing asked: %v, %v", res, err)
	}
}
