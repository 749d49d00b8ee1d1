package upstream

import (
	"strings"
	"testing"
)

func TestStatsWarnings(t *testing.T) {
	if w := (Stats{Endpoint: "tcp://h:1", Connects: 1}).Warnings(); len(w) != 0 {
		t.Errorf("a clean run warns: %q", w)
	}
	w := Stats{Endpoint: "tcp://h:1", Connects: 3, Silent: 1, Malformed: 1, BadTopic: 2, TooLarge: 1234}.Warnings()
	if len(w) != 2 || w[0] != "upstream tcp://h:1: dropped 1,237 unusable messages (1 malformed, 2 bad topic, 1234 too large)" ||
		w[1] != "upstream tcp://h:1: connected 3 times (1 after silence): messages sent while disconnected are lost" {
		t.Errorf("warnings %q", w)
	}
	if w := (Stats{Endpoint: "tcp://h:1"}).Warnings(); len(w) != 1 || !strings.HasSuffix(w[0], "never connected") {
		t.Errorf("never connected: %q", w)
	}
}

func TestActiveNote(t *testing.T) {
	var none *Stats
	if none.ActiveNote() != "" || (&Stats{}).ActiveNote() != "" {
		t.Error("a note without active time")
	}
	if n := (&Stats{ActiveSeconds: 1.5004}).ActiveNote(); n != " while the feed was active, 1.5s" {
		t.Errorf("note %q", n)
	}
}
