// Package config reads bbox's topology file: the one file that describes a
// deployment (the publisher's shard endpoints, the NIC each shard uses on
// either box, the core of each subscriber thread, subscriber limits and the
// worker endpoint), so an operator runs `bbox pub --config FILE` and
// `bbox sub --config FILE` instead of fifteen flags each.
//
// The syntax is deliberately small (INI-like, documented in the README and
// in Parse): sections, `key = value` lines and comments. The keys of the
// [pub] and [sub] sections are the flag names of those commands, so the
// file cannot drift from the command line and every setting is documented
// by `bbox pub -h`; Topology.Apply maps them onto a command's flags (a flag
// given on the command line wins). The [shard N] and [workers] sections
// are topology and are checked here. Every error names the file and line.
//
// Why not TOML or JSON: JSON has no comments, which operators need in a
// deployment file; TOML libraries report a position for syntax errors but
// not for the semantic ones (an endpoint that does not parse in shard 1),
// and the subset bbox needs is a hundred lines that can name the line of
// every mistake.
//
// Why here and not in tuning/ or cmd/bbox: tuning may import only the
// standard library and x/sys, but checking a shard needs zmqx's endpoint
// parser; and a package of its own keeps the parser's tests and fuzz
// target fast (cmd/bbox's tests build the binary first).
//
// Concurrency: a parsed File or Topology is plain data, safe to read from
// many goroutines; nothing here keeps state.
package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem in a config file, with where it is.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem is the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

func errAt(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// File is a parsed config file: its sections in file order.
type File struct {
	Name     string
	Sections []*Section
}

// Section is one [NAME] or [NAME N] block.
type Section struct {
	Name     string // "pub", "sub", "workers", "shard", ...
	Index    int    // N of [shard N]; -1 for a section without a number
	Line     int
	Settings []Setting
}

// Title is the section as written in the file: "pub" or "shard 1".
func (s *Section) Title() string {
	if s.Index < 0 {
		return s.Name
	}
	return fmt.Sprintf("%s %d", s.Name, s.Index)
}

// Setting is one `key = value` line.
type Setting struct {
	Key, Value string
	Line       int
}

// Get returns the setting named key.
func (s *Section) Get(key string) (Setting, bool) {
	for _, st := range s.Settings {
		if st.Key == key {
			return st, true
		}
	}
	return Setting{}, false
}

// MaxSize bounds a config file; a deployment description is a few KiB.
const MaxSize = 1 << 20

// Parse reads the syntax of a config file named name (for errors):
//
//	# a comment (also after a value, preceded by a space)
//	[pub]                 a section; [shard 0] is a numbered one
//	key = value           value runs to the end of the line (or to " #")
//	key = "a # b"         Go-quoted when it needs spaces or '#' at its ends
//
// Keys are lower-case letters, digits and '-'. A key twice in a section
// or a section twice in the file is an error naming both lines; so is a
// setting before the first section.
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, errAt(name, 0, "%d bytes is too large for a config file (limit %d)", len(data), MaxSize)
	}
	f := &File{Name: name}
	var cur *Section
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			s, err := parseHeader(name, n, t)
			if err != nil {
				return nil, err
			}
			if prev, ok := seen[s.Title()]; ok {
				return nil, errAt(name, n, "section [%s] again (first at line %d)", s.Title(), prev)
			}
			seen[s.Title()] = n
			cur = s
			f.Sections = append(f.Sections, s)
			continue
		}
		key, rest, ok := strings.Cut(t, "=")
		if !ok {
			return nil, errAt(name, n, "want `key = value` or [section], got %q", clip(t))
		}
		key = strings.TrimSpace(key)
		if !validKey(key) {
			return nil, errAt(name, n, "bad key %q: want lower-case letters, digits and '-'", clip(key))
		}
		if cur == nil {
			return nil, errAt(name, n, "%s is outside any section: start with [pub], [sub], [workers] or [shard 0]", key)
		}
		val, err := parseValue(rest)
		if err != nil {
			return nil, errAt(name, n, "[%s] %s: %v", cur.Title(), key, err)
		}
		if prev, ok := cur.Get(key); ok {
			return nil, errAt(name, n, "[%s] %s given again (first at line %d)", cur.Title(), key, prev.Line)
		}
		cur.Settings = append(cur.Settings, Setting{Key: key, Value: val, Line: n})
	}
	return f, nil
}

func parseHeader(file string, n int, t string) (*Section, error) {
	body, ok := strings.CutPrefix(t, "[")
	if ok {
		var after string
		body, after, ok = strings.Cut(body, "]")
		if after = strings.TrimSpace(after); after != "" && after[0] != '#' {
			ok = false
		}
	}
	if !ok {
		return nil, errAt(file, n, "bad section header %q: want [name] or [name N]", clip(t))
	}
	fields := strings.Fields(body)
	s := &Section{Index: -1, Line: n}
	switch len(fields) {
	case 1:
		s.Name = fields[0]
	case 2:
		s.Name = fields[0]
		v, err := strconv.Atoi(fields[1])
		if err != nil || v < 0 || v > 65535 || strconv.Itoa(v) != fields[1] {
			return nil, errAt(file, n, "bad section number %q in [%s]: want 0..65535", clip(fields[1]), clip(body))
		}
		s.Index = v
	default:
		return nil, errAt(file, n, "bad section header %q: want [name] or [name N]", clip(t))
	}
	if !validKey(s.Name) {
		return nil, errAt(file, n, "bad section name %q: want lower-case letters, digits and '-'", clip(s.Name))
	}
	return s, nil
}

func parseValue(rest string) (string, error) {
	v := strings.TrimSpace(rest)
	if strings.HasPrefix(v, `"`) {
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			return "", fmt.Errorf("unterminated or bad quoted value %s", clip(v))
		}
		s, _ := strconv.Unquote(q)
		if after := strings.TrimSpace(v[len(q):]); after != "" && after[0] != '#' {
			return "", fmt.Errorf("unexpected %q after the quoted value", clip(after))
		}
		return s, nil
	}
	// " #" starts a comment; a '#' inside a word (tcp://h:1#x) does not.
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = strings.TrimSpace(v[:i])
			break
		}
	}
	return v, nil
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// Format writes f back in the syntax Parse reads, quoting values that
// need it; Parse(Format(f)) has the same sections and settings.
func (f *File) Format() []byte {
	var b strings.Builder
	for i, s := range f.Sections {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "[%s]\n", s.Title())
		for _, st := range s.Settings {
			fmt.Fprintf(&b, "%s = %s\n", st.Key, formatValue(st.Value))
		}
	}
	return []byte(b.String())
}

func formatValue(v string) string {
	needs := v == "" || v != strings.TrimSpace(v) || strings.HasPrefix(v, `"`) || strings.Contains(v, "#")
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			needs = true
		}
	}
	if needs {
		return strconv.Quote(v)
	}
	return v
}
