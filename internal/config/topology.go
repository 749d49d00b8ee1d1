package config

import (
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/tuning"
)

// Topology is a checked config file: what the publisher box and the
// subscriber box each take from it.
type Topology struct {
	File string
	// Pub and Sub hold the [pub] and [sub] settings: flag names of those
	// commands, checked by the command that reads them. nil if absent.
	Pub, Sub *Section
	// Workers is the [workers] section (endpoint, count, order, cpus). nil
	// if absent.
	Workers *Section
	// Shards are the [shard N] sections, in shard order (0, 1, ...).
	Shards []Shard
}

// Shard is one [shard N] section: one PUB endpoint on the publisher box,
// one subscriber thread on the subscriber box.
type Shard struct {
	ID   int
	Line int
	// Bind is what the publisher binds and Connect what the subscriber
	// connects to, each with its NIC applied (tcp://NIC;HOST:PORT).
	Bind, Connect string
	// SubCPU is the core of this shard's subscriber thread; -1 if not set.
	SubCPU int
}

// Keys of the topology sections, with what they mean (for errors and docs).
var (
	shardKeys = map[string]string{
		"endpoint": "the shard's endpoint: the publisher binds it, the subscriber connects to it",
		"bind":     "what the publisher binds if not endpoint (e.g. tcp://*:7001)",
		"connect":  "what the subscriber connects to if not endpoint",
		"pub-nic":  "the publisher box's interface for this shard (SO_BINDTODEVICE)",
		"sub-nic":  "the subscriber box's interface for this shard: a device (SO_BINDTODEVICE) or a local IP address",
		"sub-cpu":  "the core of this shard's subscriber thread",
	}
	workerKeys = map[string]string{
		"endpoint": "where the subscriber serves batches to `bbox worker` processes (bbox sub --push)",
		"count":    "in-process workers when there is no endpoint (bbox sub --workers)",
		"order":    "dispatch: none or topic (bbox sub --order)",
		"cpus":     "cores for everything but the subscriber threads (bbox sub --worker-cpus)",
	}
)

// Load reads and checks the topology file at path.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // an *os.PathError: "open FILE: why"
	}
	return Decode(path, data)
}

// Decode parses and checks a topology file's contents; name is used in errors.
func Decode(name string, data []byte) (*Topology, error) {
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	return FromFile(f)
}

// FromFile checks the sections of a parsed file and builds the topology.
func FromFile(f *File) (*Topology, error) {
	t := &Topology{File: f.Name}
	byID := map[int]*Section{}
	for _, s := range f.Sections {
		switch {
		case s.Name == "pub" && s.Index < 0:
			t.Pub = s
		case s.Name == "sub" && s.Index < 0:
			t.Sub = s
		case s.Name == "workers" && s.Index < 0:
			if err := checkKeys(f.Name, s, workerKeys); err != nil {
				return nil, err
			}
			t.Workers = s
		case s.Name == "shard" && s.Index >= 0:
			if err := checkKeys(f.Name, s, shardKeys); err != nil {
				return nil, err
			}
			byID[s.Index] = s
		case s.Name == "shard":
			return nil, errAt(f.Name, s.Line, "[shard] needs its number: [shard 0], [shard 1], ...")
		default:
			return nil, errAt(f.Name, s.Line, "unknown section [%s]: want [pub], [sub], [workers] or [shard N]", s.Title())
		}
	}
	for i := 0; i < len(byID); i++ {
		s, ok := byID[i]
		if !ok {
			var last *Section
			for _, s := range byID {
				if last == nil || s.Index > last.Index {
					last = s
				}
			}
			return nil, errAt(f.Name, last.Line, "[shard %d] but no [shard %d]: shards are numbered 0, 1, ... without holes", last.Index, i)
		}
		sh, err := shardFrom(f.Name, s)
		if err != nil {
			return nil, err
		}
		t.Shards = append(t.Shards, sh)
	}
	if err := t.checkCPUs(); err != nil {
		return nil, err
	}
	if t.Workers != nil {
		if st, ok := t.Workers.Get("count"); ok {
			if n, err := strconv.Atoi(st.Value); err != nil || n < 1 {
				return nil, errAt(f.Name, st.Line, "[workers] count %q: want a number of workers, at least 1", clip(st.Value))
			}
		}
		if st, ok := t.Workers.Get("endpoint"); ok {
			if _, err := zmqx.ParseEndpoint(st.Value); err != nil {
				return nil, errAt(f.Name, st.Line, "[workers] endpoint: %v", err)
			}
		}
	}
	return t, nil
}

func checkKeys(file string, s *Section, known map[string]string) error {
	for _, st := range s.Settings {
		if _, ok := known[st.Key]; !ok {
			var names []string
			for k := range known {
				names = append(names, k)
			}
			slices.Sort(names)
			return errAt(file, st.Line, "[%s] has no setting %q (known: %s)", s.Title(), st.Key, strings.Join(names, ", "))
		}
	}
	return nil
}

func shardFrom(file string, s *Section) (Shard, error) {
	sh := Shard{ID: s.Index, Line: s.Line, SubCPU: -1}
	get := func(k string) Setting { st, _ := s.Get(k); return st }
	ep, bind, conn := get("endpoint"), get("bind"), get("connect")
	if bind.Value == "" {
		bind = ep
	}
	if conn.Value == "" {
		conn = ep
	}
	if bind.Value == "" || conn.Value == "" {
		return sh, errAt(file, s.Line, "[%s] needs endpoint (or both bind and connect)", s.Title())
	}
	var err error
	if sh.Bind, err = withNIC(file, s, bind, get("pub-nic"), false); err != nil {
		return sh, err
	}
	if sh.Connect, err = withNIC(file, s, conn, get("sub-nic"), true); err != nil {
		return sh, err
	}
	if st := get("sub-cpu"); st.Key != "" {
		v, err := strconv.Atoi(st.Value)
		if err != nil || v < 0 || v >= tuning.MaxCPU {
			return sh, errAt(file, st.Line, "[%s] sub-cpu %q: want one core number (0..%d)", s.Title(), clip(st.Value), tuning.MaxCPU-1)
		}
		sh.SubCPU = v
	}
	return sh, nil
}

// withNIC checks the endpoint and, if a NIC is named, returns it as
// tcp://NIC;HOST:PORT (the libzmq spelling zmqx applies on either side).
func withNIC(file string, s *Section, epSet, nicSet Setting, dialer bool) (string, error) {
	ep, err := zmqx.ParseEndpoint(epSet.Value)
	if err != nil {
		return "", errAt(file, epSet.Line, "[%s] %s: %v", s.Title(), epSet.Key, err)
	}
	if nicSet.Key == "" {
		return epSet.Value, nil
	}
	nic := nicSet.Value
	switch {
	case ep.Network != "tcp":
		return "", errAt(file, nicSet.Line, "[%s] %s %q: the endpoint %s is not tcp, so it has no interface", s.Title(), nicSet.Key, clip(nic), epSet.Value)
	case ep.Device != "" || ep.Source != "":
		return "", errAt(file, nicSet.Line, "[%s] %s %q: the endpoint %s already names its interface before ';'", s.Title(), nicSet.Key, clip(nic), epSet.Value)
	case !validNIC(nic):
		return "", errAt(file, nicSet.Line, "[%s] %s %q: want an interface name (at most 15 characters, no '/', ';', ':' or spaces)", s.Title(), nicSet.Key, clip(nic))
	}
	out := "tcp://" + nic + ";" + strings.TrimPrefix(epSet.Value, "tcp://")
	got, err := zmqx.ParseEndpoint(out)
	if err != nil {
		return "", errAt(file, nicSet.Line, "[%s] %s: %v", s.Title(), nicSet.Key, err)
	}
	if got.Source != "" && !dialer {
		return "", errAt(file, nicSet.Line, "[%s] pub-nic %q is an address: name the device; the address to bind is the endpoint's host", s.Title(), nic)
	}
	return out, nil
}

// validNIC accepts an IP address (a source address for the dialer) or
// what Linux accepts as an interface name (IFNAMSIZ, dev_valid_name) minus
// ':' (an alias label cannot be bound to).
func validNIC(n string) bool {
	if net.ParseIP(n) != nil {
		return true
	}
	return n != "" && len(n) <= 15 && n != "." && n != ".." && !strings.ContainsAny(n, "/;: \t\n\r\v\f")
}

func (t *Topology) checkCPUs() error {
	set := 0
	for _, sh := range t.Shards {
		if sh.SubCPU >= 0 {
			set++
		}
	}
	if set != 0 && set != len(t.Shards) {
		for _, sh := range t.Shards {
			if sh.SubCPU < 0 {
				return errAt(t.File, sh.Line, "[shard %d] has no sub-cpu but other shards do: give every shard a core, or none", sh.ID)
			}
		}
	}
	return nil
}

// Binds is the publisher's --bind list (nil without shards).
func (t *Topology) Binds() []string {
	var out []string
	for _, sh := range t.Shards {
		out = append(out, sh.Bind)
	}
	return out
}

// Connects is the subscriber's --connect list (nil without shards).
func (t *Topology) Connects() []string {
	var out []string
	for _, sh := range t.Shards {
		out = append(out, sh.Connect)
	}
	return out
}

// SubCPUs is the core of each shard's subscriber thread, nil if the
// shards name none.
func (t *Topology) SubCPUs() []int {
	var out []int
	for _, sh := range t.Shards {
		if sh.SubCPU >= 0 {
			out = append(out, sh.SubCPU)
		}
	}
	return out
}
