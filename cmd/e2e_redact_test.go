package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/testenv"
)

// Issue 16.2: a password in a --jwks URL is sent, never printed or stored.
// Every output mode of token, token --batch, jwks and call, for a JWKS that
// answers, one that answers 404 (the alternative hint) and one that is
// unreachable, and the cache directory they share, are searched for it.
func TestE2EURLPasswordNeverShownOrStored(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	const secret = "hunter2"
	withPassword := func(u string) string { return strings.Replace(u, "://", "://u:"+secret+"@", 1) }
	dir := filepath.Join(t.TempDir(), "cache")
	tokFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, jwksURL := range []string{
		withPassword(ba.JWKSURL),
		withPassword(ba.Origin + "/api/auth/jwk"),  // 404, with a hint naming the right URL
		"http://u:" + secret + "@127.0.0.1:1/jwks", // unreachable
	} {
		for _, args := range [][]string{
			{"token", tok, "--jwks", jwksURL},
			{"token", tok, "--jwks", jwksURL, "-o", "json"},
			{"token", "--batch", tokFile, "--jwks", jwksURL},
			{"token", "--batch", tokFile, "--jwks", jwksURL, "-o", "json"},
			{"jwks", jwksURL},
			{"jwks", jwksURL, "-o", "json"},
			{"call", ba.AuthURL + "/ok", "--token", tok, "--jwks", jwksURL},
			{"call", ba.AuthURL + "/ok", "--token", tok, "--jwks", jwksURL, "-o", "json"},
		} {
			r := liveCached(t, dir, args...)
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("%s %s (exit %d) shows the password:\n%s\n%s", args[0], args[len(args)-1], r.code, r.stdout, r.stderr)
			}
			if r.code == ExitUsage {
				t.Errorf("%v: usage error:\n%s", args, r.stderr)
			}
		}
	}
	entries := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		entries++
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b)+path, secret) {
			t.Errorf("cache file %s holds the password:\n%.300s", filepath.Base(path), b)
		}
		return err
	})
	if err != nil || entries == 0 {
		t.Fatalf("cache: %d entries, %v", entries, err)
	}
}
