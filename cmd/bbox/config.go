package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/bbox-dev/bbox/internal/cli"
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
	if code, ok := parse(fs, args); !ok {
		return nil, code, false
	}
	if fs.NArg() > 0 {
		return nil, usageErr(e, c, "unexpected argument %q", fs.Arg(0)), false
	}
	notes, err := cf.apply(fs, c.name)
	if err != nil {
		return nil, fail(e, c, err), false
	}
	return notes, 0, true
}

// apply loads the file (if any) and sets the flags of side ("pub", "sub"
// or "worker") that the command line left alone. It returns notes for the log
// (what the command line overrode). Errors name the file and line.
func (c *configFlag) apply(fs *flag.FlagSet, side string) (notes []string, err error) {
	if c.path == "" {
		return nil, nil
	}
	top, err := config.Load(c.path)
	if err != nil {
		return nil, err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	// derived are flags the topology sections set; a [pub]/[sub] line may
	// not set them as well (one place per setting).
	type derived struct {
		flag, value, from string
		line              int
	}
	var ds []derived
	var sec *config.Section
	shardLine := 0
	if len(top.Shards) > 0 {
		shardLine = top.Shards[0].Line
	}
	switch side {
	case "pub":
		sec = top.Pub
		if len(top.Shards) > 0 {
			ds = append(ds, derived{"bind", strings.Join(top.Binds(), ","), "the [shard N] sections", shardLine})
		}
	case "sub":
		sec = top.Sub
		if len(top.Shards) > 0 {
			ds = append(ds, derived{"connect", strings.Join(top.Connects(), ","), "the [shard N] sections", shardLine})
		}
		if cpus := top.SubCPUs(); cpus != nil {
			var s []string
			for _, c := range cpus {
				s = append(s, strconv.Itoa(c))
			}
			ds = append(ds, derived{"cpus", strings.Join(s, ","), "the shards' sub-cpu", shardLine})
		}
		if w := top.Workers; w != nil {
			for _, m := range []struct{ key, flag string }{{"endpoint", "push"}, {"count", "workers"}, {"order", "order"}, {"cpus", "worker-cpus"}} {
				if st, ok := w.Get(m.key); ok {
					ds = append(ds, derived{m.flag, st.Value, "[workers] " + m.key, st.Line})
				}
			}
		}
	case "worker":
		var st config.Setting
		ok := false
		if top.Workers != nil {
			st, ok = top.Workers.Get("endpoint")
		}
		if !ok {
			if explicit["connect"] {
				return nil, nil
			}
			return nil, &config.Error{File: top.File, Msg: "no [workers] endpoint: bbox worker connects to it (or give --connect)"}
		}
		ds = append(ds, derived{"connect", st.Value, "[workers] endpoint", st.Line})
	default:
		return nil, fmt.Errorf("%s: no section for bbox %s", top.File, side)
	}
	setting := func(flagName, value, what string, line int) error {
		if fs.Lookup(flagName) == nil {
			return &config.Error{File: top.File, Line: line, Msg: fmt.Sprintf("%s: bbox %s has no flag --%s (bbox %s -h lists them)", what, side, flagName, side)}
		}
		if explicit[flagName] {
			notes = append(notes, fmt.Sprintf("--%s on the command line overrides %s:%d (%s)", flagName, top.File, line, what))
			return nil
		}
		f := fs.Lookup(flagName)
		err := fs.Set(flagName, value)
		if err != nil {
			err = cli.ExplainValueError(f.Value, value, err)
		} else {
			err = flagSpec.Check(f) // the rules a command line is held to (flags.go)
		}
		if err != nil {
			return &config.Error{File: top.File, Line: line, Msg: fmt.Sprintf("%s = %q: invalid value for --%s (%s): %v",
				what, value, flagName, f.Usage, err)}
		}
		return nil
	}
	if sec != nil {
		for _, st := range sec.Settings {
			what := "[" + side + "] " + st.Key
			if st.Key == "config" {
				return nil, &config.Error{File: top.File, Line: st.Line, Msg: what + ": a config file cannot name another"}
			}
			for _, d := range ds {
				if d.flag == st.Key {
					return nil, &config.Error{File: top.File, Line: st.Line, Msg: fmt.Sprintf("%s is also set by %s (line %d): keep one", what, d.from, d.line)}
				}
			}
			if err := setting(st.Key, st.Value, what, st.Line); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range ds {
		if err := setting(d.flag, d.value, d.from, d.line); err != nil {
			return nil, err
		}
	}
	return notes, nil
}
