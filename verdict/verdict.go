// Package verdict is the one place that turns a run's counters into the
// sentence an operator reads at the end ("every record arrived exactly
// once", or what was missed and where) and into a machine-readable code.
//
// Every receiving command (bbox sub, bbox demo) fills an Input from its
// counters and prints what Judge returns; nothing else in bbox may claim
// "exactly once". Judge says it only when every counter allows it: a
// counter that could hide loss (a stall, a restart, an interruption, an
// unknown) keeps the claim back and is named instead.
//
// Concurrency: Judge is a pure function; Input and Verdict are plain values.
package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bbox-dev/bbox/internal/words"
)

// Code is the machine-readable verdict (the JSON key "verdict").
type Code string

// The codes, from worst to best; a run gets the first that applies.
const (
	// Croaked: the subscriber stopped itself (late data, a gap over the
	// limit, a silent feed with --max-delay).
	Croaked Code = "croaked"
	// Lost: records are known to be missing (in gaps, at the workers,
	// discarded upstream, or published and never received).
	Lost Code = "lost"
	// Stalled: no loss was proven, but the feed went silent, so what was
	// published meanwhile is not known to have arrived.
	Stalled Code = "stalled"
	// Incomplete: a shard's stream neither ended nor was connected at
	// the end (its publisher went away), or it never connected: what it
	// published after its last record seen is unknown.
	Incomplete Code = "incomplete"
	// MissedBeforeJoin: the only records missing were published before
	// the subscriber joined (a late joiner); everything since arrived.
	MissedBeforeJoin Code = "missed_before_join"
	// Interrupted: the run was cut short (SIGINT/SIGTERM); what arrived
	// arrived once, and what the stream would have carried after is unknown.
	Interrupted Code = "interrupted"
	// Unverified: nothing was found missing, but some counter makes the
	// claim unprovable (a publisher restart, malformed frames).
	Unverified Code = "unverified"
	// NoData: nothing was published or received, so nothing can be claimed.
	NoData Code = "no_data"
	// AtLeastOnce: every record arrived, some were handled twice
	// (redelivered to another worker after one was dropped).
	AtLeastOnce Code = "at_least_once"
	// ExactlyOnce: every record published arrived once, in sequence.
	ExactlyOnce Code = "exactly_once"
)

// Unknown marks a counter that could not be measured (Input.Discarded
// when the publisher is another process).
const Unknown int64 = -1

// Shard is one subscriber thread's part of the counters, so the verdict
// can say where something went missing. Zero fields are omitted.
type Shard struct {
	ID         int
	Endpoint   string
	BeforeJoin int64 // records published before this shard's first frame
	Lost       int64 // records missing in sequence gaps
	Gaps       int64
	Stalls     int64 // times the feed went silent past the heartbeat timeout
	Silent     bool  // still silent (not reconnected) when the run ended
	// Disconnected: the connection was down at the end and the stream
	// had not ended; Reached: it was connected at least once.
	Disconnected, Reached bool
	// Ended: the shard saw end-of-stream on every partition it takes.
	// A stall before that hides nothing: every record published during
	// the silence has a sequence below what came after, so it was
	// received, recovered or counted in a gap.
	Ended bool
}

// Input is every counter the verdict depends on. The zero value is a run
// where nothing happened (NoData). Counters are records unless named.
type Input struct {
	// Published is what the stream carried as far as known: the highest
	// sequence numbers seen, summed (a subscriber's view), or the
	// publisher's own count when PublishedExact.
	Published int64
	// PublishedExact says Published is the publisher's count (bbox demo,
	// one process), so records published and never seen (lost at the
	// tail, in flight at a stop) can be counted.
	PublishedExact bool
	// Received is what the subscriber handed to workers (after the topic
	// filter); Filtered what the topic filter dropped on purpose.
	Received, Filtered int64
	// BeforeJoin is what was published before the subscriber's first frame.
	BeforeJoin int64
	// LostInGaps and Gaps come from sequence numbers. With recovery on,
	// Gaps counts every gap found and LostInGaps only what recovery could
	// not fill (Unrecoverable is part of it).
	LostInGaps, Gaps int64
	// Recovered is what was missing (gaps, a late join from the start) and
	// was recovered (included in Received); Unrecoverable what recovery
	// could not fill (included in LostInGaps); RecoveryRequests the
	// requests it took.
	Recovered, Unrecoverable, RecoveryRequests int64
	// Recovering: the subscriber recovered gaps (so a record the
	// publisher discarded for it is lost only if its gap says so).
	Recovering bool
	// LostToWorkers is what was handed to workers and never handled
	// (a worker dropped with data in flight): PushDispatcher.Lost and,
	// where the pool counts it, Pool.Lost.
	LostToWorkers int64
	// NotWritten is what a recorder received and could not write (bbox
	// record after a write error): lost to the recording.
	NotWritten int64
	// NotHanded is what the subscriber accepted and discarded before any
	// worker took it: queued when it croaked or shut down.
	NotHanded int64
	// Unconfirmed is what went to plain PULL workers (no credit protocol)
	// that left before end-of-stream: they may or may not have handled it.
	Unconfirmed int64
	// Redelivered is what was dispatched again to another worker after
	// one was dropped (at-least-once): PushDispatcher.Redelivered.
	Redelivered int64
	// Discarded is what the publisher discarded for this subscriber
	// (slow-consumer cut, high-water mark), or Unknown.
	Discarded int64
	// Malformed counts frames dropped as malformed (their records show
	// as gaps, except at the very end of a stream).
	Malformed int64
	// Late counts records delivered although older than --max-delay
	// (--on-late warn): they arrived, late.
	Late int64
	// Stalls counts silences past the heartbeat timeout.
	Stalls int64
	// Restarts counts publisher restarts (a new epoch): the old run's
	// last records are not provably received.
	Restarts int64
	// Croaked and CroakReason: the subscriber croaked, and why.
	Croaked     bool
	CroakReason string
	// Interrupted: the run was stopped by a signal before its end.
	Interrupted bool
	// Shards breaks the counters down, to say where.
	Shards []Shard
}

// Verdict is what Judge concludes.
type Verdict struct {
	Code Code `json:"verdict"`
	// Detail names every finding, with counts and where ("" for exactly once).
	Detail string `json:"verdict_detail"`
	// Unaccounted is, when the publisher's count is known, what it
	// published that is neither received, filtered, before join nor in a
	// gap (lost at the tail, or in flight at a stop). 0 otherwise.
	Unaccounted int64 `json:"records_unaccounted"`
	// Recovered is set on an exactly-once verdict that took recovery.
	Recovered int64 `json:"-"`

	findings []string // Detail, one finding each
}

// ExactlyOnceLine is the one sentence that claims no loss.
const ExactlyOnceLine = "Every record published arrived exactly once, in sequence: no loss, no gaps."

const interruptedFinding = "the run was interrupted before the end of the stream"

// Line is the verdict as the human summary's last line.
func (v Verdict) Line() string {
	switch v.Code {
	case ExactlyOnce:
		if v.Recovered > 0 {
			return fmt.Sprintf("Every record published arrived exactly once (%s recovered), in sequence: no loss.", commas(v.Recovered))
		}
		return ExactlyOnceLine
	case AtLeastOnce:
		return "Every record published arrived, at least once (not exactly once): " + v.Detail + "."
	case NoData:
		return "Nothing to judge: " + v.Detail + "."
	case Croaked:
		return "Croaked, NOT exactly once: " + v.Detail + "."
	case Interrupted:
		var rest []string
		for _, f := range v.findings {
			if f != interruptedFinding {
				rest = append(rest, f)
			}
		}
		if len(rest) == 0 {
			return "Interrupted before the end of the stream: up to the stop, nothing was lost or missed."
		}
		return "Interrupted before the end of the stream: " + strings.Join(rest, "; ") + "."
	}
	return "NOT exactly once (" + strings.ReplaceAll(string(v.Code), "_", " ") + "): " + v.Detail + "."
}

// Judge computes the verdict from in.
func Judge(in Input) Verdict {
	var v Verdict
	var found []string
	lost, doubt, late, gone := false, false, false, false
	add := func(isLoss bool, format string, args ...any) {
		found = append(found, fmt.Sprintf(format, args...))
		lost = lost || isLoss
	}

	if in.Croaked {
		r := in.CroakReason
		if r == "" {
			r = "no reason given"
		}
		add(false, "the subscriber croaked (%s)", r)
	}
	if in.BeforeJoin > 0 {
		late = true
		add(false, "%s %s missed before join%s", commas(in.BeforeJoin), plural(in.BeforeJoin, "record", "records"),
			where(in.Shards, func(s Shard) string { return nz(s.BeforeJoin, commas(s.BeforeJoin)) }))
	}
	if in.LostInGaps > 0 || in.Gaps > 0 && in.Recovered == 0 {
		rec := ""
		if in.Recovered > 0 || in.Unrecoverable > 0 {
			rec = fmt.Sprintf(" after recovering %s", commas(in.Recovered))
		}
		add(in.LostInGaps > 0, "%s lost in %d %s%s%s", commas(in.LostInGaps), in.Gaps, plural(in.Gaps, "gap", "gaps"), rec,
			where(in.Shards, func(s Shard) string {
				if s.Lost == 0 && s.Gaps == 0 {
					return ""
				}
				return fmt.Sprintf("%s in %d %s", commas(s.Lost), s.Gaps, plural(s.Gaps, "gap", "gaps"))
			}))
	}
	if in.Discarded > 0 && in.Recovering {
		// Each shows as a gap the subscriber asked for: its loss is what
		// the gaps say could not be recovered.
		add(false, "the publisher dropped or discarded %s %s for this subscriber, recovered as far as the gaps say",
			commas(in.Discarded), plural(in.Discarded, "record", "records"))
	} else if in.Discarded > 0 {
		add(true, "the publisher discarded %s %s for this subscriber", commas(in.Discarded), plural(in.Discarded, "record", "records"))
	}
	if in.LostToWorkers > 0 {
		add(true, "%s lost to workers (handed to a worker that was dropped before it acknowledged them)", commas(in.LostToWorkers))
	}
	if in.NotHanded > 0 {
		add(true, "%s received but discarded before any worker took them (queued when the subscriber croaked or stopped)", commas(in.NotHanded))
	}
	if in.NotWritten > 0 {
		add(true, "%s received but not written to the recording", commas(in.NotWritten))
	}
	if in.Unconfirmed > 0 {
		doubt = true
		add(false, "%s went to plain PULL workers that left before end-of-stream (handling unconfirmed)", commas(in.Unconfirmed))
	}
	if in.PublishedExact {
		v.Unaccounted = in.Published - in.Received - in.Filtered - in.BeforeJoin - in.LostInGaps
		switch {
		case v.Unaccounted > 0 && in.Interrupted:
			// Not called lost: they were in flight when the run was stopped.
			add(false, "%s published but not yet received when interrupted", commas(v.Unaccounted))
		case v.Unaccounted > 0 && in.Croaked:
			add(true, "%s published and not delivered (discarded at the croak)", commas(v.Unaccounted))
		case v.Unaccounted > 0:
			add(true, "%s published and never received", commas(v.Unaccounted))
		case v.Unaccounted < 0:
			add(false, "%s more received than published (duplicates?)", commas(-v.Unaccounted))
			v.Unaccounted = 0
			doubt = true
		}
	}
	doubtful := in.Stalls
	if len(in.Shards) > 0 {
		doubtful = 0
		for _, s := range in.Shards {
			if !s.Ended {
				doubtful += s.Stalls
			}
		}
	}
	if in.Stalls > 0 && doubtful == 0 {
		add(false, "the feed went silent %d %s and came back: every record published meanwhile is accounted for by sequence up to the end-of-stream",
			in.Stalls, plural(in.Stalls, "time", "times"))
	} else if in.Stalls > 0 {
		add(false, "the feed went silent %d %s%s", in.Stalls, plural(in.Stalls, "time", "times"),
			where(in.Shards, func(s Shard) string {
				if s.Stalls == 0 && !s.Silent {
					return ""
				}
				t := fmt.Sprintf("%d", s.Stalls)
				if s.Silent {
					t += ", still silent at the end: what it published since is unknown"
				}
				return t
			}))
	}
	var never, away []string
	for _, s := range in.Shards {
		switch {
		case !s.Disconnected || s.Silent: // a silent shard is named with its stall
		case !s.Reached:
			never = append(never, shardName(s))
		default:
			away = append(away, shardName(s))
		}
	}
	if len(never) > 0 {
		gone = true
		add(false, "never connected: %s (nothing of its stream is known)", strings.Join(never, ", "))
	}
	if len(away) > 0 {
		gone = true
		add(false, "disconnected at the end before its end-of-stream: %s (what it published after its last record seen is unknown)", strings.Join(away, ", "))
	}
	if in.Malformed > 0 {
		add(false, "%d malformed %s dropped", in.Malformed, plural(in.Malformed, "frame", "frames"))
	}
	if in.Restarts > 0 {
		add(false, "the publisher restarted %d %s (the end of an earlier run is not provably received)", in.Restarts, plural(in.Restarts, "time", "times"))
	}
	if in.Interrupted {
		add(false, interruptedFinding)
	}
	if in.Redelivered > 0 {
		add(false, "%s redelivered to another worker (handled at least once)", commas(in.Redelivered))
	}
	if in.Late > 0 {
		add(false, "%s delivered later than the allowed delay", commas(in.Late))
	}
	nothing := in.Received == 0 && in.Published <= 0 && in.Filtered == 0
	if nothing && (len(found) == 0 || gone && len(found) == 1) {
		add(false, "no record was published or received")
	}
	v.Detail, v.findings = strings.Join(found, "; "), found

	switch {
	case in.Croaked:
		v.Code = Croaked
	case lost:
		v.Code = Lost
	case doubtful > 0:
		v.Code = Stalled
	case gone && !nothing:
		v.Code = Incomplete
	case late:
		v.Code = MissedBeforeJoin
	case in.Interrupted:
		v.Code = Interrupted
	case in.Malformed > 0 || in.Restarts > 0 || doubt:
		v.Code = Unverified
	case nothing:
		v.Code = NoData
	case in.Redelivered > 0:
		v.Code = AtLeastOnce
	default:
		v.Code = ExactlyOnce
		if in.Late == 0 {
			v.Detail = ""
		}
		if in.Recovered > 0 {
			// Only here: everything missing was recovered.
			v.Recovered = in.Recovered
			r := fmt.Sprintf("%s recovered", commas(in.Recovered))
			if v.Detail == "" {
				v.Detail = r
			} else {
				v.Detail = r + "; " + v.Detail
			}
		}
	}
	return v
}

// where lists the shards for which f says something: " (shard 0: …; shard 2: …)".
func where(shards []Shard, f func(Shard) string) string {
	var parts []string
	for _, s := range shards {
		if t := f(s); t != "" {
			parts = append(parts, shardName(s)+": "+t)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func shardName(s Shard) string {
	name := "shard " + strconv.Itoa(s.ID)
	if s.Endpoint != "" {
		name += " " + s.Endpoint
	}
	return name
}

func nz(n int64, s string) string {
	if n == 0 {
		return ""
	}
	return s
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// commas formats n with thousands separators, as the summaries do.
func commas(n int64) string { return words.Group(n) }
