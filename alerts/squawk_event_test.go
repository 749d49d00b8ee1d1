package alerts

import "testing"

func TestSquawkEvent(t *testing.T) {
	q := Squawk{Kind: "gap", Name: "sub-1", Shard: 2, Time: 42, Expected: 5, Seq: 9, Missing: 4}
	ev := SquawkEvent(q)
	if ev.Kind != "gap" || ev.Source != "sub-1" || ev.Shard != 2 || ev.Time != 42 || ev.Message != q.String() || ev.Squawk == nil || *ev.Squawk != q {
		t.Fatalf("event %+v", ev)
	}
	q.Croak = true
	if ev := SquawkEvent(q); ev.Kind != "croak" || ev.Message != q.String() {
		t.Fatalf("a croak's event %+v", ev)
	}
}
