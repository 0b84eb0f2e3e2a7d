package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

// testKey is a key pair that signs test tokens exactly as given, so tests
// control every byte of the header and payload.
type testKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

var (
	keysOnce sync.Once
	keyCache map[string]*testKey
)

// keyFor returns a cached key pair for alg (RSA generation is slow).
func keyFor(t testing.TB, alg string) *testKey {
	t.Helper()
	keysOnce.Do(func() {
		keyCache = map[string]*testKey{}
		_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		keyCache["EdDSA"] = &testKey{alg: "EdDSA", kid: "kid-EdDSA", priv: edPriv}
		keyCache["ES256"] = &testKey{alg: "ES256", kid: "kid-ES256", priv: p256}
		keyCache["ES384"] = &testKey{alg: "ES384", kid: "kid-ES384", priv: p384}
		keyCache["ES512"] = &testKey{alg: "ES512", kid: "kid-ES512", priv: p521}
		for _, a := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
			keyCache[a] = &testKey{alg: a, kid: "kid-" + a, priv: rsaKey}
		}
	})
	k, ok := keyCache[alg]
	if !ok {
		t.Fatalf("no test key for %s", alg)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signRaw signs header and payload JSON as given.
func (k *testKey) signRaw(t testing.TB, header, payload string) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	return input + "." + b64(k.signature(t, input))
}

func (k *testKey) signature(t testing.TB, input string) []byte {
	t.Helper()
	switch p := k.priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(p, []byte(input))
	case *ecdsa.PrivateKey:
		var digest []byte
		switch k.alg {
		case "ES256":
			h := sha256.Sum256([]byte(input))
			digest = h[:]
		case "ES384":
			h := sha512.Sum384([]byte(input))
			digest = h[:]
		default:
			h := sha512.Sum512([]byte(input))
			digest = h[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, p, digest)
		if err != nil {
			t.Fatal(err)
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	case *rsa.PrivateKey:
		hash := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}[k.alg[2:]]
		h := hash.New()
		h.Write([]byte(input))
		digest := h.Sum(nil)
		var sig []byte
		var err error
		if k.alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, p, hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, p, hash, digest)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	t.Fatalf("unknown key type %T", k.priv)
	return nil
}

// sign makes a token with header {"alg","kid"} like Better Auth's.
func (k *testKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	header := fmt.Sprintf(`{"alg":%q,"kid":%q}`, k.alg, k.kid)
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return k.signRaw(t, header, string(payload))
}

// jwk returns the public JWK as a map, with alg and kid like Better Auth.
func (k *testKey) jwk() map[string]any {
	m := map[string]any{"alg": k.alg, "kid": k.kid}
	switch p := k.priv.Public().(type) {
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(p)
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		x, y := make([]byte, size), make([]byte, size)
		p.X.FillBytes(x)
		p.Y.FillBytes(y)
		m["kty"], m["crv"], m["x"], m["y"] = "EC", p.Curve.Params().Name, b64(x), b64(y)
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
	}
	return m
}

// setOf builds a parsed JWKS from JWK maps.
func setOf(t testing.TB, keys ...map[string]any) *jwks.Set {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(doc)
	if err != nil {
		t.Fatalf("parse test JWKS: %v", err)
	}
	return set
}

func with(m map[string]any, kv ...any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

const (
	testIssuer = "https://app.example.com"
	testNow    = 1795707986 + 60
)

var fixedNow = time.Unix(testNow, 0).UTC()

// betterAuthClaims are claims shaped like Better Auth's.
func betterAuthClaims(kv ...any) map[string]any {
	return with(map[string]any{
		"iat": testNow - 60, "name": "Alice", "email": "alice@example.com", "emailVerified": false,
		"id": "user-1", "sub": "user-1", "exp": testNow + 840, "iss": testIssuer, "aud": testIssuer,
	}, kv...)
}

func pinned() Policy {
	return Policy{Issuer: testIssuer, Audiences: []string{testIssuer}}
}

func verifyWith(t testing.TB, set *jwks.Set, pol Policy, token string) *Result {
	t.Helper()
	v := &Verifier{Policy: pol, Now: func() time.Time { return fixedNow }}
	if set != nil {
		v.Keys = StaticKeys{Keys: &KeySet{Set: set, Source: "test.json"}}
	}
	return v.Verify(context.Background(), token)
}

func codes(r *Result) []Code {
	out := []Code{}
	for _, e := range r.Errors {
		out = append(out, e.Code)
	}
	return out
}

func warningCodes(r *Result) []Code {
	out := []Code{}
	for _, e := range r.Warnings {
		out = append(out, e.Code)
	}
	return out
}

func checkStatus(r *Result, name string) Status {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}
