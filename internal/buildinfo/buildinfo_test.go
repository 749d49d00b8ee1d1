package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/bbox-dev/bbox", Version: "v0.0.0-20261201121119-bd05667808b0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "bd05667808b0e0b47be424673a7ba0bff8a38cd6"},
			{Key: "vcs.time", Value: "2026-12-01T12:11:19Z"}, {Key: "vcs.modified", Value: "true"}, {Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}}}
	in := FromBuildInfo(bi)
	if in.Revision != "bd05667808b0e0b47be424673a7ba0bff8a38cd6" || !in.Modified || in.Time != "2026-12-01T12:11:19Z" ||
		in.OS != "linux" || in.Arch != "arm64" || in.Settings["CGO_ENABLED"] != "0" || in.Version != bi.Main.Version {
		t.Errorf("got %+v", in)
	}
	if s := in.Short(); s != "bbox v0.0.0-20261201121119-bd05667808b0 rev bd05667808b0 (modified) go1.26.8 linux/arm64" {
		t.Errorf("Short = %q", s)
	}
	if l := in.Long(); !strings.Contains(l, "revision      bd05667808b0e0b47be424673a7ba0bff8a38cd6") || !strings.Contains(l, "CGO_ENABLED   0") {
		t.Errorf("Long =\n%s", l)
	}
	if in := FromBuildInfo(&debug.BuildInfo{Main: debug.Module{Path: "m"}}); in.Version != "(devel)" || !strings.Contains(in.Short(), "no VCS revision") {
		t.Errorf("unstamped build: %+v %q", in, in.Short())
	}
}

func TestGet(t *testing.T) {
	in := Get()
	if in.Go != runtime.Version() || in.OS != runtime.GOOS {
		t.Errorf("Get() = %+v", in)
	}
}
