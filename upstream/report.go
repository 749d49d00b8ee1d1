package upstream

import (
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// Warnings says what the operator must know about an upstream feed's run:
// messages dropped as unusable, reconnects (what the feed sent while bbox
// was away is lost), or no connection at all.
func (s Stats) Warnings() []string {
	var w []string
	if s.Dropped() > 0 {
		w = append(w, fmt.Sprintf("upstream %s: dropped %s unusable messages (%d malformed, %d bad topic, %d too large)",
			s.Endpoint, words.Group(s.Dropped()), s.Malformed, s.BadTopic, s.TooLarge))
	}
	if s.Connects > 1 || s.Silent > 0 {
		w = append(w, fmt.Sprintf("upstream %s: connected %s (%d after silence): messages sent while disconnected are lost",
			s.Endpoint, words.Count(s.Connects, "time", "times"), s.Silent))
	}
	if s.Connects == 0 {
		w = append(w, fmt.Sprintf("upstream %s: never connected", s.Endpoint))
	}
	return w
}

// ActiveNote qualifies a headline rate taken over the feed's active time
// (ActiveRPS): " while the feed was active, 1.5s", or "" for no stats or
// no active time.
func (s *Stats) ActiveNote() string {
	if s == nil || s.ActiveSeconds <= 0 {
		return ""
	}
	return fmt.Sprintf(" while the feed was active, %v", time.Duration(s.ActiveSeconds*1e9).Round(time.Millisecond))
}
