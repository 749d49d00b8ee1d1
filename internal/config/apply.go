package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// Apply sets the flags of fs, the flag set of bbox side ("pub", "sub" or
// "worker"), from t's settings for that side: the [pub] or [sub] keys,
// which are flag names, and the flags the topology sections derive (the
// shards' endpoints and cores, the [workers] settings). A flag given on
// the command line (set in fs already) wins; notes say which file lines
// it overrode, for the log. set sets one flag and holds its value to the
// command line's rules (nil: fs.Set). Errors name the file and line.
func (t *Topology) Apply(fs *flag.FlagSet, side string, set func(name, value string) error) (notes []string, err error) {
	if set == nil {
		set = fs.Set
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	ds, sec, err := t.derived(side, explicit)
	if err != nil || ds == nil && sec == nil {
		return nil, err
	}
	setting := func(flagName, value, what string, line int) error {
		f := fs.Lookup(flagName)
		if f == nil {
			return &Error{File: t.File, Line: line, Msg: fmt.Sprintf("%s: bbox %s has no flag --%s (bbox %s -h lists them)", what, side, flagName, side)}
		}
		if explicit[flagName] {
			notes = append(notes, fmt.Sprintf("--%s on the command line overrides %s:%d (%s)", flagName, t.File, line, what))
			return nil
		}
		if err := set(flagName, value); err != nil {
			return &Error{File: t.File, Line: line, Msg: fmt.Sprintf("%s = %q: invalid value for --%s (%s): %v",
				what, value, flagName, f.Usage, err)}
		}
		return nil
	}
	if sec != nil {
		for _, st := range sec.Settings {
			what := "[" + side + "] " + st.Key
			if st.Key == "config" {
				return nil, &Error{File: t.File, Line: st.Line, Msg: what + ": a config file cannot name another"}
			}
			for _, d := range ds {
				if d.flag == st.Key {
					return nil, &Error{File: t.File, Line: st.Line, Msg: fmt.Sprintf("%s is also set by %s (line %d): keep one", what, d.from, d.line)}
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

// derivedFlag is a flag the topology sections set; a [pub]/[sub] line may
// not set it as well (one place per setting).
type derivedFlag struct {
	flag, value, from string
	line              int
}

// derived is side's section and the flags the topology sets for it;
// both are nil when there is nothing to apply (a worker given --connect
// by a file without [workers] endpoint).
func (t *Topology) derived(side string, explicit map[string]bool) ([]derivedFlag, *Section, error) {
	var ds []derivedFlag
	shardLine := 0
	if len(t.Shards) > 0 {
		shardLine = t.Shards[0].Line
	}
	switch side {
	case "pub":
		if len(t.Shards) > 0 {
			ds = append(ds, derivedFlag{"bind", strings.Join(t.Binds(), ","), "the [shard N] sections", shardLine})
		}
		return ds, t.Pub, nil
	case "sub":
		if len(t.Shards) > 0 {
			ds = append(ds, derivedFlag{"connect", strings.Join(t.Connects(), ","), "the [shard N] sections", shardLine})
		}
		if cpus := t.SubCPUs(); cpus != nil {
			var s []string
			for _, c := range cpus {
				s = append(s, strconv.Itoa(c))
			}
			ds = append(ds, derivedFlag{"cpus", strings.Join(s, ","), "the shards' sub-cpu", shardLine})
		}
		if w := t.Workers; w != nil {
			for _, m := range []struct{ key, flag string }{{"endpoint", "push"}, {"count", "workers"}, {"order", "order"}, {"cpus", "worker-cpus"}} {
				if st, ok := w.Get(m.key); ok {
					ds = append(ds, derivedFlag{m.flag, st.Value, "[workers] " + m.key, st.Line})
				}
			}
		}
		return ds, t.Sub, nil
	case "worker":
		var st Setting
		ok := false
		if t.Workers != nil {
			st, ok = t.Workers.Get("endpoint")
		}
		if !ok {
			if explicit["connect"] {
				return nil, nil, nil
			}
			return nil, nil, &Error{File: t.File, Msg: "no [workers] endpoint: bbox worker connects to it (or give --connect)"}
		}
		return []derivedFlag{{"connect", st.Value, "[workers] endpoint", st.Line}}, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: no section for bbox %s", t.File, side)
}
