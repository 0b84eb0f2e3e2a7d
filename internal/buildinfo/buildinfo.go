// Package buildinfo says which baverify this is: the version, commit and
// build date the release build stamped in with the linker, or, for a
// `go install` build, what the Go toolchain recorded in the binary.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Dev is the version of a build that carries no version at all (go run,
// go build in a checkout without VCS stamping).
const Dev = "dev"

// Stamp holds the values the linker sets in release builds
// (-X .../cmd.version=... and so on); any of them may be empty.
type Stamp struct {
	Version, Commit, Date string
}

// Info identifies a build. Commit and Date are empty when unknown; they are
// then null in JSON.
type Info struct {
	Version   string  `json:"version"`
	Commit    *string `json:"commit"`
	Date      *string `json:"date"`
	GoVersion string  `json:"goVersion"`
	Platform  string  `json:"platform"`
}

// Current resolves the running binary's build information.
func Current(s Stamp) Info {
	bi, _ := debug.ReadBuildInfo()
	return Resolve(s, bi, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// Resolve is the pure rule behind Current. Each field comes from the linker
// stamp when it is set, else from the build information the Go toolchain
// embeds (bi may be nil): the main module's version (a `go install
// module@v1.2.3` build has "v1.2.3"; a checkout has "(devel)", which says
// nothing) and the vcs.revision and vcs.time settings. A stamp of "none" or
// "unknown" counts as unset. A version with neither is "dev". A leading "v"
// is dropped so that a release build (goreleaser stamps "1.2.3") and a
// `go install` build of the same tag report the same version.
func Resolve(s Stamp, bi *debug.BuildInfo, goVersion, platform string) Info {
	version, commit, date := known(s.Version), known(s.Commit), known(s.Date)
	if bi != nil {
		if version == "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, kv := range bi.Settings {
			switch {
			case kv.Key == "vcs.revision" && commit == "":
				commit = kv.Value
			case kv.Key == "vcs.time" && date == "":
				date = kv.Value
			}
		}
		if goVersion == "" {
			goVersion = bi.GoVersion
		}
	}
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if version == "" {
		version = Dev
	}
	return Info{
		Version:   version,
		Commit:    optional(commit),
		Date:      optional(date),
		GoVersion: goVersion,
		Platform:  platform,
	}
}

// known drops a stamp value that says nothing: blank, or the placeholders
// goreleaser stamps when git cannot tell ("none" for the commit of a
// checkout without a remote, "unknown").
func known(s string) string {
	s = strings.TrimSpace(s)
	if s == "none" || s == "unknown" {
		return ""
	}
	return s
}

func optional(s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return &s
}

// String is the one-line text of `baverify version` and `baverify
// --version`, such as
//
//	baverify version 1.2.3 (commit 0123456789ab, built 2026-11-26T20:00:00Z, go1.26.8, linux/amd64)
//
// The commit is shortened to 12 characters; JSON carries it whole. Unknown
// parts are left out.
func (i Info) String() string {
	var parts []string
	if i.Commit != nil {
		c := *i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		parts = append(parts, "commit "+c)
	}
	if i.Date != nil {
		parts = append(parts, "built "+*i.Date)
	}
	for _, p := range []string{i.GoVersion, i.Platform} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "baverify version " + i.Version
	}
	return fmt.Sprintf("baverify version %s (%s)", i.Version, strings.Join(parts, ", "))
}
