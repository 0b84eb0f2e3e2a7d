package probe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/testenv"
	"github.com/baverify/baverify/internal/verify"
)

var realAlgs = []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"}

// realToken is a token captured from a real Better Auth 1.7.25, with the
// public key it verifies with.
type realToken struct {
	testenv.Real
	token string // without the file's newline
	key   jwks.Key
}

func loadReal(t testing.TB, alg string) realToken {
	t.Helper()
	rt := realToken{Real: testenv.LoadReal(t, alg)}
	rt.token = strings.TrimSpace(rt.Token)
	doc, err := jwks.ReadFile(rt.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(doc.Body)
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("want one key in %s: %v", rt.JWKSPath, err)
	}
	rt.key = set.Keys[0]
	return rt
}

// verifyReal checks a token as baverify token would, against the real
// token's JWKS, during the real token's lifetime.
func (rt realToken) verify(t testing.TB, token string) *verify.Result {
	t.Helper()
	at := rt.During()
	v := &verify.Verifier{Now: func() time.Time { return at },
		Keys:   &keysource.Reader{Name: rt.JWKSPath},
		Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}}}
	return v.Verify(context.Background(), token)
}

func byName(t *testing.T, cases []Case) map[string]Case {
	t.Helper()
	m := map[string]Case{}
	for _, c := range cases {
		if _, dup := m[c.Name]; dup {
			t.Fatalf("case %s twice", c.Name)
		}
		m[c.Name] = c
	}
	return m
}

// Every forgery is refused by baverify's own verifier for the reason it
// was built for, and the genuine token is not.
func TestForgeriesFailForTheirReason(t *testing.T) {
	t.Parallel()
	want := map[string]verify.Code{
		CaseSignatureTampered: verify.CodeSignature,
		CasePayloadTampered:   verify.CodeSignature,
		CaseAlgNone:           verify.CodeMalformed, // the empty signature is seen first
		CaseHMACPublicKey:     verify.CodeAlgNotAllowed,
		CaseEmbeddedJWK:       verify.CodeSignature,
	}
	for _, alg := range realAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			rt := loadReal(t, alg)
			cases, err := Forge(rt.token, rt.key.Public, nil)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, c := range cases {
				names = append(names, c.Name)
			}
			if got := strings.Join(names, " "); got != "genuine no_token malformed signature_tampered payload_tampered alg_none hmac_public_key embedded_jwk" {
				t.Fatalf("cases = %s", got)
			}
			m := byName(t, cases)
			if r := rt.verify(t, m[CaseGenuine].Token); !r.Valid {
				t.Fatalf("the genuine token does not verify: %+v", r.Errors)
			}
			if m[CaseNoToken].Authorization != "" || m[CaseMalformed].Authorization != "Bearer not-a-jwt" {
				t.Errorf("no_token %q, malformed %q", m[CaseNoToken].Authorization, m[CaseMalformed].Authorization)
			}
			for name, code := range want {
				c := m[name]
				if c.Skip != "" {
					t.Fatalf("%s skipped: %s", name, c.Skip)
				}
				if c.Authorization != "Bearer "+c.Token || c.Token == rt.token {
					t.Errorf("%s: Authorization %q, token unchanged: %v", name, c.Authorization, c.Token == rt.token)
				}
				r := rt.verify(t, c.Token)
				if r.Valid || r.Primary() == nil || r.Primary().Code != code {
					t.Errorf("%s: primary error %+v, want %s", name, r.Primary(), code)
				}
			}
		})
	}
}

// The forgeries are real attacks: each one passes the broken verifier it
// targets.
func TestForgeriesFoolTheVerifiersTheyTarget(t *testing.T) {
	t.Parallel()
	for _, alg := range realAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			rt := loadReal(t, alg)
			m := byName(t, mustForge(t, rt))
			gHeader, gClaims := decodeParts(t, rt.token)

			// payload_tampered: another sub, every other claim as it was.
			_, claims := decodeParts(t, m[CasePayloadTampered].Token)
			if claims["sub"] != ForgedSubject {
				t.Errorf("sub = %v", claims["sub"])
			}
			delete(claims, "sub")
			delete(gClaims, "sub")
			if a, b := mustJSON(t, claims), mustJSON(t, gClaims); a != b {
				t.Errorf("payload_tampered changed more than sub:\n%s\n%s", a, b)
			}

			// alg_none: the header says none and there is no signature.
			h, _ := decodeParts(t, m[CaseAlgNone].Token)
			if h["alg"] != "none" || h["kid"] != gHeader["kid"] || !strings.HasSuffix(m[CaseAlgNone].Token, ".") {
				t.Errorf("alg_none header %v, token %s", h, m[CaseAlgNone].Token)
			}

			// hmac_public_key: a valid HS256 MAC keyed with the PEM.
			pemKey, err := publicPEM(rt.key.Public)
			if err != nil {
				t.Fatal(err)
			}
			tok := m[CaseHMACPublicKey].Token
			i := strings.LastIndexByte(tok, '.')
			mac := hmac.New(sha256.New, pemKey)
			mac.Write([]byte(tok[:i]))
			if got := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != tok[i+1:] {
				t.Error("hmac_public_key: the MAC is not HS256 over the signing input with the PEM key")
			}
			if h, _ := decodeParts(t, tok); h["alg"] != "HS256" {
				t.Errorf("hmac_public_key alg = %v", h["alg"])
			}

			// embedded_jwk: verifies with the key in its own header.
			emb := m[CaseEmbeddedJWK].Token
			msg, err := jws.Parse([]byte(emb))
			if err != nil {
				t.Fatal(err)
			}
			embedded, ok := msg.Signatures()[0].ProtectedHeaders().JWK()
			if !ok {
				t.Fatal("embedded_jwk: no jwk in the header")
			}
			if _, ok := embedded.(jwk.Key); !ok {
				t.Fatal("embedded_jwk: the jwk member is not a key")
			}
			sigAlg, _ := jwa.LookupSignatureAlgorithm(alg)
			if _, err := jws.Verify([]byte(emb), jws.WithKey(sigAlg, embedded)); err != nil {
				t.Errorf("embedded_jwk does not verify with its own key: %v", err)
			}
		})
	}
}

func TestForgeWithoutTheKeySkipsHMAC(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	cases, err := Forge(rt.token, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := byName(t, cases)
	if c := m[CaseHMACPublicKey]; c.Skip == "" || c.Authorization != "" {
		t.Errorf("hmac_public_key without a key: %+v", c)
	}
	if c := m[CaseEmbeddedJWK]; c.Skip != "" {
		t.Errorf("embedded_jwk needs no key of the backend's: %+v", c)
	}
}

func TestForgeRefusesWhatIsNotAToken(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "abc", "a.b", "e30.e30.e30.e30.e30", "!!.??.x"} {
		if _, err := Forge(in, nil, nil); err == nil {
			t.Errorf("Forge(%q) = nil error", in)
		}
	}
}

// An alg the probe cannot make a key for still gets every other case.
func TestForgeUnknownAlg(t *testing.T) {
	t.Parallel()
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"ES256K","kid":"k"}`)) + "." + enc([]byte(`{"sub":"u"}`)) + "." + enc([]byte("sig"))
	m := byName(t, mustForgeToken(t, tok))
	if m[CaseEmbeddedJWK].Skip == "" {
		t.Error("embedded_jwk for ES256K should be skipped")
	}
	if m[CaseAlgNone].Skip != "" || m[CasePayloadTampered].Skip != "" {
		t.Error("cases that need no key were skipped")
	}
}

func FuzzForge(f *testing.F) {
	rt := loadReal(f, "EdDSA")
	f.Add(rt.token)
	f.Add("e30.e30.")
	f.Add(`eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.AAAA`)
	f.Fuzz(func(t *testing.T, token string) {
		cases, err := Forge(token, nil, strings.NewReader(strings.Repeat("x", 64)))
		if err != nil {
			return
		}
		for _, c := range cases {
			if strings.ContainsAny(c.Authorization, "\r\n\x00") {
				t.Fatalf("%s: header value %q", c.Name, c.Authorization)
			}
		}
	})
}

func mustForge(t *testing.T, rt realToken) []Case {
	t.Helper()
	cases, err := Forge(rt.token, rt.key.Public, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func mustForgeToken(t *testing.T, tok string) []Case {
	t.Helper()
	cases, err := Forge(tok, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func decodeParts(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
