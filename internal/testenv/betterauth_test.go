package testenv

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests pin what a real better-auth 1.7.25 server emits (see the
// shared Better Auth facts): if one fails after an upgrade, the facts that
// baverify relies on have changed.

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

func TestBetterAuthAlgorithms(t *testing.T) {
	for _, tc := range []struct{ opt, want string }{
		{"", "EdDSA"},
		{"EdDSA", "EdDSA"},
		{"ES256", "ES256"},
		{"ES512", "ES512"},
		{"RS256", "RS256"},
		{"PS256", "PS256"},
	} {
		name := tc.opt
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ba := startTimed(t, BetterAuthOptions{Alg: tc.opt})
			if want := ba.Origin + "/api/auth"; ba.AuthURL != want || ba.BaseURL != ba.Origin || ba.JWKSURL != want+"/jwks" {
				t.Fatalf("URLs: %+v", ba)
			}
			up := ba.SignUp(t, "alice@example.com", "correct horse battery", "Alice")
			in := ba.SignIn(t, "alice@example.com", "correct horse battery")
			if in.UserID != up.UserID {
				t.Errorf("sign-in user %q, sign-up user %q", in.UserID, up.UserID)
			}
			jwks := ba.JWKS(t)
			for src, tok := range map[string]string{
				"token":       ba.TokenFromEndpoint(t, up),
				"get-session": ba.TokenFromGetSession(t, in),
			} {
				c := checkToken(t, tok, jwks, tc.want)
				if c.Payload["iss"] != ba.Origin || c.Payload["aud"] != ba.Origin {
					t.Errorf("%s: iss %v, aud %v, want both %s", src, c.Payload["iss"], c.Payload["aud"], ba.Origin)
				}
				if c.Lifetime() != 900 {
					t.Errorf("%s: exp - iat = %d, want 900", src, c.Lifetime())
				}
				if c.Payload["sub"] != up.UserID || c.Payload["id"] != up.UserID || c.Payload["email"] != "alice@example.com" {
					t.Errorf("%s: payload %v, want sub = id = %s", src, c.Payload, up.UserID)
				}
			}
			if got := ba.JWKS(t); string(got) != string(jwks) {
				t.Errorf("JWKS changed after signing:\n%s\n%s", jwks, got)
			}
		})
	}
}

func TestBetterAuthIssuerAudience(t *testing.T) {
	t.Parallel()
	ba := startTimed(t, BetterAuthOptions{
		Alg:            "ES256",
		Issuer:         "https://issuer.example.test",
		Audience:       []string{"api-1", "api-2"},
		ExpirationTime: "1h",
	})
	sess := ba.SignUp(t, "bob@example.com", "correct horse battery", "Bob")
	jwks := ba.JWKS(t)
	for _, tok := range []string{ba.TokenFromEndpoint(t, sess), ba.TokenFromGetSession(t, sess)} {
		c := checkToken(t, tok, jwks, "ES256")
		if c.Payload["iss"] != "https://issuer.example.test" {
			t.Errorf("iss %v", c.Payload["iss"])
		}
		if want := []any{"api-1", "api-2"}; !reflect.DeepEqual(c.Payload["aud"], want) {
			t.Errorf("aud %#v, want %#v", c.Payload["aud"], want)
		}
		if c.Lifetime() != 3600 {
			t.Errorf("exp - iat = %d, want 3600", c.Lifetime())
		}
	}

	// One audience is a string, not an array of one.
	one := startTimed(t, BetterAuthOptions{Audience: []string{"api-1"}})
	s1 := one.SignUp(t, "bob@example.com", "correct horse battery", "Bob")
	c := checkToken(t, one.TokenFromEndpoint(t, s1), one.JWKS(t), "EdDSA")
	if c.Payload["aud"] != "api-1" || c.Payload["iss"] != one.Origin {
		t.Errorf("iss %#v, aud %#v", c.Payload["iss"], c.Payload["aud"])
	}
}

// A path in baseURL moves every route there; iss and aud stay the origin.
// (Patience, here 3, lengthens the harness's request time limit 3 times.)
func TestBetterAuthBasePath(t *testing.T) {
	t.Parallel()
	ba := startTimed(t, BetterAuthOptions{BasePath: "/custom/auth", Patience: 3})
	if c := ba.client(nil); c.Timeout != 30*time.Second || ba.transport.ResponseHeaderTimeout != 30*time.Second {
		t.Errorf("with Patience 3: request timeout %s, response header timeout %s; want 30s each",
			c.Timeout, ba.transport.ResponseHeaderTimeout)
	}
	want := ba.Origin + "/custom/auth"
	if ba.BaseURL != want || ba.AuthURL != want || ba.JWKSURL != want+"/jwks" {
		t.Fatalf("URLs: %+v", ba)
	}
	anon := ba.client(nil)
	ba.do(t, anon, http.MethodGet, ba.Origin+"/api/auth/jwks", nil, http.StatusNotFound)
	ba.do(t, anon, http.MethodGet, want+"/token", nil, http.StatusUnauthorized)
	ba.SignUp(t, "carol@example.com", "correct horse battery", "Carol")
	sess := ba.SignIn(t, "carol@example.com", "correct horse battery")
	jwks := ba.JWKS(t)
	for _, tok := range []string{ba.TokenFromEndpoint(t, sess), ba.TokenFromGetSession(t, sess)} {
		c := checkToken(t, tok, jwks, "EdDSA")
		if c.Payload["iss"] != ba.Origin || c.Payload["aud"] != ba.Origin {
			t.Errorf("iss %v, aud %v, want both %s", c.Payload["iss"], c.Payload["aud"], ba.Origin)
		}
	}
}

// jwks.jwksPath is relative to the auth routes.
func TestBetterAuthJWKSPath(t *testing.T) {
	t.Parallel()
	ba := startTimed(t, BetterAuthOptions{Alg: "RS256", JWKSPath: "/.well-known/jwks.json"})
	if want := ba.Origin + "/api/auth/.well-known/jwks.json"; ba.JWKSURL != want {
		t.Fatalf("JWKSURL %s, want %s", ba.JWKSURL, want)
	}
	anon := ba.client(nil)
	ba.do(t, anon, http.MethodGet, ba.AuthURL+"/jwks", nil, http.StatusNotFound)
	ba.do(t, anon, http.MethodGet, ba.Origin+"/.well-known/jwks.json", nil, http.StatusNotFound)
	sess := ba.SignUp(t, "dave@example.com", "correct horse battery", "Dave")
	checkToken(t, ba.TokenFromEndpoint(t, sess), ba.JWKS(t), "RS256")
}

func TestLoopbackTransportRefusesOtherHosts(t *testing.T) {
	s := &BetterAuth{transport: newLoopbackTransport(httpTimeout), timeout: httpTimeout}
	for _, u := range []string{"http://localhost:1/", "http://[::1]:1/", "http://192.0.2.1:1/"} {
		_, err := s.client(nil).Get(u)
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1 only") {
			t.Errorf("GET %s: err = %v, want a refusal", u, err)
		}
	}
}

func startTimed(t *testing.T, opts BetterAuthOptions) *BetterAuth {
	t.Helper()
	start := time.Now()
	ba := StartBetterAuth(t, opts)
	t.Logf("better-auth server ready in %s at %s", time.Since(start).Round(time.Millisecond), ba.BaseURL)
	return ba
}

// checked is a token whose signature checkToken verified.
type checked struct {
	Header  map[string]any
	Payload map[string]any
	Kid     string
}

func (c checked) Lifetime() int64 {
	iat, _ := c.Payload["iat"].(float64)
	exp, _ := c.Payload["exp"].(float64)
	return int64(exp) - int64(iat)
}

// checkToken asserts the Better Auth facts about a token and its JWKS: the
// header holds exactly alg and kid, alg is wantAlg, the kid is in the JWKS
// with that alg, and the signature verifies.
func checkToken(t *testing.T, tok string, jwks []byte, wantAlg string) checked {
	t.Helper()
	checkFresh(t, tok)
	return checkSigned(t, tok, jwks, wantAlg)
}

// checkSigned is checkToken for a token of any age.
func checkSigned(t *testing.T, tok string, jwks []byte, wantAlg string) checked {
	t.Helper()
	header, payload, err := decodeJWT(tok)
	if err != nil {
		t.Fatalf("%v: %s", err, tok)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range header {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, []string{"alg", "kid"}) {
		t.Errorf("header %v: want exactly alg and kid", header)
	}
	kid, _ := header["kid"].(string)
	if header["alg"] != wantAlg || !kidPattern.MatchString(kid) {
		t.Errorf("header %v: want alg %s and a 32-character kid", header, wantAlg)
	}
	jwk, err := findKey(jwks, kid)
	if err != nil {
		t.Fatalf("%v\nJWKS: %s", err, jwks)
	}
	if jwk["alg"] != wantAlg || jwk["use"] != nil {
		t.Errorf("JWK %v: want alg %s and no use", jwk, wantAlg)
	}
	if err := verifyJWS(tok, jwk); err != nil {
		t.Errorf("signature: %v", err)
	}
	return checked{Header: header, Payload: payload, Kid: kid}
}

// checkFresh asserts that a token was issued just now.
func checkFresh(t *testing.T, tok string) checked {
	t.Helper()
	header, payload, err := decodeJWT(tok)
	if err != nil {
		t.Fatalf("%v: %s", err, tok)
	}
	iat, _ := payload["iat"].(float64)
	if d := time.Since(time.Unix(int64(iat), 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("iat %v is %s away from now", payload["iat"], d)
	}
	return checked{Header: header, Payload: payload}
}

func decodeJWT(tok string) (header, payload map[string]any, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("not a compact JWS: %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, nil, fmt.Errorf("part %d: %v", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return nil, nil, fmt.Errorf("part %d: %v", i, err)
		}
	}
	return header, payload, nil
}

func findKey(jwks []byte, kid string) (map[string]any, error) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %v", err)
	}
	for _, k := range set.Keys {
		if k["kid"] == kid {
			return k, nil
		}
	}
	return nil, fmt.Errorf("kid %q is not in the JWKS", kid)
}

// verifyJWS checks the signature of tok with jwk using only the standard
// library, independently of the code under test elsewhere in the repo.
func verifyJWS(tok string, jwk map[string]any) error {
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return err
	}
	field := func(name string) []byte {
		s, _ := jwk[name].(string)
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return b
	}
	h256 := sha256.Sum256(input)
	switch jwk["alg"] {
	case "EdDSA":
		if !ed25519.Verify(ed25519.PublicKey(field("x")), input, sig) {
			return fmt.Errorf("EdDSA: bad signature")
		}
		return nil
	case "ES256", "ES512":
		curve, digest := elliptic.P256(), h256[:]
		if jwk["alg"] == "ES512" {
			h := sha512.Sum512(input)
			curve, digest = elliptic.P521(), h[:]
		}
		size := (curve.Params().BitSize + 7) / 8
		x, y := field("x"), field("y")
		if len(x) != size || len(y) != size || len(sig) != 2*size {
			return fmt.Errorf("%v: sizes x %d, y %d, sig %d", jwk["alg"], len(x), len(y), len(sig))
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return err
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return fmt.Errorf("%v: bad signature", jwk["alg"])
		}
		return nil
	case "RS256", "PS256":
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(field("n")), E: int(new(big.Int).SetBytes(field("e")).Int64())}
		if jwk["alg"] == "RS256" {
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h256[:], sig)
		}
		return rsa.VerifyPSS(pub, crypto.SHA256, h256[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return fmt.Errorf("unknown alg %v", jwk["alg"])
}
