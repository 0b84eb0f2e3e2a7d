package cmd

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hugeRSAServer serves, at /api/auth/jwks, a JWKS whose one RSA key has a
// 524,288-bit modulus and e = 2^31-1 (87 KB: one signature check with it
// took 25 s of CPU), and returns its URL with a token for that key whose
// iss is the server, so that discovery leads there. Only the modulus size
// matters, so n is filler, not a product of primes: no real server serves
// such a key, hence httptest.
func hugeRSAServer(t *testing.T) (srvURL, token string) {
	t.Helper()
	const bits = 524288
	b64 := base64.RawURLEncoding.EncodeToString
	n := make([]byte, bits/8)
	for i := range n {
		n[i] = 0xa5
	}
	n[len(n)-1] |= 1
	doc, err := json.Marshal(map[string]any{"keys": []any{map[string]string{
		"kty": "RSA", "kid": "huge", "alg": "RS256", "use": "sig", "n": b64(n), "e": b64([]byte{0x7f, 0xff, 0xff, 0xff})}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/auth/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(srv.Close)
	payload, _ := json.Marshal(map[string]any{"iss": srv.URL, "aud": srv.URL, "sub": "u", "iat": 1795722600 - 60, "exp": 1795722600 + 840})
	sig := make([]byte, bits/8)
	sig[0] = 1
	return srv.URL, b64([]byte(`{"alg":"RS256","kid":"huge"}`)) + "." + b64(payload) + "." + b64(sig)
}

// Issue 16.1: an RSA key over 16384 bits is refused, and said so, wherever
// a key is used: token by discovery, by --jwks, in a batch, and the jwks
// lint. Before the limit each of these runs did minutes of maths.
func TestHugeRSAKeyIsRefusedEverywhere(t *testing.T) {
	srvURL, tok := hugeRSAServer(t)
	const reason = "RSA key of 524288 bits: over baverify's limit of 16384"
	at := runConfig{}
	for _, tc := range []struct {
		name string
		cfg  runConfig
		args []string
		code int
		want string
	}{
		{"discovery", at, []string{"token", tok, "--timeout", "2s", "--no-cache"}, ExitNegative, reason},
		{"--jwks", at, []string{"token", tok, "--jwks", srvURL + "/api/auth/jwks", "--timeout", "2s", "--no-cache", "-o", "json"}, ExitNegative, reason},
		{"batch", runConfig{stdin: tok + "\n" + tok + "\n"}, []string{"token", "--batch", "-", "--jwks", srvURL + "/api/auth/jwks", "--timeout", "2s", "--no-cache", "-o", "json"}, ExitNegative, reason},
		{"jwks lint", at, []string{"jwks", srvURL + "/api/auth/jwks", "--no-cache", "-o", "json"}, ExitNegative, `"code": "rsa_key_too_large"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.cfg, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Fatalf("exit %d (want %d), want %q in:\n%s\n%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout, "signature_invalid") {
				t.Errorf("the signature maths ran:\n%s", r.stdout)
			}
		})
	}
}
