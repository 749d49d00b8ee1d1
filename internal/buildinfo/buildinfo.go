// Package buildinfo reads what the Go toolchain stamped into the running
// binary (runtime/debug.ReadBuildInfo): module version, VCS revision and
// build settings. Its one value is computed once and is safe for
// concurrent use.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
)

// Info is what `bbox version` prints and every --json summary carries
// under "version".
type Info struct {
	// Module is the main module's path; Version its version: a tag or
	// pseudo-version for `go install module@version`, "(devel)" for a
	// build from a work tree.
	Module  string `json:"module"`
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, Time its
	// commit time, Modified whether the work tree had local changes.
	// Empty when the build carried no VCS stamp (-buildvcs=false, or a
	// `go run`/test binary).
	Revision string `json:"revision"`
	Time     string `json:"vcs_time,omitempty"`
	Modified bool   `json:"modified"`
	// Go is the toolchain; OS/Arch the target.
	Go   string `json:"go"`
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// Settings are the remaining build settings (-tags, CGO_ENABLED,
	// GOAMD64, -ldflags, ...), by name.
	Settings map[string]string `json:"settings,omitempty"`
}

var (
	once sync.Once
	info Info
)

// Get returns the running binary's build information.
func Get() Info {
	once.Do(func() {
		info = Info{Version: "unknown", Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return
		}
		info = FromBuildInfo(bi)
	})
	return info
}

// FromBuildInfo extracts Info from bi.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Module: bi.Main.Path, Version: bi.Main.Version, Go: bi.GoVersion, OS: runtime.GOOS, Arch: runtime.GOARCH}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "GOOS":
			in.OS = s.Value
		case "GOARCH":
			in.Arch = s.Value
		case "vcs":
		default:
			if in.Settings == nil {
				in.Settings = map[string]string{}
			}
			in.Settings[s.Key] = s.Value
		}
	}
	return in
}

// Short is one line: "bbox (devel) rev 1a2b3c4d5e6f (modified) go1.26.8 linux/amd64".
func (in Info) Short() string {
	var b strings.Builder
	b.WriteString("bbox ")
	b.WriteString(in.Version)
	if in.Revision != "" {
		b.WriteString(" rev ")
		b.WriteString(abbrev(in.Revision))
		if in.Modified {
			b.WriteString(" (modified)")
		}
	} else {
		b.WriteString(" (no VCS revision stamped)")
	}
	b.WriteString(" " + in.Go + " " + in.OS + "/" + in.Arch)
	return b.String()
}

// Long is Short followed by every field, one per line, settings sorted.
func (in Info) Long() string {
	var b strings.Builder
	b.WriteString(in.Short() + "\n")
	row := func(k, v string) {
		if v != "" {
			b.WriteString("  " + k + strings.Repeat(" ", max(1, 14-len(k))) + v + "\n")
		}
	}
	row("module", in.Module)
	row("version", in.Version)
	row("revision", in.Revision)
	row("vcs time", in.Time)
	if in.Revision != "" {
		row("modified", map[bool]string{true: "yes", false: "no"}[in.Modified])
	}
	row("go", in.Go)
	row("platform", in.OS+"/"+in.Arch)
	keys := make([]string, 0, len(in.Settings))
	for k := range in.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, in.Settings[k])
	}
	return b.String()
}

func abbrev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
