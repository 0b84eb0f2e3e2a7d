package verify

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/jwks"
)

func TestValidForEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
		t.Run(alg, func(t *testing.T) {
			k := keyFor(t, alg)
			r := verifyWith(t, setOf(t, k.jwk()), pinned(), k.sign(t, betterAuthClaims()))
			if !r.Valid || !r.Verified || len(r.Errors) != 0 {
				t.Fatalf("want valid, got valid=%v errors=%v", r.Valid, r.Errors)
			}
			if r.Key == nil || r.Key.Kid != k.kid || r.Key.Thumbprint == "" || r.Key.Source != "test.json" {
				t.Fatalf("key info = %+v", r.Key)
			}
			if r.ExpiresIn == nil || *r.ExpiresIn != 840 {
				t.Fatalf("expiresIn = %v, want 840", r.ExpiresIn)
			}
		})
	}
}

// TestRealBetterAuthTokens checks the tokens captured from a real Better
// Auth 1.7.25 server, one per algorithm it supports.
func TestRealBetterAuthTokens(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/real/*/meta.json")
	if err != nil || len(dirs) < 5 {
		t.Fatalf("captured data missing: %v %v", dirs, err)
	}
	for _, metaPath := range dirs {
		dir := filepath.Dir(metaPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var meta struct {
				Alg, Origin, Kid string
				Iat, Exp         int64
			}
			readJSON(t, metaPath, &meta)
			body, _ := os.ReadFile(filepath.Join(dir, "jwks.json"))
			set, err := jwks.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(filepath.Join(dir, "token.jwt"))
			pol := Policy{Issuer: meta.Origin, Audiences: []string{meta.Origin}}
			at := func(sec int64) *Result {
				v := &Verifier{Policy: pol, Keys: StaticKeys{Keys: &KeySet{Set: set, Source: "jwks.json"}},
					Now: func() time.Time { return time.Unix(sec, 0) }}
				return v.Verify(context.Background(), string(raw))
			}
			if r := at(meta.Iat + 1); !r.Valid {
				t.Fatalf("real %s token invalid: %v", meta.Alg, r.Errors)
			}
			if r := at(meta.Exp); !slices.Equal(codes(r), []Code{CodeExpired}) {
				t.Fatalf("at exp: %v, want [expired]", codes(r))
			}
			tampered := tamperPayload(t, string(raw), "sub", "someone-else")
			if r := verifyAt(set, pol, tampered, meta.Iat+1); !slices.Equal(codes(r), []Code{CodeSignature}) {
				t.Fatalf("tampered: %v", codes(r))
			}
		})
	}
}

func verifyAt(set *jwks.Set, pol Policy, token string, sec int64) *Result {
	v := &Verifier{Policy: pol, Keys: StaticKeys{Keys: &KeySet{Set: set, Source: "jwks.json"}},
		Now: func() time.Time { return time.Unix(sec, 0) }}
	return v.Verify(context.Background(), token)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// tamperPayload rewrites one claim and keeps the original signature.
func tamperPayload(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	tok, err := Decode(token)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(tok.PayloadJSON, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	b, _ := json.Marshal(claims)
	return parts[0] + "." + b64(b) + "." + parts[2]
}

func TestErrorCodes(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	es := keyFor(t, "ES256")
	rs := keyFor(t, "RS256")
	edSet := setOf(t, ed.jwk())
	otherEd := func() *testKey {
		_, priv, _ := ed25519.GenerateKey(nil)
		return &testKey{alg: "EdDSA", kid: ed.kid, priv: priv}
	}()

	tests := []struct {
		name     string
		set      *jwks.Set
		policy   Policy
		token    string
		want     []Code
		message  string // substring of the first error's message
		hint     string // substring of the first error's hint
		warnings []Code
	}{
		{name: "two segments", set: edSet, policy: pinned(), token: "abc.def", want: []Code{CodeMalformed}, hint: "session token"},
		{name: "JWE", set: edSet, policy: pinned(), token: b64([]byte(`{"alg":"dir","enc":"A256GCM"}`)) + "..aXY.Y3Q.dGFn", want: []Code{CodeMalformed}, message: "this is a JWE"},
		{name: "five segments, no enc: not a JWE", set: edSet, policy: pinned(), token: "a.b.c.d.e", want: []Code{CodeMalformed}, message: "has 5"},
		{name: "two tokens run together", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}`, `{}`) + ed.signRaw(t, `{"alg":"EdDSA"}`, `{}`), want: []Code{CodeMalformed}, message: "no JWE either", hint: "two tokens pasted together"},
		{name: "padding", set: edSet, policy: pinned(), token: "eyJhbGciOiJFZERTQSJ9=.e30.c2ln", want: []Code{CodeMalformed}, message: "padding"},
		{name: "standard base64", set: edSet, policy: pinned(), token: "eyJ+.e30.c2ln", want: []Code{CodeMalformed}, message: "base64url"},
		{name: "header not JSON", set: edSet, policy: pinned(), token: b64([]byte("nope")) + ".e30.c2ln", want: []Code{CodeMalformed}, message: "header"},
		{name: "payload is an array", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}`, `[1]`), want: []Code{CodeMalformed}, message: "an array"},
		{name: "duplicate claim", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"sub":"a","sub":"b"}`), want: []Code{CodeMalformed}, message: "twice"},
		{name: "trailing data", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}{}`, `{}`), want: []Code{CodeMalformed}, message: "trailing"},
		{name: "empty signature", set: edSet, policy: pinned(), token: b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{}`)) + ".", want: []Code{CodeMalformed}, message: "unsigned"},
		{name: "no alg", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"kid":"kid-EdDSA"}`, mustJSON(betterAuthClaims())), want: []Code{CodeMalformed}, message: `no "alg"`},
		{name: "alg not a string", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":1}`, mustJSON(betterAuthClaims())), want: []Code{CodeMalformed}, message: "not a string"},
		{name: "crit", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA","crit":["exp"],"exp":1}`, mustJSON(betterAuthClaims())), want: []Code{CodeMalformed}, message: "crit"},
		{name: "b64 false in crit", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA","b64":false,"crit":["b64"]}`, mustJSON(betterAuthClaims())), want: []Code{CodeMalformed}, message: "crit"},
		{name: "alg none", set: edSet, policy: pinned(), token: b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(mustJSON(betterAuthClaims()))) + ".c2ln", want: []Code{CodeAlgNotAllowed}, message: "unsigned"},
		{name: "alg HS256 with the public key as secret", set: edSet, policy: pinned(), token: b64([]byte(`{"alg":"HS256","kid":"kid-EdDSA"}`)) + "." + b64([]byte(mustJSON(betterAuthClaims()))) + ".c2ln", want: []Code{CodeAlgNotAllowed}, hint: "algorithm-confusion"},
		{name: "alg outside a custom allowlist", set: setOf(t, rs.jwk()), policy: Policy{Issuer: testIssuer, Audiences: []string{testIssuer}, Algorithms: []string{"EdDSA"}}, token: rs.sign(t, betterAuthClaims()), want: []Code{CodeAlgNotAllowed}, hint: "--alg RS256"},
		{name: "unknown kid", set: edSet, policy: pinned(), token: (&testKey{alg: "EdDSA", kid: "rotated", priv: ed.priv}).sign(t, betterAuthClaims()), want: []Code{CodeKeyNotFound}, message: "it has kid-EdDSA", hint: "rotated"},
		{name: "no kid, one usable key", set: setOf(t, ed.jwk(), es.jwk()), policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}`, mustJSON(betterAuthClaims())), want: []Code{}},
		{name: "no kid, two usable keys", set: setOf(t, ed.jwk(), with(otherEd.jwk(), "kid", "kid-2")), policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}`, mustJSON(betterAuthClaims())), want: []Code{CodeKeyNotFound}, message: "kid-EdDSA, kid-2"},
		{name: "no kid, no usable key", set: setOf(t, es.jwk()), policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA"}`, mustJSON(betterAuthClaims())), want: []Code{CodeKeyNotFound}},
		{name: "duplicate kid, both usable", set: setOf(t, ed.jwk(), otherEd.jwk()), policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{CodeKeyNotFound}, message: "does not guess"},
		{name: "kid found, wrong key type", set: setOf(t, with(es.jwk(), "kid", "kid-EdDSA", "alg", nil)), policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{CodeKeyUnusable}, message: "OKP/Ed25519"},
		{name: "kid found, key alg differs", set: setOf(t, with(rs.jwk(), "kid", "kid-PS")), policy: pinned(), token: (&testKey{alg: "PS256", kid: "kid-PS", priv: rs.priv}).sign(t, betterAuthClaims()), want: []Code{CodeKeyUnusable}, message: "published for alg RS256"},
		{name: "kid found, use enc", set: setOf(t, with(ed.jwk(), "use", "enc")), policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{CodeKeyUnusable}, message: `"enc"`},
		{name: "kid found, key_ops without verify", set: setOf(t, with(ed.jwk(), "key_ops", []string{"encrypt"})), policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{CodeKeyUnusable}, message: "key_ops"},
		{name: "kid found, use sig and key_ops verify", set: setOf(t, with(ed.jwk(), "use", "sig", "key_ops", []string{"verify"})), policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{}},
		{name: "tampered payload", set: edSet, policy: pinned(), token: tamperPayload(t, ed.sign(t, betterAuthClaims()), "sub", "admin"), want: []Code{CodeSignature}, hint: "altered"},
		{name: "other key with the same kid", set: edSet, policy: pinned(), token: otherEd.sign(t, betterAuthClaims()), want: []Code{CodeSignature}},
		{name: "ECDSA signature DER-encoded", set: setOf(t, es.jwk()), policy: pinned(), token: withSignature(es.sign(t, betterAuthClaims()), append([]byte{0x30, 0x44}, make([]byte, 68)...)), want: []Code{CodeSignature}, hint: "DER"},
		{name: "signature too short", set: edSet, policy: pinned(), token: withSignature(ed.sign(t, betterAuthClaims()), make([]byte, 63)), want: []Code{CodeSignature}, message: "must be 64"},
		{name: "non-canonical Ed25519 signature", set: edSet, policy: pinned(), token: nonCanonical(t, ed.sign(t, betterAuthClaims())), want: []Code{CodeSignature}},
		{name: "expired", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iat", testNow-1140, "exp", testNow-240)), want: []Code{CodeExpired}, message: "expired 4m ago", hint: "15 minutes"},
		{name: "exp equal to now is expired", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("exp", testNow)), want: []Code{CodeExpired}},
		{name: "leeway rescues a just-expired token", set: edSet, policy: Policy{Issuer: testIssuer, Audiences: []string{testIssuer}, Leeway: 10 * time.Second}, token: ed.sign(t, betterAuthClaims("exp", testNow-5)), want: []Code{}},
		{name: "fractional exp half a second ahead", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1795708046.5,"iss":"https://app.example.com","aud":"https://app.example.com"}`), want: []Code{}},
		{name: "fractional exp half a second behind", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1795708045.5,"iss":"https://app.example.com","aud":"https://app.example.com"}`), want: []Code{CodeExpired}},
		{name: "not yet valid", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("nbf", testNow+120)), want: []Code{CodeNotYetValid}},
		{name: "issued in the future", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iat", testNow+120)), want: []Code{CodeIssuedInFuture}},
		{name: "issuer mismatch, trailing slash", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iss", testIssuer+"/")), want: []Code{CodeIssuerMismatch}, hint: "trailing slash"},
		{name: "issuer from localhost", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iss", "http://localhost:3000")), want: []Code{CodeIssuerMismatch}, message: "iss is http://localhost:3000 but you expect https://app.example.com", hint: "baseURL"},
		{name: "iss null is not an empty iss", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iss", json.RawMessage("null"))), want: []Code{CodeClaimInvalid}, message: "null"},
		{name: "audience in an array", set: edSet, policy: Policy{Issuer: testIssuer, Audiences: []string{"api-2"}}, token: ed.sign(t, betterAuthClaims("aud", []string{"api-1", "api-2"})), want: []Code{}},
		{name: "audience mismatch", set: edSet, policy: Policy{Issuer: testIssuer, Audiences: []string{"https://api.example.com"}}, token: ed.sign(t, betterAuthClaims()), want: []Code{CodeAudienceMismatch}},
		{name: "no exp", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("exp", nil)), want: []Code{CodeClaimMissing}, message: "no exp"},
		{name: "required claim missing", set: edSet, policy: Policy{Issuer: testIssuer, Audiences: []string{testIssuer}, Require: []string{"sub", "role"}}, token: ed.sign(t, betterAuthClaims()), want: []Code{CodeClaimMissing}, message: "role"},
		{name: "pinned issuer, no iss", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("iss", nil)), want: []Code{CodeClaimMissing}},
		{name: "exp in milliseconds as a string", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("exp", "1795708886000")), want: []Code{CodeClaimInvalid}},
		{name: "aud is a number", set: edSet, policy: pinned(), token: ed.sign(t, betterAuthClaims("aud", 5)), want: []Code{CodeClaimInvalid}},
		{name: "no key source", set: nil, policy: pinned(), token: ed.sign(t, betterAuthClaims()), want: []Code{CodeUnverified}, hint: "--base-url"},
		{name: "jku is ignored and reported", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA","jku":"https://evil.example/jwks"}`, mustJSON(betterAuthClaims())), want: []Code{}, warnings: []Code{WarnHeaderKeyIgnored}},
		{name: "session cookie cache token", set: edSet, policy: pinned(), token: ed.signRaw(t, `{"alg":"EdDSA","kid":"kid-EdDSA","typ":"better-auth.session-cache+jwt"}`, mustJSON(betterAuthClaims("aud", "better-auth:session-cache"))), want: []Code{CodeAudienceMismatch}, warnings: []Code{WarnSessionCache}},
		{name: "every failure in pipeline order", set: edSet, policy: pinned(), token: tamperPayload(t, ed.sign(t, betterAuthClaims("exp", testNow-1)), "iss", "https://evil.example.com"), want: []Code{CodeSignature, CodeExpired, CodeIssuerMismatch}},
		{name: "unpinned issuer and audience warn", set: edSet, policy: Policy{}, token: ed.sign(t, betterAuthClaims()), want: []Code{}, warnings: []Code{WarnIssuerNotPinned, WarnAudienceUnchecked}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyWith(t, tc.set, tc.policy, tc.token)
			if got := codes(r); !slices.Equal(got, tc.want) {
				t.Fatalf("errors = %v, want %v\n%+v", got, tc.want, r.Errors)
			}
			if len(tc.want) == 0 && !r.Valid {
				t.Fatalf("want valid")
			}
			if len(tc.want) > 0 && r.Valid {
				t.Fatalf("want invalid")
			}
			if tc.message != "" && !strings.Contains(r.Errors[0].Message, tc.message) {
				t.Errorf("message %q does not contain %q", r.Errors[0].Message, tc.message)
			}
			if tc.hint != "" && !strings.Contains(r.Errors[0].Hint, tc.hint) {
				t.Errorf("hint %q does not contain %q", r.Errors[0].Hint, tc.hint)
			}
			if tc.warnings != nil && !slices.Equal(warningCodes(r), tc.warnings) {
				t.Errorf("warnings = %v, want %v", warningCodes(r), tc.warnings)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func withSignature(token string, sig []byte) string {
	i := strings.LastIndex(token, ".")
	return token[:i+1] + b64(sig)
}

// nonCanonical adds the group order L to S: the same point, a different
// encoding, which RFC 8032 verifiers must refuse (malleability).
func nonCanonical(t *testing.T, token string) string {
	t.Helper()
	tok, err := Decode(token)
	if err != nil {
		t.Fatal(err)
	}
	sig := tok.Signature
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(b []byte) *big.Int {
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(r)
	}
	s := le(sig[32:])
	s.Add(s, l)
	be := s.FillBytes(make([]byte, 32))
	out := append([]byte{}, sig[:32]...)
	for i := 31; i >= 0; i-- {
		out = append(out, be[i])
	}
	return withSignature(token, out)
}

func TestChecklistCoversEveryStep(t *testing.T) {
	k := keyFor(t, "EdDSA")
	r := verifyWith(t, setOf(t, k.jwk()), pinned(), k.sign(t, betterAuthClaims()))
	var names []string
	for _, c := range r.Checks {
		names = append(names, c.Name)
	}
	want := []string{"format", "alg", "key", "signature", "exp", "nbf", "iat", "iss", "aud", "required"}
	if !slices.Equal(names, want) {
		t.Fatalf("checks = %v, want %v", names, want)
	}
	if checkStatus(r, "nbf") != Skip || checkStatus(r, "signature") != Pass {
		t.Fatalf("statuses: %+v", r.Checks)
	}
}

// refreshingKeys serves a stale set first and a fresh one on Refresh.
type refreshingKeys struct {
	stale, fresh *KeySet
	refreshes    int
}

func (k *refreshingKeys) Load(context.Context) (*KeySet, error) { return k.stale, nil }
func (k *refreshingKeys) Refresh(context.Context) (*KeySet, error) {
	k.refreshes++
	return k.fresh, nil
}

func TestUnknownKidRefreshesOnce(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	es := keyFor(t, "ES256")
	src := &refreshingKeys{
		stale: &KeySet{Set: setOf(t, es.jwk()), Source: "cache"},
		fresh: &KeySet{Set: setOf(t, es.jwk(), ed.jwk()), Source: "https://app.example.com/api/auth/jwks"},
	}
	v := &Verifier{Keys: src, Policy: pinned(), Now: func() time.Time { return fixedNow }}
	r := v.Verify(context.Background(), ed.sign(t, betterAuthClaims()))
	if !r.Valid || src.refreshes != 1 || !slices.Contains(warningCodes(r), WarnJWKSRefetched) {
		t.Fatalf("valid=%v refreshes=%d warnings=%v", r.Valid, src.refreshes, warningCodes(r))
	}
	// Still unknown after the refresh: exactly one refresh, key_not_found.
	src.refreshes = 0
	src.fresh = src.stale
	r = v.Verify(context.Background(), ed.sign(t, betterAuthClaims()))
	if src.refreshes != 1 || !slices.Equal(codes(r), []Code{CodeKeyNotFound}) {
		t.Fatalf("refreshes=%d codes=%v", src.refreshes, codes(r))
	}
	// Two usable keys share the kid: the JWKS has it, a refetch would not
	// help, and no warning may say it was missing.
	src.refreshes = 0
	twin := ed.jwk()
	twin["x"] = keyFor(t, "EdDSA").jwk()["x"] // another key, the same kid
	src.stale = &KeySet{Set: setOf(t, ed.jwk(), twin), Source: "cache"}
	r = v.Verify(context.Background(), ed.sign(t, betterAuthClaims()))
	if src.refreshes != 0 || slices.Contains(warningCodes(r), WarnJWKSRefetched) || !slices.Equal(codes(r), []Code{CodeKeyNotFound}) {
		t.Fatalf("duplicate kid: refreshes=%d codes=%v warnings=%v", src.refreshes, codes(r), warningCodes(r))
	}
}

type failingKeys struct{ err error }

func (k failingKeys) Load(context.Context) (*KeySet, error)    { return nil, k.err }
func (k failingKeys) Refresh(context.Context) (*KeySet, error) { return nil, nil }

func TestKeySourceFailureIsCouldNotCheck(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	srcErr := &jwks.SourceError{Source: "https://down.example/jwks", Err: errors.New("connection refused")}
	v := &Verifier{Keys: failingKeys{err: srcErr}, Policy: pinned(), Now: func() time.Time { return fixedNow }}
	r := v.Verify(context.Background(), ed.sign(t, betterAuthClaims()))
	if r.SourceErr == nil || r.Valid || r.Verified || !slices.Equal(codes(r), []Code{CodeUnverified}) {
		t.Fatalf("sourceErr=%v valid=%v verified=%v codes=%v", r.SourceErr, r.Valid, r.Verified, codes(r))
	}
	if !strings.Contains(r.Errors[0].Message, "connection refused") {
		t.Fatalf("message %q", r.Errors[0].Message)
	}
}

func TestDecodeOnly(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	v := &Verifier{DecodeOnly: true, Now: func() time.Time { return fixedNow }}
	r := v.Verify(context.Background(), ed.sign(t, betterAuthClaims()))
	if r.Valid || r.Verified || !r.DecodeOnly || !slices.Contains(warningCodes(r), WarnDecodeOnly) {
		t.Fatalf("valid=%v verified=%v warnings=%v", r.Valid, r.Verified, warningCodes(r))
	}
	if checkStatus(r, "signature") != Skip || checkStatus(r, "exp") != Pass {
		t.Fatalf("checks %+v", r.Checks)
	}
}

func TestDiscoveredIssuerIsLoud(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	r := verifyWith(t, setOf(t, ed.jwk()), Policy{Discovered: true}, ed.sign(t, betterAuthClaims()))
	if !r.Valid || r.IssuerPinned {
		t.Fatalf("valid=%v pinned=%v", r.Valid, r.IssuerPinned)
	}
	if !slices.Contains(warningCodes(r), WarnIssuerNotPinned) {
		t.Fatalf("warnings = %v", warningCodes(r))
	}
	if !strings.Contains(r.Warnings[0].Message+r.Warnings[len(r.Warnings)-1].Message, "NOT pinned") {
		t.Fatalf("not loud enough: %+v", r.Warnings)
	}
}

func TestResultJSONShape(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	r := verifyWith(t, setOf(t, ed.jwk()), pinned(), ed.sign(t, betterAuthClaims()))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"aud", "checks", "claims", "errors", "expiresAt", "expiresIn", "header", "issuerPinned", "jwks", "key", "notes", "valid", "verdict", "verified", "warnings"}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "aud" })
	if !slices.Equal(keys, want) {
		t.Fatalf("JSON members = %v, want %v", keys, want)
	}
	if string(m["expiresIn"]) != "840" || !strings.Contains(string(m["claims"]), `"sub":"user-1"`) {
		t.Fatalf("expiresIn=%s claims=%s", m["expiresIn"], m["claims"])
	}
}

func TestParseAlgorithm(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"EdDSA", "EdDSA", ""}, {"es256", "ES256", ""}, {"Ed25519", "Ed25519", ""},
		{"none", "", "never allowed"}, {"HS256", "", "HMAC"}, {"XX1", "", "not a known"},
	} {
		got, err := ParseAlgorithm(tc.in)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseAlgorithm(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// A weak RSA key in a JWKS is unusable because it is weak, and says so
// (jwx alone would call it unparseable).
func TestWeakRSAKeyIsUnusableForItsSize(t *testing.T) {
	doc, err := jwks.ReadFile(filepath.Join("..", "..", "testdata", "jwks", "weak-rsa-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(doc.Body)
	if err != nil || len(set.Keys) == 0 {
		t.Fatalf("%v", err)
	}
	kid := set.Keys[0].Kid
	tok := b64([]byte(`{"alg":"RS256","kid":"`+kid+`"}`)) + "." + b64([]byte(mustJSON(betterAuthClaims()))) + "." + b64(make([]byte, 128))
	r := verifyWith(t, set, pinned(), tok)
	p := r.Primary()
	if p == nil || p.Code != CodeKeyUnusable || !strings.Contains(p.Message+p.Hint, "fewer than 2048") {
		t.Fatalf("primary %+v", p)
	}
}

// A key set from a stale cache still verifies, but the result says so
// loudly (a warning naming the age and the failure) and in its jwks
// object; a cached one says its age on the key line.
func TestKeysOriginReported(t *testing.T) {
	body, err := os.ReadFile("../../testdata/real/EdDSA/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("../../testdata/real/EdDSA/token.jwt")
	var meta struct{ Iat int64 }
	readJSON(t, "../../testdata/real/EdDSA/meta.json", &meta)
	age := int64(7200)
	for _, tc := range []struct {
		origin   KeysOrigin
		warn     bool
		inKeyMsg string
	}{
		{KeysOrigin{Location: "https://a/jwks", From: "network"}, false, "(keys from network)"},
		{KeysOrigin{Location: "https://a/jwks", From: "cache", AgeSeconds: &age}, false, "(keys from cache (fetched 2h ago; still fresh"},
		{KeysOrigin{Location: "https://a/jwks", From: "stale_cache", AgeSeconds: &age, StaleReason: "HTTP 503 Service Unavailable"}, true, "STALE cache (fetched 2h ago; asking the server again failed: HTTP 503 Service Unavailable)"},
	} {
		o := tc.origin
		v := &Verifier{Keys: StaticKeys{Keys: &KeySet{Set: set, Source: o.Location, Origin: &o}},
			Now: func() time.Time { return time.Unix(meta.Iat+1, 0) }}
		r := v.Verify(context.Background(), string(raw))
		if r.JWKS == nil || r.JWKS.From != o.From {
			t.Fatalf("%s: jwks %+v", o.From, r.JWKS)
		}
		if got := slices.Contains(warningCodes(r), WarnJWKSStale); got != tc.warn {
			t.Errorf("%s: warnings %v", o.From, warningCodes(r))
		}
		if !strings.Contains(r.Checks[2].Message, tc.inKeyMsg) {
			t.Errorf("%s: key check %q", o.From, r.Checks[2].Message)
		}
	}
}

// An RSA key over 16384 bits is refused by key selection, with its size in
// the reason, before any signature maths (issue 16.1: a 524,288-bit key
// took 25 s of CPU). The token's signature is as long as the modulus, so
// only the size check stands between the token and the maths.
func TestRSAKeyTooLargeIsUnusableForItsSize(t *testing.T) {
	const bits = 524288
	n := make([]byte, bits/8)
	for i := range n {
		n[i] = 0xa5
	}
	n[len(n)-1] |= 1
	e := []byte{0x7f, 0xff, 0xff, 0xff}
	doc := `{"keys":[{"kty":"RSA","kid":"big","alg":"RS256","use":"sig","n":"` + b64(n) + `","e":"` + b64(e) + `"}]}`
	set, err := jwks.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, bits/8)
	sig[0] = 1
	tok := b64([]byte(`{"alg":"RS256","kid":"big"}`)) + "." + b64([]byte(mustJSON(betterAuthClaims()))) + "." + b64(sig)
	r := verifyWith(t, set, pinned(), tok)
	p := r.Primary()
	if p == nil || p.Code != CodeKeyUnusable || !strings.Contains(p.Message, "RSA key of 524288 bits: over baverify's limit of 16384") {
		t.Fatalf("primary %+v", p)
	}
}

// Verification honours the run's context: once it has ended (Ctrl-C,
// a deadline) no signature is checked and the token is not VALID; the
// result says the run was stopped.
func TestVerifyHonoursAnEndedContext(t *testing.T) {
	k := keyFor(t, "RS256")
	tok := k.sign(t, betterAuthClaims())
	v := &Verifier{Policy: pinned(), Now: func() time.Time { return fixedNow },
		Keys: StaticKeys{Keys: &KeySet{Set: setOf(t, k.jwk()), Source: "test.json"}}}
	if r := v.Verify(context.Background(), tok); !r.Valid {
		t.Fatalf("the token does not verify at all: %v", codes(r))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := v.Verify(ctx, tok)
	p := r.Primary()
	if r.Valid || p == nil || p.Code != CodeUnverified || !strings.Contains(p.Message, "the run was stopped") || !errors.Is(r.SourceErr, context.Canceled) {
		t.Fatalf("valid %v, primary %+v, SourceErr %v", r.Valid, p, r.SourceErr)
	}
}

// Issue 19.6: an https --base-url against a plain-HTTP Better Auth made
// three errors (unverified, issuer_mismatch, audience_mismatch), each with
// its long hint, for one cause. It is one error with one hint; the iss and
// aud checks still fail, and a mismatch that is not the scheme alone stays.
func TestWrongProtocolIsSaidOnce(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	wp := &jwks.SourceError{Source: "https://127.0.0.1:3000/api/auth/jwks",
		Err: &httpclient.WrongProtocol{URL: "http://127.0.0.1:3000/api/auth/jwks"}}
	pol := Policy{Issuer: "https://127.0.0.1:3000", Audiences: []string{"https://127.0.0.1:3000"}}
	for _, tc := range []struct {
		iss  string
		want []Code
	}{
		{"http://127.0.0.1:3000", []Code{CodeUnverified}},
		{"http://127.0.0.1:4000", []Code{CodeUnverified, CodeIssuerMismatch, CodeAudienceMismatch}},
	} {
		tok := ed.sign(t, betterAuthClaims("iss", tc.iss, "aud", tc.iss))
		v := &Verifier{Policy: pol, Now: func() time.Time { return fixedNow }, Keys: failingKeys{err: wp}}
		r := v.Verify(context.Background(), tok)
		if got := codes(r); !slices.Equal(got, tc.want) {
			t.Fatalf("iss %s: errors %v, want %v", tc.iss, got, tc.want)
		}
		if len(tc.want) == 1 && !strings.Contains(r.Errors[0].Hint, "iss and aud") {
			t.Errorf("the one hint does not say that iss and aud follow: %q", r.Errors[0].Hint)
		}
		failed := 0
		for _, c := range r.Checks {
			if (c.Name == "iss" || c.Name == "aud") && c.Status == Fail {
				failed++
			}
		}
		if failed != 2 || r.Verdict != VerdictCouldNotCheck {
			t.Errorf("iss %s: %d iss/aud checks failed, verdict %s", tc.iss, failed, r.Verdict)
		}
	}
}
