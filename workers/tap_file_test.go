package workers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bbox-dev/bbox/feed"
)

// A tap file holds every line written once closed, payloads as asked.
func TestCreateTap(t *testing.T) {
	dir := t.TempDir()
	recs := []feed.Record{{Publisher: 0xab, Epoch: 2, Shard: 1, Partition: 3, Seq: 7, Topic: []byte("AAPL"), Payload: []byte{1, 2}}}
	for _, tc := range []struct {
		payload bool
		want    string
	}{{false, "ab 2 1 3 7 AAPL\n"}, {true, "ab 2 1 3 7 AAPL 0102\n"}} {
		path := filepath.Join(dir, "tap")
		tap, closeTap, err := CreateTap(path, tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		tap.Write(recs)
		if err := closeTap(); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != tc.want {
			t.Fatalf("payload %v: tap file %q (%v), want %q", tc.payload, b, err, tc.want)
		}
	}
	if tap, closeTap, err := CreateTap("", true); tap != nil || err != nil || closeTap() != nil {
		t.Fatalf("no path: tap %v, err %v", tap, err)
	}
	if _, _, err := CreateTap(filepath.Join(dir, "no", "such", "dir", "tap"), false); err == nil {
		t.Fatal("created a tap in a directory that is not there")
	}
}
