package buildinfo

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"testing"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i+1 < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

func ptr(s string) *string { return &s }

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestResolve(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	const vcsTime = "2026-11-20T10:00:00Z"
	goInstall := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/baverify/baverify", Version: "v1.4.0"},
		Settings:  settings("CGO_ENABLED", "0", "vcs.revision", rev, "vcs.time", vcsTime, "vcs.modified", "false"),
	}
	checkout := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/baverify/baverify", Version: "(devel)"},
	}
	tests := []struct {
		name                  string
		stamp                 Stamp
		bi                    *debug.BuildInfo
		version, commit, date string
	}{
		{
			name:    "release build: the linker stamp wins over the build info",
			stamp:   Stamp{Version: "1.5.0", Commit: "feedface", Date: "2026-11-26T20:00:00Z"},
			bi:      goInstall,
			version: "1.5.0", commit: "feedface", date: "2026-11-26T20:00:00Z",
		},
		{
			name:    "go install module@version: the module version and VCS settings",
			bi:      goInstall,
			version: "1.4.0", commit: rev, date: vcsTime,
		},
		{
			name:    "a partial stamp is completed field by field",
			stamp:   Stamp{Version: "1.5.0"},
			bi:      goInstall,
			version: "1.5.0", commit: rev, date: vcsTime,
		},
		{
			name:    "a leading v is dropped, so both kinds of build agree",
			stamp:   Stamp{Version: "v2.0.0-rc.1"},
			version: "2.0.0-rc.1", commit: "<nil>", date: "<nil>",
		},
		{
			name:    "pseudo-version of an untagged go install",
			bi:      &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126200300-5f38719abcde"}},
			version: "0.0.0-20261126200300-5f38719abcde", commit: "<nil>", date: "<nil>",
		},
		{
			name:    "checkout without VCS stamping: (devel) says nothing, so dev",
			bi:      checkout,
			version: Dev, commit: "<nil>", date: "<nil>",
		},
		{
			name:    "no build info at all",
			version: Dev, commit: "<nil>", date: "<nil>",
		},
		{
			name:    "goreleaser's placeholders count as unset",
			stamp:   Stamp{Version: "0.0.1-next", Commit: "none", Date: "unknown"},
			bi:      goInstall,
			version: "0.0.1-next", commit: rev, date: vcsTime,
		},
		{
			name:    "blank stamp values count as unset",
			stamp:   Stamp{Version: " ", Commit: "", Date: " "},
			version: Dev, commit: "<nil>", date: "<nil>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(tt.stamp, tt.bi, "go1.26.8", "linux/arm64")
			if got.Version != tt.version || str(got.Commit) != tt.commit || str(got.Date) != tt.date {
				t.Errorf("Resolve = (%q, %s, %s), want (%q, %s, %s)",
					got.Version, str(got.Commit), str(got.Date), tt.version, tt.commit, tt.date)
			}
			if got.GoVersion != "go1.26.8" || got.Platform != "linux/arm64" {
				t.Errorf("go version and platform = %q, %q; want the inputs", got.GoVersion, got.Platform)
			}
		})
	}
}

func TestResolveGoVersionFallsBackToBuildInfo(t *testing.T) {
	got := Resolve(Stamp{}, &debug.BuildInfo{GoVersion: "go1.26.1"}, "", "linux/amd64")
	if got.GoVersion != "go1.26.1" {
		t.Errorf("GoVersion = %q, want go1.26.1 from the build info", got.GoVersion)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		info Info
		want string
	}{
		{
			name: "everything known; the commit is shortened",
			info: Info{Version: "1.2.3", Commit: ptr("0123456789abcdef0123"), Date: ptr("2026-11-26T20:00:00Z"),
				GoVersion: "go1.26.8", Platform: "linux/amd64"},
			want: "baverify version 1.2.3 (commit 0123456789ab, built 2026-11-26T20:00:00Z, go1.26.8, linux/amd64)",
		},
		{
			name: "unknown commit and date are left out",
			info: Info{Version: Dev, GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			want: "baverify version dev (go1.26.8, darwin/arm64)",
		},
		{
			name: "nothing but the version",
			info: Info{Version: "1.2.3"},
			want: "baverify version 1.2.3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.String(); got != tt.want {
				t.Errorf("String() =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(Info{Version: Dev, GoVersion: "go1.26.8", Platform: "windows/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"dev","commit":null,"date":null,"goVersion":"go1.26.8","platform":"windows/amd64"}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

func TestCurrent(t *testing.T) {
	got := Current(Stamp{Version: "9.9.9", Commit: "abc", Date: "2026-11-26T20:00:00Z"})
	if got.Version != "9.9.9" || str(got.Commit) != "abc" || str(got.Date) != "2026-11-26T20:00:00Z" {
		t.Errorf("Current ignored the stamp: %+v", got)
	}
	if got.GoVersion != runtime.Version() || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Current = %q %q, want the running toolchain and platform", got.GoVersion, got.Platform)
	}
}
