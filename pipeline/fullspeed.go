package pipeline

import "github.com/bbox-dev/bbox/shard"

// fullSpeedHWM is the publisher's high-water mark in a loop run at full
// speed (FullSpeed): short, so the latency it shows stays readable.
const fullSpeedHWM = 8 << 20

// FullSpeed is pc for a Loop whose source runs at full speed (bbox demo
// --rate max). In one process the pipeline's pace, not the publisher's,
// is the answer, so the publisher waits for the subscriber rather than
// drop (Lossless), with a short queue (fullSpeedHWM).
func FullSpeed(pc shard.PubConfig) shard.PubConfig {
	pc.Lossless, pc.HWM = true, fullSpeedHWM
	return pc
}
