package testenv

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var captureFlag = flag.Bool("capture", false, "regenerate testdata/real from fresh Better Auth servers")

// captureSource names where the captured tokens come from; keep it in step
// with the better-auth version pinned in testdata/betterauth/package.json.
const captureSource = "better-auth 1.7.25 /api/auth/token"

// captureMeta is testdata/real/<alg>/meta.json.
type captureMeta struct {
	Alg    string `json:"alg"`
	Origin string `json:"origin"`
	Iat    int64  `json:"iat"`
	Exp    int64  `json:"exp"`
	Kid    string `json:"kid"`
	Source string `json:"source"`
}

// TestCapture writes testdata/real/<alg>/{jwks.json,token.jwt,meta.json}
// (and EdDSA/token-get-session.jwt) from one fresh server per algorithm:
//
//	go test ./internal/testenv -run TestCapture -capture
func TestCapture(t *testing.T) {
	if !*captureFlag {
		t.Skip("regenerates testdata/real; run with -capture")
	}
	root := filepath.Join(RepoRoot(t), "testdata", "real")
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			ba := StartBetterAuth(t, BetterAuthOptions{Alg: alg, ExpirationTime: "15m"})
			sess := ba.SignUp(t, "alice@example.com", "correct horse battery", "Alice")
			tok := ba.TokenFromEndpoint(t, sess)
			var fromSession string
			if alg == "EdDSA" {
				fromSession = ba.TokenFromGetSession(t, sess)
			}
			jwks := ba.JWKS(t)

			// Check before writing, so that only sound data lands.
			c := checkToken(t, tok, jwks, alg)
			if c.Payload["iss"] != ba.Origin || c.Payload["aud"] != ba.Origin || c.Lifetime() != 900 {
				t.Fatalf("unexpected claims: %v", c.Payload)
			}
			if fromSession != "" {
				checkToken(t, fromSession, jwks, alg)
			}
			if t.Failed() {
				t.FailNow()
			}

			meta, err := json.MarshalIndent(captureMeta{
				Alg:    alg,
				Origin: ba.Origin,
				Iat:    int64(c.Payload["iat"].(float64)),
				Exp:    int64(c.Payload["exp"].(float64)),
				Kid:    c.Kid,
				Source: captureSource,
			}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, alg)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{
				"jwks.json": jwks,
				"token.jwt": []byte(tok),
				"meta.json": append(meta, '\n'),
			}
			if fromSession != "" {
				files["token-get-session.jwt"] = []byte(fromSession)
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("wrote %s (kid %s)", dir, c.Kid)
		})
	}
}

// TestCapturedData checks the files TestCapture wrote: each token verifies
// against its JWKS, and meta.json agrees with the token.
func TestCapturedData(t *testing.T) {
	root := filepath.Join(RepoRoot(t), "testdata", "real")
	read := func(t *testing.T, alg, name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, alg, name))
		if err != nil {
			t.Fatalf("%v (regenerate with: go test ./internal/testenv -run TestCapture -capture)", err)
		}
		return b
	}
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			jwks := read(t, alg, "jwks.json")
			tok := string(read(t, alg, "token.jwt"))
			var meta captureMeta
			if err := json.Unmarshal(read(t, alg, "meta.json"), &meta); err != nil {
				t.Fatalf("meta.json: %v", err)
			}
			c := checkSigned(t, tok, jwks, alg)
			p := c.Payload
			if meta.Alg != alg || meta.Kid != c.Kid || meta.Source != captureSource ||
				float64(meta.Iat) != p["iat"] || float64(meta.Exp) != p["exp"] || meta.Exp-meta.Iat != 900 ||
				p["iss"] != meta.Origin || p["aud"] != meta.Origin {
				t.Errorf("meta.json %+v disagrees with the token %v", meta, p)
			}
			if alg == "EdDSA" {
				s := checkSigned(t, string(read(t, alg, "token-get-session.jwt")), jwks, alg)
				if s.Payload["sub"] != p["sub"] || s.Payload["iss"] != meta.Origin {
					t.Errorf("token-get-session.jwt: %v, token.jwt: %v", s.Payload, p)
				}
			}
		})
	}
}
