package replay

import (
	"math"
	"time"
)

// The ETA of a replay: at a paced speed, from the recorded time still to
// play, since a day's record rate swings tenfold between the opening burst
// and the afternoon.

func (s *Source) passes() int64 {
	if s.cfg.Loop < 0 {
		return -1
	}
	return int64(max(s.cfg.Loop, 1))
}

// span is the recorded time one pass plays at a paced speed: from the
// first selected timestamp to the last, less the part of every gap
// between chunks that MaxSleep cuts. Gaps inside a chunk are not seen
// here; a chunk spans at most a few seconds of a busy feed.
func (s *Source) span() int64 {
	if len(s.plan) == 0 {
		return 0
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if s.cfg.From != 0 {
		lo = s.cfg.From
	}
	if s.cfg.To != 0 {
		hi = s.cfg.To - 1
	}
	limit := int64(math.MaxInt64)
	if s.cfg.MaxSleep > 0 && s.cfg.Speed > 0 {
		limit = int64(float64(s.cfg.MaxSleep) * s.cfg.Speed)
	}
	start := max(s.plan[0].info.FirstTS, lo)
	top, cut := start, int64(0)
	for _, pc := range s.plan {
		first, last := max(pc.info.FirstTS, lo), min(pc.info.LastTS, hi)
		if first > top && first-top > limit {
			cut += first - top - limit
		}
		top = max(top, last)
	}
	return top - start - cut
}

// ETA estimates how long the replay has left. At a paced speed it is the
// recorded time still to play divided by the speed (a day's opening burst
// says nothing about its quiet afternoon); at a fixed rate, the records
// left at that rate. ok is false when it cannot be known: as fast as
// possible, or looping until stopped.
func (s *Source) ETA() (eta time.Duration, ok bool) {
	return paceETA(s.Stats(), s.cfg.Speed, s.cfg.Rate)
}

func paceETA(st SourceStats, speed, rate float64) (time.Duration, bool) {
	switch {
	case st.Passes < 0 || st.Total < 0:
		return 0, false
	case rate > 0:
		return time.Duration(float64(max(st.Total-st.Done, 0)) / rate * 1e9), true
	case speed > 0:
		left := max(st.PassSpan-st.Played, 0) // of the pass under way
		if st.Pass == 0 {
			left = st.PassSpan // not started
		}
		left += max(st.Passes-max(st.Pass, 1), 0) * st.PassSpan
		return time.Duration(float64(left) / speed), true
	}
	return 0, false
}
