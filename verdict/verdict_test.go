package verdict

import (
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	shards := []Shard{{ID: 0, Endpoint: "tcp://a:1"}, {ID: 1, Endpoint: "tcp://a:2"}}
	with := func(f func(s []Shard)) []Shard {
		s := append([]Shard(nil), shards...)
		f(s)
		return s
	}
	for _, c := range []struct {
		name string
		in   Input
		code Code
		want []string // substrings of Detail
		not  []string // substrings Detail must not have
		unac int64
	}{
		{name: "clean", in: Input{Published: 100, Received: 100, Shards: shards}, code: ExactlyOnce},
		{name: "clean exact publisher count", in: Input{Published: 100, PublishedExact: true, Received: 90, Filtered: 10}, code: ExactlyOnce},
		{name: "nothing", in: Input{}, code: NoData, want: []string{"no record was published or received"}},
		{name: "before join", code: MissedBeforeJoin,
			in:   Input{Published: 100, Received: 60, BeforeJoin: 40, Shards: with(func(s []Shard) { s[1].BeforeJoin = 40 })},
			want: []string{"40 records missed before join (shard 1 tcp://a:2: 40)"}, not: []string{"shard 0"}},
		{name: "gaps", code: Lost,
			in:   Input{Published: 1000, Received: 945, LostInGaps: 55, Gaps: 2, Shards: with(func(s []Shard) { s[0].Lost, s[0].Gaps = 55, 2 })},
			want: []string{"55 lost in 2 gaps (shard 0 tcp://a:1: 55 in 2 gaps)"}},
		{name: "lost to workers", code: Lost, in: Input{Published: 10, Received: 10, LostToWorkers: 3},
			want: []string{"3 lost to workers"}},
		{name: "discarded at the publisher", code: Lost, in: Input{Published: 10, Received: 10, Discarded: 7},
			want: []string{"the publisher discarded 7 records"}},
		{name: "discarded unknown", code: ExactlyOnce, in: Input{Published: 10, Received: 10, Discarded: Unknown}},
		{name: "tail never received", code: Lost, unac: 5,
			in:   Input{Published: 105, PublishedExact: true, Received: 100},
			want: []string{"5 published and never received"}},
		{name: "interrupted in flight is not loss", code: Interrupted, unac: 55,
			in:   Input{Published: 1055, PublishedExact: true, Received: 1000, Interrupted: true},
			want: []string{"55 published but not yet received when interrupted", "interrupted"}, not: []string{"lost"}},
		{name: "interrupted clean", code: Interrupted, in: Input{Published: 10, PublishedExact: true, Received: 10, Interrupted: true},
			want: []string{"interrupted before the end"}},
		{name: "interrupted with a gap is lost", code: Lost,
			in:   Input{Published: 10, PublishedExact: true, Received: 8, LostInGaps: 2, Gaps: 1, Interrupted: true},
			want: []string{"2 lost in 1 gap", "interrupted"}},
		{name: "stalled for good", code: Stalled,
			in:   Input{Published: 10, Received: 10, Stalls: 1, Shards: with(func(s []Shard) { s[0].Stalls, s[0].Silent = 1, true })},
			want: []string{"the feed went silent 1 time (shard 0 tcp://a:1: 1, still silent at the end: what it published since is unknown)"}},
		{name: "before join and a gap", code: Lost, in: Input{Published: 100, Received: 50, BeforeJoin: 40, LostInGaps: 10, Gaps: 1},
			want: []string{"40 records missed before join", "10 lost in 1 gap"}},
		{name: "before join and a stall", code: Stalled, in: Input{Published: 100, Received: 60, BeforeJoin: 40, Stalls: 1}},
		{name: "stalled and recovered with a gap", code: Lost,
			in:   Input{Published: 20, Received: 15, LostInGaps: 5, Gaps: 1, Stalls: 1, Shards: with(func(s []Shard) { s[1].Stalls, s[1].Lost, s[1].Gaps = 1, 5, 1 })},
			want: []string{"5 lost in 1 gap", "went silent 1 time (shard 1 tcp://a:2: 1)"}},
		{name: "publisher gone", code: Incomplete,
			in:   Input{Published: 10, Received: 10, Shards: with(func(s []Shard) { s[1].Disconnected, s[1].Reached = true, true })},
			want: []string{"disconnected at the end before its end-of-stream: shard 1 tcp://a:2"}},
		{name: "a shard never connected", code: Incomplete,
			in:   Input{Published: 10, Received: 10, Shards: with(func(s []Shard) { s[0].Disconnected = true })},
			want: []string{"never connected: shard 0 tcp://a:1"}},
		{name: "no publisher at all", code: NoData,
			in:   Input{Shards: with(func(s []Shard) { s[0].Disconnected, s[1].Disconnected = true, true })},
			want: []string{"never connected: shard 0 tcp://a:1, shard 1 tcp://a:2", "no record was published or received"}},
		{name: "silent shard is named once", code: Stalled,
			in:  Input{Published: 10, Received: 10, Stalls: 1, Shards: with(func(s []Shard) { s[0].Stalls, s[0].Silent, s[0].Disconnected, s[0].Reached = 1, true, true, true })},
			not: []string{"disconnected at the end"}},
		{name: "croaked", code: Croaked, in: Input{Published: 10, Received: 4, Croaked: true, CroakReason: "record X is 9ms old"},
			want: []string{"croaked (record X is 9ms old)"}},
		{name: "croaked, exact count", code: Croaked, unac: 6, in: Input{Published: 10, PublishedExact: true, Received: 4, Croaked: true},
			want: []string{"6 published and not delivered (discarded at the croak)"}},
		{name: "redelivered", code: AtLeastOnce, in: Input{Published: 10, Received: 10, Redelivered: 4},
			want: []string{"4 redelivered"}},
		{name: "redelivered and lost", code: Lost, in: Input{Published: 10, Received: 10, Redelivered: 4, LostToWorkers: 1}},
		{name: "malformed", code: Unverified, in: Input{Published: 10, Received: 10, Malformed: 1}, want: []string{"1 malformed frame dropped"}},
		{name: "restart", code: Unverified, in: Input{Published: 10, Received: 10, Restarts: 2}, want: []string{"restarted 2 times"}},
		{name: "late but complete", code: ExactlyOnce, in: Input{Published: 10, Received: 10, Late: 3}, want: []string{"3 delivered later"}},
		{name: "more received than published", code: Unverified, in: Input{Published: 10, PublishedExact: true, Received: 12},
			want: []string{"2 more received than published"}},
		{name: "everything at once", code: Croaked, unac: 0,
			in: Input{Published: 1000, Received: 500, BeforeJoin: 100, LostInGaps: 400, Gaps: 3, LostToWorkers: 2, Stalls: 1,
				Croaked: true, CroakReason: "silent", Interrupted: true, Redelivered: 1, Discarded: 9},
			want: []string{"croaked", "before join", "lost in 3 gaps", "lost to workers", "went silent", "interrupted", "redelivered", "discarded 9"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(c.in)
			if v.Code != c.code {
				t.Fatalf("code %q, want %q (detail %q)", v.Code, c.code, v.Detail)
			}
			for _, w := range c.want {
				if !strings.Contains(v.Detail, w) {
					t.Errorf("detail %q lacks %q", v.Detail, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(v.Detail, w) {
					t.Errorf("detail %q has %q", v.Detail, w)
				}
			}
			if v.Unaccounted != c.unac {
				t.Errorf("unaccounted %d, want %d", v.Unaccounted, c.unac)
			}
			line := v.Line()
			if (v.Code == ExactlyOnce) != (line == ExactlyOnceLine) {
				t.Errorf("code %q with line %q", v.Code, line)
			}
			if v.Code != ExactlyOnce && strings.Contains(strings.ToLower(line), "arrived exactly once") {
				t.Errorf("code %q claims exactly once: %q", v.Code, line)
			}
		})
	}
}

func TestInterruptedLine(t *testing.T) {
	f := func(in Input, want string) {
		t.Helper()
		if got := Judge(in).Line(); got != want {
			t.Errorf("Line() = %q, want %q", got, want)
		}
	}
	f(Input{Published: 10, PublishedExact: true, Received: 10, Interrupted: true},
		"Interrupted before the end of the stream: up to the stop, nothing was lost or missed.")
	f(Input{Published: 12, PublishedExact: true, Received: 10, Interrupted: true},
		"Interrupted before the end of the stream: 2 published but not yet received when interrupted.")
}

// TestOnlyCleanCountersSayExactlyOnce flips each counter of a clean run on
// its own: every one of them must take the claim away.
func TestOnlyCleanCountersSayExactlyOnce(t *testing.T) {
	clean := Input{Published: 100, PublishedExact: true, Received: 100, Discarded: Unknown}
	if v := Judge(clean); v.Code != ExactlyOnce || v.Detail != "" {
		t.Fatalf("clean run: %+v", v)
	}
	for name, f := range map[string]func(*Input){
		"before join":    func(in *Input) { in.BeforeJoin, in.Received = 1, 99 },
		"gap":            func(in *Input) { in.LostInGaps, in.Gaps, in.Received = 1, 1, 99 },
		"tail":           func(in *Input) { in.Received = 99 },
		"workers":        func(in *Input) { in.LostToWorkers = 1 },
		"redelivered":    func(in *Input) { in.Redelivered = 1 },
		"unconfirmed":    func(in *Input) { in.Unconfirmed = 1 },
		"not handed":     func(in *Input) { in.NotHanded = 1 },
		"discarded":      func(in *Input) { in.Discarded = 1 },
		"stall":          func(in *Input) { in.Stalls = 1 },
		"croak":          func(in *Input) { in.Croaked = true },
		"interrupted":    func(in *Input) { in.Interrupted = true },
		"malformed":      func(in *Input) { in.Malformed = 1 },
		"restart":        func(in *Input) { in.Restarts = 1 },
		"disconnected":   func(in *Input) { in.Shards = []Shard{{Disconnected: true, Reached: true}} },
		"nothing at all": func(in *Input) { *in = Input{} },
	} {
		in := clean
		f(&in)
		if v := Judge(in); v.Code == ExactlyOnce || v.Detail == "" {
			t.Errorf("%s: %+v", name, v)
		}
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1529353: "1,529,353", -1234: "-1,234"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestRecoveredVerdict: "exactly once (N recovered)" only when every
// missing record was recovered; an unrecoverable rest is loss.
func TestRecoveredVerdict(t *testing.T) {
	full := Judge(Input{Published: 1000, Received: 1000, Gaps: 3, Recovered: 120, RecoveryRequests: 3})
	if full.Code != ExactlyOnce || full.Line() != "Every record published arrived exactly once (120 recovered), in sequence: no loss." {
		t.Fatalf("all recovered: %s / %q", full.Code, full.Line())
	}
	part := Judge(Input{Published: 1000, Received: 990, Gaps: 3, Recovered: 110, Unrecoverable: 10, LostInGaps: 10})
	if part.Code != Lost || !strings.Contains(part.Detail, "10 lost in 3 gaps after recovering 110") {
		t.Fatalf("partly recovered: %s / %q", part.Code, part.Detail)
	}
	join := Judge(Input{Published: 1000, Received: 1000, Recovered: 400})
	if join.Code != ExactlyOnce || !strings.Contains(join.Line(), "400 recovered") {
		t.Fatalf("late join recovered from the start: %s / %q", join.Code, join.Line())
	}
	plain := Judge(Input{Published: 1000, Received: 1000})
	if plain.Line() != ExactlyOnceLine {
		t.Fatalf("no recovery: %q", plain.Line())
	}
}

// TestStallBeforeEndOfStream: a stall on a shard that then reached its
// end-of-stream hides nothing (sequences account for the silence); one
// that did not still keeps the claim back.
func TestStallBeforeEndOfStream(t *testing.T) {
	ended := Judge(Input{Published: 100, Received: 100, Stalls: 1, Recovered: 30, Gaps: 1,
		Shards: []Shard{{ID: 0, Stalls: 1, Ended: true, Reached: true}}})
	if ended.Code != ExactlyOnce {
		t.Fatalf("stall then end-of-stream, all recovered: %s %q", ended.Code, ended.Detail)
	}
	open := Judge(Input{Published: 100, Received: 100, Stalls: 1,
		Shards: []Shard{{ID: 0, Stalls: 1, Reached: true}, {ID: 1, Ended: true, Reached: true}}})
	if open.Code != Stalled {
		t.Fatalf("stall without end-of-stream: %s %q", open.Code, open.Detail)
	}
}

// TestDiscardedButRecovered: with recovery on, what the publisher
// discarded is loss only where the gaps could not be recovered.
func TestDiscardedButRecovered(t *testing.T) {
	v := Judge(Input{Published: 100, PublishedExact: true, Received: 100, Discarded: 40, Gaps: 1, Recovered: 40, Recovering: true})
	if v.Code != ExactlyOnce {
		t.Fatalf("discarded, all recovered: %s %q", v.Code, v.Detail)
	}
	v = Judge(Input{Published: 100, PublishedExact: true, Received: 70, Discarded: 40, Gaps: 1, Recovered: 10, Unrecoverable: 30, LostInGaps: 30, Recovering: true})
	if v.Code != Lost {
		t.Fatalf("discarded, partly recovered: %s %q", v.Code, v.Detail)
	}
	if v = Judge(Input{Published: 100, PublishedExact: true, Received: 100, Discarded: 40}); v.Code != Lost {
		t.Fatalf("discarded, no recovery: %s", v.Code)
	}
}
