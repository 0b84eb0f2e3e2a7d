package cmd

import (
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/testenv"
)

// Issue 16.14 and 19.6: https:// to the real Better Auth, which speaks
// plain HTTP, is said as such, with the http:// URL, by token, jwks, call,
// login and probe; never "no answer" or "could not reach". token says it
// once: one error, one hint, though iss and aud (http://) differ from the
// https:// expected values too.
func TestE2EHTTPSToAPlainHTTPServer(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	https := func(u string) string { return strings.Replace(u, "http://", "https://", 1) }
	base := https(ba.BaseURL)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		use   string
	}{
		{"token", "", []string{"token", tok, "--base-url", base, "--no-cache"}, ba.JWKSURL},
		{"jwks", "", []string{"jwks", https(ba.JWKSURL), "--no-cache"}, ba.JWKSURL},
		{"call", "", []string{"call", https(ba.AuthURL + "/get-session"), "--token", tok, "--jwks", ba.JWKSURL, "--no-cache"}, ba.AuthURL + "/get-session"},
		{"login", e2ePassword + "\n", []string{"login", "--base-url", base, "--email", e2eEmail, "--password-stdin"}, "--base-url " + ba.BaseURL},
		{"probe", "", []string{"probe", https(ba.AuthURL + "/get-session"), "--token", tok, "--jwks", ba.JWKSURL, "--no-cache"}, ba.AuthURL + "/get-session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLive(t, tc.stdin, nil, tc.args...)
			all := r.stdout + r.stderr
			if r.code != ExitUnavailable || !strings.Contains(all, "plain HTTP") || !strings.Contains(all, "use "+tc.use) ||
				strings.Contains(all, "no answer from") || strings.Contains(all, "could not reach") {
				t.Fatalf("exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if tc.name == "token" {
				res := decodeResult(t, runLive(t, "", nil, append(tc.args, "-o", "json")...))
				if len(res.Errors) != 1 || res.Errors[0].Code != "unverified" || strings.Count(r.stdout, "hint:") != 1 {
					t.Fatalf("not said once: %+v\n%s", res.Errors, r.stdout)
				}
			}
		})
	}
}
