package call

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

// realToken is a token captured from a real Better Auth 1.7.25 (testdata/real).
type realToken struct {
	Alg, Origin, Kid string
	Iat, Exp         int64
	Token, JWKSPath  string
}

func loadReal(t testing.TB, alg string) realToken {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "real", alg)
	var rt realToken
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rt); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "token.jwt"))
	if err != nil {
		t.Fatal(err)
	}
	rt.Token = string(tok)
	rt.JWKSPath = filepath.Join(dir, "jwks.json")
	return rt
}

// during is a moment inside the token's lifetime.
func (rt realToken) during() time.Time { return time.Unix(rt.Iat+60, 0).UTC() }

// verifyAt verifies the real token against its own JWKS, pinned to its
// origin, at the given time. keys=false verifies with no key source.
func (rt realToken) verifyAt(t testing.TB, at time.Time, keys bool) *verify.Result {
	t.Helper()
	v := &verify.Verifier{Now: func() time.Time { return at },
		Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}, BaseURL: rt.Origin}}
	if keys {
		v.Keys = &keysource.Reader{Name: rt.JWKSPath}
	}
	return v.Verify(context.Background(), rt.Token)
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
