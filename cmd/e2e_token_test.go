package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// TestE2ETokenRealBetterAuth runs baverify token against a real Better Auth
// server for every algorithm its jwt plugin supports: real tokens from
// /api/auth/token and from the set-auth-jwt header are accepted through
// --base-url, --jwks (URL and file) and discovery, and rejected when
// tampered, for another audience or issuer, and after expiry.
func TestE2ETokenRealBetterAuth(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: alg})
			sess := ba.SignUp(t, "alice@example.com", "correct-horse-battery", "Alice")
			fromToken := ba.TokenFromEndpoint(t, sess)
			fromSession := ba.TokenFromGetSession(t, sess)
			jwksFile := filepath.Join(t.TempDir(), "jwks.json")
			if err := os.WriteFile(jwksFile, ba.JWKS(t), 0o600); err != nil {
				t.Fatal(err)
			}
			real := runConfig{now: time.Now()} // the server signs with the real clock

			accept := map[string][]string{
				"base-url":       {"--base-url", ba.BaseURL},
				"jwks URL":       {"--jwks", ba.JWKSURL, "--issuer", ba.Origin, "--audience", ba.Origin},
				"jwks file":      {"--jwks", jwksFile, "--issuer", ba.Origin, "--audience", ba.Origin},
				"discovered iss": {},
			}
			for name, flags := range accept {
				for source, tok := range map[string]string{"/token": fromToken, "set-auth-jwt": fromSession} {
					r := run(t, real, append(append([]string{"token", "-o", "json", "--no-cache"}, flags...), tok)...)
					res := decodeResult(t, r)
					if r.code != ExitOK || !res.Valid || res.Verdict != "valid" || res.Header["alg"] != alg {
						t.Fatalf("%s, token from %s: exit %d\n%s\n%s", name, source, r.code, r.stdout, r.stderr)
					}
					if wantPinned := name != "discovered iss"; res.IssuerPinned != wantPinned {
						t.Fatalf("%s: issuerPinned = %v", name, res.IssuerPinned)
					}
				}
			}

			parts := strings.Split(fromToken, ".")
			tampered := parts[0] + "." + tamperClaim(t, parts[1], "email", "mallory@example.com") + "." + parts[2]
			expiredAt := time.Now().Add(16 * time.Minute).UTC().Format(time.RFC3339)
			sig := len(parts[0]) + 1 + len(parts[1]) + 1
			reject := []struct {
				name  string
				args  []string
				code  string
				token string
				hint  string // in the primary error's hint, when set
			}{
				// A token is exactly base64url and two dots: a wrapped paste is
				// malformed (it used to be signature_invalid, or VALID with the
				// break in the signature), and the hint says it verifies unwrapped.
				{"a line break in the payload", []string{"--base-url", ba.BaseURL}, "malformed", fromToken[:sig-20] + "\n" + fromToken[sig-20:], "with the line break removed the token verifies"},
				{"a line break in the signature", []string{"--base-url", ba.BaseURL}, "malformed", fromToken[:sig+20] + "\r\n" + fromToken[sig+20:], "with the line break removed the token verifies"},
				{"cut inside the payload", []string{"--base-url", ba.BaseURL}, "malformed", fromToken[:sig-20], "looks truncated"},
				{"cut inside the signature", []string{"--base-url", ba.BaseURL}, "", fromToken[:len(fromToken)-10], "looks truncated"},
				{"tampered", []string{"--base-url", ba.BaseURL}, "signature_invalid", tampered, ""},
				{"another audience", []string{"--base-url", ba.BaseURL, "--audience", "https://api.example.com"}, "audience_mismatch", fromToken, ""},
				{"another issuer", []string{"--base-url", ba.BaseURL, "--issuer", "https://app.example.com"}, "issuer_mismatch", fromToken, ""},
				{"after expiry", []string{"--base-url", ba.BaseURL, "--now", expiredAt}, "expired", fromToken, ""},
				{"base URL of another deployment", []string{"--base-url", strings.Replace(ba.BaseURL, "127.0.0.1", "localhost", 1)}, "issuer_mismatch", fromToken, ""},
			}
			for _, tc := range reject {
				r := run(t, real, append(append([]string{"token", "-o", "json", "--no-cache"}, tc.args...), tc.token)...)
				res := decodeResult(t, r)
				if r.code != ExitNegative || res.Valid || res.Verdict != "invalid" || len(res.Errors) == 0 ||
					tc.code != "" && res.Errors[0].Code != tc.code || !strings.Contains(res.Errors[0].Hint, tc.hint) {
					t.Fatalf("%s: exit %d, verdict %s, errors %+v, want primary %s with hint %q", tc.name, r.code, res.Verdict, res.Errors, tc.code, tc.hint)
				}
			}
		})
	}
}

type resultJSON struct {
	Verdict                       string
	Valid, Verified, IssuerPinned bool
	Header                        map[string]any
	Errors, Warnings              []struct{ Code, Message, Hint string }
	JWKS                          *struct {
		Location, From, StaleReason string
		AgeSeconds                  *int64
	}
}

func decodeResult(t *testing.T, r testRun) resultJSON {
	t.Helper()
	var res resultJSON
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("not JSON (%v):\n%s\n%s", err, r.stdout, r.stderr)
	}
	return res
}

func tamperClaim(t *testing.T, segment, claim, value string) string {
	t.Helper()
	raw, err := b64Decode(segment)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	b, _ := json.Marshal(claims)
	return b64Encode(b)
}
