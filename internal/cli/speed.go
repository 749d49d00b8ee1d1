package cli

import "github.com/bbox-dev/bbox/replay"

// Speed is a replay's pace as a flag: a multiple of the original pacing
// ("1x", "10x", "0.5x") or "max" (0), as replay.ParseSpeed reads it.
type Speed float64

func (s *Speed) String() string { return replay.FormatSpeed(float64(*s)) }

func (s *Speed) Set(v string) error {
	f, err := replay.ParseSpeed(v)
	if err == nil {
		*s = Speed(f)
	}
	return err
}
