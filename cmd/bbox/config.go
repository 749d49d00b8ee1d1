package main

import (
	"flag"

	"github.com/bbox-dev/bbox/internal/config"
)

// configFlag is --config FILE on pub, sub and worker: the topology file's
// settings for this side become flag values, except for flags given on
// the command line, which win. A worker takes only its --connect, the
// [workers] endpoint that bbox sub serves (--push).
type configFlag struct{ path string }

func (c *configFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "config", "", "topology file ([pub], [sub], [workers], [shard N] sections; README); flags given here override it")
}

// parse parses the command line of c (pub, sub or worker: the side is its name),
// rejects positional arguments and applies the file. When ok is false the
// command returns code: the error is already reported (usage: exit 2; a
// bad file: exit 1). notes are apply's.
func (cf *configFlag) parse(e *env, c *command, fs *flag.FlagSet, args []string) (notes []string, code int, ok bool) {
	if code, ok := parseNone(e, c, fs, args); !ok {
		return nil, code, false
	}
	notes, err := cf.apply(fs, c.name)
	if err != nil {
		return nil, fail(e, c, err), false
	}
	return notes, 0, true
}

// apply loads the file (if any) and sets the flags of side ("pub", "sub"
// or "worker") that the command line left alone, each held to the rules
// of a command line (config.Topology.Apply). It returns notes for the log
// (what the command line overrode). Errors name the file and line.
func (c *configFlag) apply(fs *flag.FlagSet, side string) (notes []string, err error) {
	return config.ApplyFile(c.path, fs, side, func(name, value string) error { return flagSpec.Set(fs, name, value) })
}
