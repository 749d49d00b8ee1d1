package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/shard"
)

// checkCredit holds bbox worker's --credit, the batches a subscriber may
// send ahead, to at least one (workers.WorkerConfig reads 0 as its
// default, which the flag spells 64). A negative window is refused in the
// words of every other count.
func checkCredit(n int) error {
	switch {
	case n < 0:
		return errors.New("must not be negative")
	case n == 0:
		return errors.New("want at least 1 batch")
	}
	return nil
}

// checkShards holds --shards (bench, demo) to 1..64: a pipeline has one
// PUB endpoint and subscriber thread per shard (bench.LoadConfig's bound).
func checkShards(n int) error {
	if n < 1 || n > 64 {
		return errors.New("want 1..64")
	}
	return nil
}

// checkInterval holds an interval histogram (bench --interval) to at
// least 10ms: a shorter one is mostly its own noise.
func checkInterval(f *flag.Flag) error {
	if d, ok := durationOf(f.Value); ok && d < 10*time.Millisecond {
		return errors.New("want at least 10ms")
	}
	return nil
}

// durationOf is v's value if v is a duration flag.
func durationOf(v flag.Value) (time.Duration, bool) {
	g, ok := v.(flag.Getter)
	if !ok {
		return 0, false
	}
	d, ok := g.Get().(time.Duration)
	return d, ok
}

// checkHeartbeatTimeout refuses 0 (which reads as "no timeout" but is
// none of the flag's meanings) and a positive timeout under
// shard.MinHeartbeatTimeout; a negative one turns the check off.
func checkHeartbeatTimeout(f *flag.Flag) error {
	d, ok := durationOf(f.Value)
	switch {
	case !ok || d < 0:
	case d == 0:
		return errors.New("give a duration (3s), or a negative one to turn the check off")
	case d < shard.MinHeartbeatTimeout:
		return fmt.Errorf("under %v a PING's round trip can take longer, and every quiet feed would count as stalled", shard.MinHeartbeatTimeout)
	}
	return nil
}

// checkMaxGap holds bbox sub's --max-gap to -1 (count gaps, never croak)
// or a number of records: any other negative number would silently mean
// the same as -1.
func checkMaxGap(f *flag.Flag) error {
	if g, ok := f.Value.(flag.Getter); ok {
		if n, ok := g.Get().(int64); ok && n < -1 {
			return errors.New("want -1 (never croak) or a number of records")
		}
	}
	return nil
}
