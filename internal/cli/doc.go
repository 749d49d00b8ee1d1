// Package cli is bbox's flag conventions on top of the standard flag
// package: help spelled with --name and a value name for each flag, one
// line for each mistake (the flag, its value, what is wrong, the nearest
// flag for a typo), and value rules that go by a flag's name, so a name
// means the same thing, and is refused the same way, in every command.
// It also holds the flag values bbox's commands share (List, Rate, Speed,
// CPUs), and Exit, a command's answer to a parse.
//
// A program's tables (value names, rules, which flags take endpoints) are
// data in a Spec; BBox is bbox's, whose rules ask the packages that own
// each setting (feed, replay, shard, tuning, workers, zmqx), so this
// package sits above them and below cmd/bbox only. The flag values stay
// the flag package's own, so flag.UnquoteUsage and a generated reference
// still see their types.
//
// Concurrency: a Spec is read-only once made and safe for concurrent use;
// a flag.FlagSet is not, and Parse must not run on one set twice at once.
package cli
