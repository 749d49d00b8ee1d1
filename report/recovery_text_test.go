package report

import (
	"strings"
	"testing"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// TestRecoveryText: the summary's recovery lines (none without recovery).
func TestRecoveryText(t *testing.T) {
	var b strings.Builder
	k := RecoveryOf(shard.SubStats{})
	writeRecovery(&b, &k)
	if b.Len() != 0 {
		t.Errorf("no recovery, yet text %q", b.String())
	}
	st := shard.SubStats{Recovered: 12345, RecoveryRequests: 3, Recoveries: 2, RecoveryMaxNs: int64(3 * time.Millisecond / 2), RecoveryTotalNs: int64(2 * time.Millisecond),
		Unrecoverable: 7, UnrecoverableRanges: []shard.Unrecoverable{{Shard: 1, Publisher: 0xab, Partition: 2, First: 10, Last: 16, Records: 7, Reason: "not in the window"}}, RangesOmitted: 4}
	k = RecoveryOf(st)
	if k.RecoveryMeanMs != 1 || k.RecoveryMaxMs != 1.5 || k.RecordsUnrecoverable != 7 {
		t.Errorf("RecoveryOf = %+v", k)
	}
	writeRecovery(&b, &k)
	want := "  recovery: 12,345 recovered in 2 ranges (3 requests), time to recover max 1.5 ms, mean 1.0 ms; 7 UNRECOVERABLE\n" +
		"    unrecoverable: shard 1 publisher ab partition 2 seq 10..16 (7 records): not in the window\n" +
		"    (4 more unrecoverable ranges not listed; the counts include them)\n"
	if b.String() != want {
		t.Errorf("writeRecovery:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestRewindText: the publisher's window and recovery line.
func TestRewindText(t *testing.T) {
	var b strings.Builder
	win := &shard.WindowStats{MaxBytes: 256 << 20, Bytes: 3 << 19, Frames: 1}
	writeRewind(&b, win, []shard.RecoveryStats{{Requests: 1, Records: 1000}, {Requests: 2, Records: 500}})
	if want := "  rewind window 1.5 of 256 MiB held (1 frame); recovery served 1,500 records to 3 requests\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	writeRewind(&b, win, []shard.RecoveryStats{{Requests: 4, Bad: 1, Busy: 2}, {Unknown: 3, PeersCut: 1, PeersRefused: 5}})
	if want := " (refused: 1 malformed, 2 over the rate, 3 unknown streams; 1 clients cut, 5 refused)\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("got %q, want it to end %q", b.String(), want)
	}
}
