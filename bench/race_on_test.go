//go:build race

package bench

// raceOn: the race detector allocates for itself, so allocation pins skip.
const raceOn = true
