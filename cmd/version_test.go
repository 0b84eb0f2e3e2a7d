package cmd

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func runVersionCmd(t *testing.T, stamp BuildInfo, args ...string) testRun {
	t.Helper()
	f, out, errOut := newTestFactory(t, runConfig{})
	f.Version = stamp
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	release := BuildInfo{Version: "1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-11-26T20:00:00Z"}
	releaseLine := "baverify version 1.2.3 (commit 0123456789ab, built 2026-11-26T20:00:00Z, " + runtime.Version() + ", " + platform + ")\n"
	tests := []struct {
		name  string
		stamp BuildInfo
		args  []string
		want  string
	}{
		{"version command, release build", release, []string{"version"}, releaseLine},
		{"--version on the root says the same", release, []string{"--version"}, releaseLine},
		{"--output text is the default", release, []string{"version", "-o", "text"}, releaseLine},
		{"goreleaser's v-less version and a v tag agree", BuildInfo{Version: "v1.2.3"}, []string{"version"},
			"baverify version 1.2.3 (" + runtime.Version() + ", " + platform + ")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runVersionCmd(t, tt.stamp, tt.args...)
			if r.code != ExitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			if r.stdout != tt.want {
				t.Errorf("stdout =\n  %q\nwant\n  %q", r.stdout, tt.want)
			}
		})
	}
}

// A binary without a linker stamp still has a version, so --version exists.
func TestVersionUnstamped(t *testing.T) {
	t.Parallel()
	r := runVersionCmd(t, BuildInfo{}, "--version")
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	// go test binaries record "(devel)" or nothing as the main module's
	// version, so the fallback ends at "dev".
	want := "baverify version dev ("
	if !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(r.stdout, runtime.GOOS+"/"+runtime.GOARCH+")\n") {
		t.Errorf("stdout = %q, want %q...", r.stdout, want)
	}
}

func TestVersionJSON(t *testing.T) {
	t.Parallel()
	r := runVersionCmd(t, BuildInfo{Version: "1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-11-26T20:00:00Z"},
		"version", "--output", "json")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	want := map[string]any{
		"version":   "1.2.3",
		"commit":    "0123456789abcdef0123456789abcdef01234567", // whole, unlike the text
		"date":      "2026-11-26T20:00:00Z",
		"goVersion": runtime.Version(),
		"platform":  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if len(got) != len(want) {
		t.Errorf("JSON members = %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestVersionJSONUnknownIsNull(t *testing.T) {
	t.Parallel()
	r := runVersionCmd(t, BuildInfo{Version: "1.2.3"}, "version", "-o", "json")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"commit", "date"} {
		if v, ok := got[k]; !ok || v != nil {
			t.Errorf("%s = %#v (present %v), want null", k, v, ok)
		}
	}
}

func TestVersionUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad --output", []string{"version", "-o", "yaml"}, `--output must be text or json, not "yaml"`},
		{"an argument", []string{"version", "extra"}, `version takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runVersionCmd(t, BuildInfo{Version: "1.2.3"}, tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d", r.code, ExitUsage)
			}
			if r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stdout %q, stderr %q; want nothing and %q", r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// Every request names baverify and its version, the JWKS fetch included,
// resolved as `baverify version` resolves it.
func TestUserAgentCarriesTheVersion(t *testing.T) {
	t.Parallel()
	tests := []struct{ stamp, want string }{
		{"1.2.3", "baverify/1.2.3"},
		{"v1.2.3", "baverify/1.2.3"},
		{"", "baverify/dev"}, // a test binary has no module version
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.stamp, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case got <- r.Header.Get("User-Agent"):
				default:
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"keys":[]}`)
			}))
			t.Cleanup(srv.Close)
			f, _, _ := newTestFactory(t, runConfig{})
			f.Version = BuildInfo{Version: tt.stamp}
			Execute(context.Background(), f, []string{"jwks", "--no-cache", srv.URL + "/api/auth/jwks"})
			select {
			case ua := <-got:
				if ua != tt.want {
					t.Errorf("User-Agent = %q, want %q", ua, tt.want)
				}
			default:
				t.Fatal("the JWKS was not fetched")
			}
		})
	}
}

// A run builds only the command it names; what the user sees must not
// change: each command's help is the same as with the whole tree.
func TestSingleCommandTreeChangesNothing(t *testing.T) {
	t.Parallel()
	for _, sub := range subcommands() {
		t.Run(sub.name, func(t *testing.T) {
			t.Parallel()
			alone := run(t, runConfig{}, sub.name, "--help")
			whole := run(t, runConfig{}, "help", sub.name)
			if alone.code != ExitOK || alone.stdout == "" || alone.stdout != whole.stdout {
				t.Fatalf("exit %d; %s --help:\n%s\nhelp %s:\n%s", alone.code, sub.name, alone.stdout, sub.name, whole.stdout)
			}
		})
	}
	// A mistyped command still gets a suggestion from the whole tree.
	if r := run(t, runConfig{}, "tokn"); r.code != ExitUsage || !strings.Contains(r.stderr, `did you mean baverify token?`) {
		t.Errorf("tokn: exit %d\n%s", r.code, r.stderr)
	}
}

// A token given where the command goes is recognised, and never echoed
// whole: it is a credential.
func TestTokenAsCommandIsNotEchoed(t *testing.T) {
	t.Parallel()
	tok := strings.TrimSpace(loadReal(t, "EdDSA").Token)
	for _, arg := range []string{tok, "Bearer " + tok} {
		r := run(t, runConfig{}, arg, "--base-url", "http://127.0.0.1:1")
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "looks like a JWT, not a command") ||
			!strings.Contains(r.stderr, "did you mean baverify token TOKEN?") || strings.Contains(r.stderr, tok[:20]) {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	}
}

// completion is a command like the others: baverify --help lists it.
func TestRootHelpListsCompletion(t *testing.T) {
	r := run(t, runConfig{}, "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "\n  completion ") {
		t.Fatalf("exit %d, want completion in the help:\n%s", r.code, r.stdout)
	}
}

// Argument and flag mistakes say what was expected, show the command's
// usage line, point at the command's own help, and suggest what was meant.
func TestUsageErrorsSayWhatWasExpected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unquoted Bearer token", []string{"token", "--base-url", "http://127.0.0.1:1", "Bearer", "eyJhbGciOiJFZERTQSJ9.e30.c2ln"},
			[]string{`got 2 arguments: "Bearer" and the token are one argument, so quote them: "Bearer …"`, "Usage: baverify token [TOKEN | -] [flags]\n", "Run 'baverify token --help' for usage."}},
		{"call without a URL", []string{"call", "--no-token"}, []string{"missing URL", "Usage: baverify call URL [flags]\n", "Run 'baverify call --help'"}},
		{"probe without a URL", []string{"probe"}, []string{"missing URL", "Usage: baverify probe URL [flags]\n", "Run 'baverify probe --help'"}},
		{"an unknown flag", []string{"token", "--jwk", "x.json"}, []string{"unknown flag: --jwk; did you mean --jwks?", "Usage: baverify token", "Run 'baverify token --help'"}},
		{"a prefix of a flag", []string{"jwks", "--expect-a", "EdDSA"}, []string{"did you mean --expect-alg?"}},
		{"an unknown command", []string{"jwk"}, []string{`unknown command "jwk"; did you mean baverify jwks?`, "Run 'baverify --help'"}},
		{"a bad flag value", []string{"jwks", "-o", "yaml", "x.json"}, []string{"--output must be text or json", "Run 'baverify jwks --help' for usage."}},
		{"verify is token", []string{"verify", "x"}, []string{`unknown command "verify"; did you mean baverify token?`}},
		{"decode is token", []string{"decode"}, []string{`did you mean baverify token?`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, runConfig{}, tc.args...)
			if r.code != ExitUsage || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "Run 'baverify --help'") && tc.args[0] != "jwk" && tc.args[0] != "verify" && tc.args[0] != "decode" {
				t.Errorf("points at the root help:\n%s", r.stderr)
			}
		})
	}
}
