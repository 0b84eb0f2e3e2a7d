package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTokenFlagParsing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, o *tokenOptions)
	}{
		{"positional token", []string{"a.b.c"}, func(t *testing.T, o *tokenOptions) {
			if o.arg != "a.b.c" || !o.argGiven {
				t.Fatalf("arg %q given %v", o.arg, o.argGiven)
			}
		}},
		{"no argument", nil, func(t *testing.T, o *tokenOptions) {
			if o.argGiven {
				t.Fatal("argGiven")
			}
		}},
		{"policy flags", []string{"--issuer", "https://a", "--audience", "x", "--audience", "y", "--alg", "EdDSA", "--leeway", "30s", "--require", "email", "--now", "1795707986"}, func(t *testing.T, o *tokenOptions) {
			p := o.policy
			if p.issuer != "https://a" || !slices.Equal(p.audiences, []string{"x", "y"}) || !slices.Equal(p.algs, []string{"EdDSA"}) ||
				p.leeway != 30*time.Second || !slices.Equal(p.require, []string{"email"}) || p.now != "1795707986" {
				t.Fatalf("%+v", p)
			}
		}},
		{"key source and network", []string{"--base-url", "https://app", "--jwks-path", "/x", "--no-discover", "--timeout", "3s", "--insecure", "-o", "json", "--color", "never"}, func(t *testing.T, o *tokenOptions) {
			if o.keys.baseURL != "https://app" || o.keys.jwksPath != "/x" || !o.keys.noDiscover || o.net.timeout != 3*time.Second ||
				!o.net.insecure || o.out.format != "json" || o.out.color != "never" {
				t.Fatalf("%+v", o)
			}
		}},
		{"decode only and token file", []string{"--decode-only", "--token-file", "t.jwt"}, func(t *testing.T, o *tokenOptions) {
			if !o.decodeOnly || o.tokenFile != "t.jwt" {
				t.Fatalf("%+v", o)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newTestFactory(t, runConfig{})
			var got *tokenOptions
			c := newTokenCmd(f, func(o *tokenOptions) error { got = o; return nil })
			c.SetArgs(append([]string{}, tc.args...)) // never nil: cobra would read os.Args
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

func TestTokenText(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	valid := []string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), rt.Token}
	tok := strings.TrimSpace(rt.Token)
	for _, tc := range []struct {
		name, golden string
		cfg          runConfig
		args         []string
		code         int
	}{
		{"valid piped", "token_valid.txt", runConfig{}, valid, 0},
		{"valid on a terminal with NO_COLOR", "token_valid.txt", runConfig{tty: true, env: map[string]string{"NO_COLOR": "1"}}, valid, 0},
		{"expired, wrong audience", "token_invalid.txt", runConfig{}, []string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", "https://api.example.com",
			"--now", time.Unix(rt.Exp+240, 0).UTC().Format(time.RFC3339), rt.Token}, 1},
		{"no key source", "token_unverified.txt", runConfig{}, []string{"token", "--no-discover", "--now", during(rt), rt.Token}, 1},
		{"decode only", "token_decode_only.txt", runConfig{}, []string{"token", "--decode-only", "--now", during(rt), rt.Token}, 0},
		{"cut inside the payload", "token_truncated.txt", runConfig{}, append(valid[:len(valid)-1:len(valid)-1], tok[:200]), 1},
		{"a line break inside", "token_wrapped.txt", runConfig{}, append(valid[:len(valid)-1:len(valid)-1], tok[:150]+"\n"+tok[150:]), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.cfg, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
		})
	}
}

func TestTokenColorOnlyOnTerminal(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	args := []string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), rt.Token}
	tty := run(t, runConfig{tty: true}, args...)
	if !ansi.MatchString(tty.stdout) {
		t.Fatal("no colour on a terminal")
	}
	plain := run(t, runConfig{}, args...)
	if ansi.MatchString(plain.stdout) {
		t.Fatal("colour when piped")
	}
	if stripANSI(tty.stdout) != plain.stdout {
		t.Fatalf("terminal and piped output differ beyond colour:\n%s\n---\n%s", stripANSI(tty.stdout), plain.stdout)
	}
	for _, env := range []map[string]string{{"NO_COLOR": "1"}, {"NO_COLOR": "false"}, {"TERM": "dumb"}} {
		if r := run(t, runConfig{tty: true, env: env}, args...); ansi.MatchString(r.stdout) {
			t.Errorf("colour despite %v", env)
		}
	}
	if r := run(t, runConfig{tty: true}, append(args, "--color", "never")...); ansi.MatchString(r.stdout) {
		t.Error("colour despite --color never")
	}
	if r := run(t, runConfig{}, append(args, "--color", "always")...); !ansi.MatchString(r.stdout) {
		t.Error("no colour despite --color always")
	}
}

func TestTokenJSON(t *testing.T) {
	rt := loadReal(t, "ES256")
	r := run(t, runConfig{}, "token", "-o", "json", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), rt.Token)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	var got struct {
		Valid, Verified, IssuerPinned bool
		Header                        map[string]any
		Claims                        map[string]any
		Key                           struct{ Kid, Kty, Alg, Crv, Thumbprint, Source string }
		Checks                        []struct{ Name, Status, Message string }
		Errors, Warnings              []struct{ Code, Message, Hint string }
		ExpiresAt                     time.Time
		ExpiresIn                     int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if !got.Valid || !got.Verified || !got.IssuerPinned || got.Header["alg"] != "ES256" || got.Claims["iss"] != rt.Origin ||
		got.Key.Kid != rt.Kid || got.Key.Kty != "EC" || got.Key.Crv != "P-256" || got.Key.Thumbprint == "" ||
		len(got.Checks) != 10 || len(got.Errors) != 0 || got.ExpiresIn != rt.Exp-rt.Iat-60 || got.ExpiresAt.Unix() != rt.Exp {
		t.Fatalf("%+v", got)
	}
	if ansi.MatchString(r.stdout) || r.stderr != "" {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestTokenInputs(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	file := filepath.Join(t.TempDir(), "t.jwt")
	if err := os.WriteFile(file, []byte("Authorization: Bearer "+rt.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), "-o", "json"}
	for _, tc := range []struct {
		name string
		cfg  runConfig
		args []string
	}{
		{"argument", runConfig{}, []string{rt.Token}},
		{"quoted bearer argument", runConfig{}, []string{`"Bearer ` + rt.Token + `"`}},
		{"dash reads stdin", runConfig{stdin: rt.Token + "\n"}, []string{"-"}},
		{"piped stdin without argument", runConfig{stdin: "  " + rt.Token}, nil},
		{"token file with header line", runConfig{}, []string{"--token-file", file}},
		{"environment", runConfig{env: map[string]string{"BAVERIFY_TOKEN": rt.Token}, tty: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.cfg, append(base, tc.args...)...)
			if r.code != 0 || !strings.Contains(r.stdout, `"valid": true`) {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestTokenExitCodes(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	dir := t.TempDir()
	notJWKS := filepath.Join(dir, "not.json")
	os.WriteFile(notJWKS, []byte(`<html>`), 0o600)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	pinned := []string{"--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt)}
	for _, tc := range []struct {
		name   string
		cfg    runConfig
		args   []string
		code   int
		stderr string
	}{
		{"valid", runConfig{}, append([]string{"token", "--jwks", rt.JWKSPath, rt.Token}, pinned...), ExitOK, ""},
		{"tampered", runConfig{}, append([]string{"token", "--jwks", rt.JWKSPath, rt.Token[:len(rt.Token)-4] + "AAAA"}, pinned...), ExitNegative, ""},
		{"unverified", runConfig{}, []string{"token", "--no-discover", rt.Token}, ExitNegative, ""},
		{"decode only", runConfig{}, []string{"token", "--decode-only", rt.Token}, ExitOK, ""},
		{"malformed", runConfig{}, []string{"token", "--jwks", rt.JWKSPath, "not-a-token"}, ExitNegative, ""},
		{"alg none refused", runConfig{}, []string{"token", "--alg", "none", rt.Token}, ExitUsage, "never allowed"},
		{"argument and token file", runConfig{}, []string{"token", "--token-file", "x", rt.Token}, ExitUsage, "not both"},
		{"missing token file", runConfig{}, []string{"token", "--token-file", filepath.Join(dir, "missing")}, ExitUsage, "--token-file"},
		{"no token on a terminal", runConfig{tty: true}, []string{"token"}, ExitUsage, "no token"},
		{"empty stdin", runConfig{}, []string{"token"}, ExitUsage, "no token"},
		{"bad --now", runConfig{}, []string{"token", "--now", "yesterday", rt.Token}, ExitUsage, "--now"},
		{"bad --output", runConfig{}, []string{"token", "-o", "yaml", rt.Token}, ExitUsage, "--output"},
		{"unknown flag", runConfig{}, []string{"token", "--nope"}, ExitUsage, "unknown flag"},
		{"bad base URL", runConfig{}, []string{"token", "--base-url", "ftp://x", rt.Token}, ExitUsage, "http or https"},
		{"JWKS file not a JWKS", runConfig{}, append([]string{"token", "--jwks", notJWKS, rt.Token}, pinned...), ExitUnavailable, ""},
		{"JWKS unreachable", runConfig{}, append([]string{"token", "--jwks", downURL + "/jwks", rt.Token}, pinned...), ExitUnavailable, ""},
		{"JWKS 404", runConfig{}, append([]string{"token", "--base-url", notFound.URL, rt.Token}, pinned...), ExitUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.cfg, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("stderr %q does not contain %q", r.stderr, tc.stderr)
			}
		})
	}
}

// TestTokenBaseURL serves a real captured JWKS where Better Auth would, and
// checks that --base-url finds it and pins iss and aud to its origin.
func TestTokenBaseURL(t *testing.T) {
	rt := loadReal(t, "RS256")
	body, _ := os.ReadFile(rt.JWKSPath)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path != "/api/auth/jwks" && r.URL.Path != "/custom/auth/keys.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()

	r := run(t, runConfig{}, "token", "-o", "json", "--base-url", srv.URL, "--now", during(rt), rt.Token)
	if r.code != ExitNegative || !strings.Contains(r.stdout, `"code": "issuer_mismatch"`) || !strings.Contains(r.stdout, `"code": "audience_mismatch"`) {
		t.Fatalf("the token's iss is another origin: want mismatches, got exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, runConfig{}, "token", "-o", "json", "--base-url", srv.URL+"/custom/auth", "--jwks-path", "/keys.json",
		"--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), rt.Token)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !slices.Equal(paths, []string{"/api/auth/jwks", "/custom/auth/keys.json"}) {
		t.Fatalf("paths = %v", paths)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-26T19:50:00Z":      "2026-11-26T19:50:00Z",
		"2026-11-26T20:50:00+01:00": "2026-11-26T19:50:00Z",
		"1795722397":                "2026-11-26T19:46:37Z",
		"1795722397.5":              "2026-11-26T19:46:37.5Z",
		"0":                         "1970-01-01T00:00:00Z",
	} {
		got, err := parseTime(in)
		if err != nil || got.UTC().Format(time.RFC3339Nano) != want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1.5", "-0.5", "1.+5", "1.", ".5", "1e9", "1795722397.1234567890", "+5", "now", "1 2"} {
		if got, err := parseTime(in); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
	}
}

// A token too large to read whole is a verdict (malformed, exit 1), not a
// usage error: with --output json, stdout still has its result object.
func TestTokenTooLargeIsAVerdict(t *testing.T) {
	for _, size := range []int{1<<20 + 1, 1<<20 + 5000, 3 << 20} {
		big := strings.Repeat("a", size)
		r := run(t, runConfig{stdin: big}, "token", "-o", "json", "--no-discover", "-")
		var got struct {
			Verdict string `json:"verdict"`
			Valid   bool   `json:"valid"`
			Errors  []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%d bytes: stdout is not one JSON object: %v\n%s\nstderr: %s", size, err, r.stdout, r.stderr)
		}
		if r.code != ExitNegative || got.Valid || got.Verdict != "invalid" || len(got.Errors) != 1 ||
			got.Errors[0].Code != "malformed" || !strings.Contains(got.Errors[0].Message, "1 MiB") {
			t.Fatalf("%d bytes: exit %d, %+v", size, r.code, got)
		}
		text := run(t, runConfig{stdin: big}, "token", "--no-discover", "-")
		if text.code != ExitNegative || !strings.Contains(text.stdout, "malformed: the token is larger than 1048576 bytes (1 MiB)") {
			t.Fatalf("text: exit %d\n%s%s", text.code, text.stdout, text.stderr)
		}
	}
}

// When the keys cannot be read, that is the reason for the verdict: its
// error, with the URL and the cause, comes first in JSON and in text.
func TestTokenSourceFailureComesFirst(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	down := closedURL(t)
	r := run(t, runConfig{}, "token", "-o", "json", "--base-url", down, "--now", during(rt), rt.Token)
	var got struct {
		Verdict string `json:"verdict"`
		Errors  []struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err, r.stdout)
	}
	if r.code != ExitUnavailable || got.Verdict != "could_not_check" || len(got.Errors) != 3 || got.Errors[0].Code != "unverified" ||
		!strings.Contains(got.Errors[0].Message, down+"/api/auth/jwks") || !strings.Contains(got.Errors[0].Message, "refused") ||
		got.Errors[1].Code != "issuer_mismatch" || got.Errors[2].Code != "audience_mismatch" {
		t.Fatalf("exit %d: %+v", r.code, got)
	}
	text := run(t, runConfig{}, "token", "--base-url", down, "--now", during(rt), rt.Token)
	errorsAt := strings.Index(text.stdout, "\nErrors\n")
	if errorsAt < 0 || !strings.HasPrefix(text.stdout[errorsAt:], "\nErrors\n  unverified: could not read the JWKS at "+down) {
		t.Fatalf("the source failure is not the first error:\n%s", text.stdout)
	}
}

// A wrapped paste is malformed; the hint verifies it unwrapped, with the
// keys its iss leads to when no key source is given.
func TestWrappedTokenDiscoversThroughItsIssuer(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	if got := unverifiedIssuer(tok[:100] + "\n" + tok[100:]); got != rt.Origin {
		t.Fatalf("issuer of the wrapped token: %q, want %q", got, rt.Origin)
	}
}

// TestTokenVerdictFirst: the first line carries the verdict and its
// reason; --quiet prints it alone; a time given with --now is said to be
// one, the clock's is not.
func TestTokenVerdictFirst(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	keys := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	at := rt.During()
	sub := "hDpiAVW27SkPHkFast7zh4m30YBEieqF"
	for _, tc := range []struct {
		name  string
		now   time.Time
		args  []string
		code  int
		first string
	}{
		{"valid, by the clock", at, append([]string{"token", tok}, keys...), 0,
			"VALID  EdDSA token for sub " + sub + ", expires in 14m"},
		{"valid at --now", time.Time{}, append([]string{"token", "--now", during(rt), tok}, keys...), 0,
			"VALID  EdDSA token for sub " + sub + ", expires in 14m at --now " + during(rt)},
		{"expired at --now", time.Time{}, append([]string{"token", "--now", "2026-11-26T20:09:09Z", tok}, keys...), 1,
			"INVALID (expired)  EdDSA token for sub " + sub + ": expired 8m32s ago (exp 2026-11-26T20:00:37Z) at --now 2026-11-26T20:09:09Z"},
		{"expired by the clock", time.Date(2026, 11, 26, 20, 9, 9, 0, time.UTC), append([]string{"token", tok}, keys...), 1,
			"INVALID (expired)  EdDSA token for sub " + sub + ": expired 8m32s ago (exp 2026-11-26T20:00:37Z)"},
		{"a line break inside", at, append([]string{"token", tok[:150] + "\n" + tok[150:]}, keys...), 1,
			"INVALID (malformed): line break at byte 150, inside the payload"},
		{"issuer not pinned", at, []string{"token", "--jwks", rt.JWKSPath, tok}, 0,
			"VALID (issuer not pinned)  EdDSA token for sub " + sub + ", expires in 14m"},
		{"decoded only", at, []string{"token", "--decode-only", tok}, 0,
			"NOT VERIFIED (decoded only)  EdDSA token for sub " + sub + ", expires in 14m; the signature was not checked"},
		{"decoded only, but nothing decodes", at, []string{"token", "--decode-only", tok[:200]}, 1,
			"INVALID (malformed): a compact JWS has 3 segments separated by dots; this has 2"},
		{"no key source", at, []string{"token", "--no-discover", tok}, 1,
			"NOT VERIFIED (no key source)  EdDSA token for sub " + sub + ", expires in 14m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{now: tc.now}, tc.args...)
			first, _, _ := strings.Cut(r.stdout, "\n")
			if r.code != tc.code || first != tc.first {
				t.Fatalf("exit %d, first line\n%q, want exit %d and\n%q\n%s", r.code, first, tc.code, tc.first, r.stdout)
			}
			q := run(t, runConfig{now: tc.now}, append(tc.args, "-q")...)
			if q.code != tc.code || q.stdout != tc.first+"\n" {
				t.Fatalf("--quiet: exit %d\n%q", q.code, q.stdout)
			}
		})
	}
	for _, args := range [][]string{{"-q", "-o", "json"}, {"--quiet", "--backends"}} {
		if r := run(t, runConfig{}, append([]string{"token", tok}, args...)...); r.code != ExitUsage || r.stdout != "" {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// token - at a terminal says what it waits for, and takes the pasted line
// when Enter is pressed; piped, it reads to the end and says nothing.
func TestTokenPasteAtATerminal(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	args := []string{"token", "-q", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), "-"}
	// What follows the pasted line is never read: at a terminal nothing
	// comes after Enter until the user types again.
	r := run(t, runConfig{tty: true, stdin: "\n" + tok + "\nnot read"}, args...)
	if r.code != ExitOK || r.stderr != "Paste a JWT and press Enter (Ctrl-D to end): " {
		t.Fatalf("exit %d\n%s\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// A token pasted across two lines is read to Ctrl-D, and its line
	// break is the verdict.
	r = run(t, runConfig{tty: true, stdin: tok[:150] + "\n" + tok[150:] + "\n"}, args...)
	if r.code != ExitNegative || !strings.HasPrefix(stripANSI(r.stdout), "INVALID (malformed): line break at byte 150") {
		t.Fatalf("wrapped: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, runConfig{stdin: tok + "\n"}, args...)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("piped: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A request that waits is announced on a terminal's stderr with the bound
// that ends it (the timer is fired at once here); nothing is said when
// stderr is not a terminal.
func TestNetworkWaitIsAnnouncedOnATerminal(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	body, err := os.ReadFile(rt.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	for _, tty := range []bool{true, false} {
		f, _, errOut := newTestFactory(t, runConfig{tty: tty})
		var delays []time.Duration
		f.After = func(d time.Duration, fn func()) func() bool {
			delays = append(delays, d)
			fn() // as if the answer took longer than d
			return func() bool { return false }
		}
		code := Execute(context.Background(), f, []string{"token", "-q", "--no-cache", "--timeout", "7s", "--jwks", srv.URL + "/api/auth/jwks?x=1",
			"--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), strings.TrimSpace(rt.Token)})
		want := "waiting for " + srv.URL + "/api/auth/jwks?… (timeout 7s, --timeout)…\n"
		switch {
		case code != ExitOK:
			t.Fatalf("tty %v: exit %d\n%s", tty, code, errOut)
		case tty && (errOut.String() != want || !slices.Equal(delays, []time.Duration{time.Second})):
			t.Fatalf("stderr %q, delays %v; want %q after 1s", errOut, delays, want)
		case !tty && (errOut.Len() != 0 || len(delays) != 0):
			t.Fatalf("not a terminal: stderr %q, delays %v", errOut, delays)
		}
	}
}

// readPasted takes a prefix of what was typed, ending at a line end or at
// the end of input, and never more than a token's bound.
func FuzzReadPasted(f *testing.F) {
	rt := loadReal(f, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	for _, s := range []string{"", "\n", tok + "\nmore", "\n\n" + tok + "\n", tok[:150] + "\n" + tok[150:] + "\n", "Bearer " + tok + "\r\n", "a.b.c\nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := readPasted(strings.NewReader(in))
		if err != nil {
			return
		}
		read := len(in)
		for i := 0; i < len(in); i++ {
			if in[i] == '\n' && strings.TrimSpace(in[:i+1]) == got {
				read = i + 1
				break
			}
		}
		if strings.TrimSpace(in[:read]) != got {
			t.Fatalf("%q: got %q, not a line-ended prefix", in, got)
		}
	})
}
