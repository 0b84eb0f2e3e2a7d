package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func issuerPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a token: %q", tok)
	}
	b, err := b64Decode(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// issuer keys writes a keys file that mint --keys signs with: the token
// alone on stdout, the claims from the flags, times from the clock.
func TestIssuerKeysAndMint(t *testing.T) {
	now := time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)
	cfg := runConfig{now: now}
	r := run(t, cfg, "issuer", "keys", "--alg", "es512", "--count", "2")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, `{"keys":[{"alg":"ES512","crv":"P-521","kty":"EC"`) || strings.Count(r.stdout, `"kid"`) != 2 {
		t.Fatalf("keys: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want map[string]any // nil: absent
	}{
		{[]string{"--base-url", "http://127.0.0.1:4455/custom/auth"}, map[string]any{
			"iss": "http://127.0.0.1:4455", "aud": "http://127.0.0.1:4455", "iat": float64(now.Unix()), "exp": float64(now.Unix() + 900), "nbf": nil}},
		{[]string{"--base-url", "http://127.0.0.1:4455", "--exp", "-1m", "--nbf", "5m"}, map[string]any{"exp": float64(now.Unix() - 60), "nbf": float64(now.Unix() + 300)}},
		{[]string{"--iss", "i", "--aud", "a", "--aud", "b", "--sub", "u1"}, map[string]any{"iss": "i", "aud": []any{"a", "b"}, "sub": "u1", "id": "u1"}},
		{[]string{"--no-iss", "--no-aud", "--no-exp", "--claim", "admin=true", "--claim", "role=admin", "--claim", `n=42`}, map[string]any{
			"iss": nil, "aud": nil, "exp": nil, "admin": true, "role": "admin", "n": float64(42)}},
	} {
		r := run(t, cfg, append([]string{"issuer", "mint", "--keys", keys}, tc.args...)...)
		if r.code != ExitOK || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
			t.Fatalf("mint %v: exit %d\n%s\n%s", tc.args, r.code, r.stdout, r.stderr)
		}
		p := issuerPayload(t, r.stdout)
		for k, want := range tc.want {
			got, present := p[k]
			if want == nil {
				if present {
					t.Errorf("mint %v: %s = %v, want it absent", tc.args, k, got)
				}
			} else if jsonOf(got) != jsonOf(want) {
				t.Errorf("mint %v: %s = %v, want %v", tc.args, k, got, want)
			}
		}
	}
}

func TestIssuerMintJSON(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	r := run(t, runConfig{}, "issuer", "keys")
	if err := os.WriteFile(keys, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, runConfig{}, "issuer", "mint", "--keys", keys, "--base-url", "http://127.0.0.1:1", "-o", "json")
	var out struct{ Token string }
	if r.code != ExitOK || json.Unmarshal([]byte(r.stdout), &out) != nil || issuerPayload(t, out.Token)["iss"] != "http://127.0.0.1:1" {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestIssuerUsageErrors(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	if r := run(t, runConfig{}, "issuer", "keys"); r.code == ExitOK {
		_ = os.WriteFile(keys, []byte(r.stdout), 0o600)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"issuer", "serve", "--listen", "0.0.0.0:0"}, ExitUsage, "is not loopback"},
		{[]string{"issuer", "serve", "--listen", "0.0.0.0:0", "--allow-remote"}, ExitUsage, "give --base-url, the URL backends reach the issuer at"},
		{[]string{"issuer", "serve", "--base-path", "/"}, ExitUsage, "--base-path"},
		{[]string{"issuer", "serve", "--alg", "HS256"}, ExitUsage, "Better Auth signs with EdDSA, ES256, ES512, RS256, PS256 only"},
		{[]string{"issuer", "serve", "--keys", keys, "--write-keys", keys}, ExitUsage, "already in a file"},
		{[]string{"issuer", "serve", "--base-url", "http://127.0.0.1:1/x", "--base-path", "/y"}, ExitUsage, "not both"},
		{[]string{"issuer", "serve", "--expiration-time", "soon"}, ExitUsage, "--expiration-time"},
		{[]string{"issuer", "serve", "--keys", filepath.Join(t.TempDir(), "none.json")}, ExitUsage, "--keys"},
		{[]string{"issuer", "mint"}, ExitUsage, "give --base-url (a running issuer) or --keys FILE"},
		{[]string{"issuer", "mint", "--keys", keys}, ExitUsage, "give --base-url (iss and aud are its origin) or --iss and --aud"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "x", "--exp", "soon"}, ExitUsage, "--exp"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "--no-exp", "--exp", "1m"}, ExitUsage, "choose one"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "--claim", "novalue"}, ExitUsage, "NAME=VALUE"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "--kid", "nope"}, ExitUsage, `no key with kid "nope"`},
		{[]string{"issuer", "mint", "--base-url", "http://127.0.0.1:1", "--timeout", "2s"}, ExitUnavailable, "POST http://127.0.0.1:1/api/auth/baverify/mint"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "--retire"}, ExitUsage, "give its --base-url, not --keys"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "--new-key"}, ExitUsage, "give its --base-url, not --keys"},
		{[]string{"issuer", "mint", "--base-url", "http://a", "--new-key", "--kid", "k"}, ExitUsage, "--new-key and --kid: choose one"},
		{[]string{"issuer", "mint", "--base-url", "http://a", "--new-key", "--retire"}, ExitUsage, "then --retire --kid KID"},
		{[]string{"issuer", "keys", "--count", "0"}, ExitUsage, "--count"},
		{[]string{"issuer", "mint", "--keys", keys, "--base-url", "http://a", "-o", "yaml"}, ExitUsage, "--output must be text or json"},
	} {
		r := run(t, runConfig{}, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, want %d with %q\nstdout %q\nstderr %s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}
