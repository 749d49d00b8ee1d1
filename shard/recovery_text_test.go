package shard

import (
	"strings"
	"testing"
	"time"
)

func TestRecoveryKeysText(t *testing.T) {
	var b strings.Builder
	k := RecoveryKeysOf(SubStats{})
	k.WriteText(&b)
	if b.Len() != 0 {
		t.Errorf("no recovery, yet text %q", b.String())
	}
	st := SubStats{Recovered: 12345, RecoveryRequests: 3, Recoveries: 2, RecoveryMaxNs: int64(3 * time.Millisecond / 2), RecoveryTotalNs: int64(2 * time.Millisecond),
		Unrecoverable: 7, UnrecoverableRanges: []Unrecoverable{{Shard: 1, Publisher: 0xab, Partition: 2, First: 10, Last: 16, Records: 7, Reason: "not in the window"}}, RangesOmitted: 4}
	k = RecoveryKeysOf(st)
	if k.RecoveryMeanMs != 1 || k.RecoveryMaxMs != 1.5 || k.RecordsUnrecoverable != 7 {
		t.Errorf("RecoveryKeysOf = %+v", k)
	}
	k.WriteText(&b)
	want := "  recovery: 12,345 recovered in 2 ranges (3 requests), time to recover max 1.5 ms, mean 1.0 ms; 7 UNRECOVERABLE\n" +
		"    unrecoverable: shard 1 publisher ab partition 2 seq 10..16 (7 records): not in the window\n" +
		"    (4 more unrecoverable ranges not listed; the counts include them)\n"
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant\n%s", b.String(), want)
	}
}

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

func TestWriteRewindText(t *testing.T) {
	var b strings.Builder
	win := &WindowStats{MaxBytes: 256 << 20, Bytes: 3 << 19, Frames: 1}
	WriteRewindText(&b, win, []RecoveryStats{{Requests: 1, Records: 1000}, {Requests: 2, Records: 500}})
	if want := "  rewind window 1.5 of 256 MiB held (1 frame); recovery served 1,500 records to 3 requests\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	WriteRewindText(&b, win, []RecoveryStats{{Requests: 4, Bad: 1, Busy: 2}, {Unknown: 3, PeersCut: 1, PeersRefused: 5}})
	if want := " (refused: 1 malformed, 2 over the rate, 3 unknown streams; 1 clients cut, 5 refused)\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("got %q, want it to end %q", b.String(), want)
	}
}
