package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Real is a token captured from a real Better Auth 1.7.25 server, with the
// JWKS that verifies it (testdata/real/ALG, written by TestCapture).
type Real struct {
	Alg, Origin, Kid string
	Iat, Exp         int64
	// Token is token.jwt as captured (it ends with a newline).
	Token string
	// JWKSPath is the JWKS file, relative to the test's working directory,
	// so that outputs naming it carry no machine path.
	JWKSPath string
}

// LoadReal loads the captured token of one algorithm.
func LoadReal(t testing.TB, alg string) Real {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "testdata", "real", alg)
	var r Real
	meta, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(meta, &r); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "token.jwt"))
	if err != nil {
		t.Fatal(err)
	}
	r.Token = string(tok)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if r.JWKSPath, err = filepath.Rel(wd, filepath.Join(dir, "jwks.json")); err != nil {
		t.Fatal(err)
	}
	return r
}

// During is a moment inside the token's lifetime: a minute after iat.
func (r Real) During() time.Time { return time.Unix(r.Iat+60, 0).UTC() }
