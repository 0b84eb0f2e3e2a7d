package probe

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strconv"
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

// forgeReal forges every case from a real token, with its key and JWK,
// and an attacker listener URL.
func forgeReal(t *testing.T, rt realToken) ([]Case, *Attacker) {
	t.Helper()
	a, err := NewAttacker(rt.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Forge(Inputs{Token: rt.token, Key: rt.key.Public, JWK: rt.key.Raw, Attacker: a,
		AttackerURL: "http://127.0.0.1:9/evil", Deployment: map[Kind]DeploymentToken{
			KindExpired: {Token: "e30.e30.ZXhwaXJlZA"}, KindOtherAudience: {Token: "e30.e30.b3RoZXI"}}})
	if err != nil {
		t.Fatal(err)
	}
	return cases, a
}

const allCases = "genuine no_token malformed signature_tampered signature_stripped payload_tampered " +
	"alg_none alg_none_title alg_none_upper alg_none_mixed " +
	"hmac_public_key hmac_public_key_hs384 hmac_public_key_hs512 hmac_public_key_no_newline hmac_public_key_no_newline_hs384 hmac_public_key_no_newline_hs512 hmac_jwk_json hmac_raw_key " +
	"hmac_weak_secret unknown_kid kid_blank kid_path_traversal kid_sql_injection kid_command_injection kid_url " +
	"embedded_jwk x5c_header jku_header x5u_header iss_discovery url_injection psychic_signature " +
	"alg_other_family claim_type_confusion header_type_confusion " +
	"expired_token not_yet_valid_token other_audience_token other_issuer_token"

// Every forgery is refused by baverify's own verifier for the reason it
// was built for, and the genuine token is not.
func TestForgeriesFailForTheirReason(t *testing.T) {
	t.Parallel()
	for _, alg := range realAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			rt := loadReal(t, alg)
			cases, _ := forgeReal(t, rt)
			var names []string
			for _, c := range cases {
				names = append(names, c.Name)
			}
			if got := strings.Join(names, " "); got != allCases {
				t.Fatalf("cases = %s", got)
			}
			m := byName(t, cases)
			if r := rt.verify(t, m[CaseGenuine].Token); !r.Valid {
				t.Fatalf("the genuine token does not verify: %+v", r.Errors)
			}
			if m[CaseNoToken].Authorization != "" || m[CaseMalformed].Authorization != "Bearer not-a-jwt" {
				t.Errorf("no_token %q, malformed %q", m[CaseNoToken].Authorization, m[CaseMalformed].Authorization)
			}
			for _, c := range cases {
				if c.Genuine || c.Name == CaseNoToken || c.Name == CaseMalformed || c.NotApplicable != "" ||
					c.Name == CaseExpiredToken || c.Name == CaseOtherAudience || c.Name == CaseNotYetValid || c.Name == CaseOtherIssuer {
					continue
				}
				if c.NotTested != "" {
					t.Fatalf("%s not tested: %s", c.Name, c.NotTested)
				}
				if len(c.Variants) > 0 {
					for _, v := range c.Variants {
						if v.Token == rt.token || strings.ContainsAny(v.Token, "\r\n ") {
							t.Errorf("%s %s: %q", c.Name, v.Label, v.Token)
						}
						if r := rt.verify(t, v.Token); r.Valid {
							t.Errorf("%s %s: baverify's own verifier accepts it", c.Name, v.Label)
						}
					}
					continue
				}
				if c.Authorization != "Bearer "+c.Token || c.Token == rt.token {
					t.Errorf("%s: Authorization %q, token unchanged: %v", c.Name, c.Authorization, c.Token == rt.token)
				}
				if r := rt.verify(t, c.Token); r.Valid {
					t.Errorf("%s: baverify's own verifier accepts it", c.Name)
				}
			}
		})
	}
}

// Each forgery changes exactly what it says it changes: the header and
// claim members listed, and the signature as the attack computes it;
// every other member keeps its bytes.
func TestEachForgeryChangesOnlyWhatItSays(t *testing.T) {
	t.Parallel()
	for _, alg := range realAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			rt := loadReal(t, alg)
			cases, a := forgeReal(t, rt)
			m := byName(t, cases)
			gParts := strings.Split(rt.token, ".")
			gHeader, gClaims := decodeParts(t, rt.token)
			pemKey, err := PublicPEM(rt.key.Public)
			if err != nil || !strings.HasSuffix(string(pemKey), "-----END PUBLIC KEY-----\n") {
				t.Fatalf("PEM: %v %q", err, pemKey)
			}
			raw, err := RawPublicKey(rt.key.Public)
			if err != nil {
				t.Fatal(err)
			}
			wantRawLen := map[string]int{"EdDSA": 32, "ES256": 65, "ES512": 133}[alg]
			if wantRawLen != 0 && len(raw) != wantRawLen || (raw[0] != 0x04 && strings.HasPrefix(alg, "ES")) {
				t.Errorf("raw key: %d bytes", len(raw))
			}
			hs := func(alg string, key []byte) func(string) bool {
				return func(tok string) bool {
					i := strings.LastIndexByte(tok, '.')
					mac := hmac.New(hmacHash(alg), key)
					mac.Write([]byte(tok[:i]))
					return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) == tok[i+1:]
				}
			}
			empty := func(tok string) bool { return strings.HasSuffix(tok, ".") }
			byAttacker := func(tok string) bool {
				sigAlg, _ := jwa.LookupSignatureAlgorithm(alg)
				k, err := jwk.Import(a.Public())
				if err != nil {
					t.Fatal(err)
				}
				_, err = jws.Verify([]byte(tok), jws.WithKey(sigAlg, k))
				return err == nil
			}
			base := "http://127.0.0.1:9/evil"
			for _, tc := range []struct {
				name   string
				header map[string]any // members set (nil value: removed)
				claims map[string]any
				sig    func(tok string) bool
				// sameSigningInput: header and payload segments are the genuine bytes.
				sameSigningInput bool
			}{
				{name: CaseSignatureTampered, sameSigningInput: true, sig: func(tok string) bool {
					s, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[2])
					g, _ := base64.RawURLEncoding.DecodeString(gParts[2])
					diff := 0
					for i := range s {
						for x := s[i] ^ g[i]; x != 0; x &= x - 1 {
							diff++
						}
					}
					return len(s) == len(g) && diff == 1
				}},
				{name: CaseSignatureStripped, sameSigningInput: true, sig: empty},
				{name: CasePayloadTampered, claims: map[string]any{"sub": ForgedSubject},
					sig: func(tok string) bool { return strings.Split(tok, ".")[2] == gParts[2] }},
				{name: CaseAlgNone, header: map[string]any{"alg": "none"}, sig: empty},
				{name: CaseAlgNoneTitle, header: map[string]any{"alg": "None"}, sig: empty},
				{name: CaseAlgNoneUpper, header: map[string]any{"alg": "NONE"}, sig: empty},
				{name: CaseAlgNoneMixed, header: map[string]any{"alg": "nOnE"}, sig: empty},
				{name: CaseHMACPublicKey, header: map[string]any{"alg": "HS256"}, sig: hs("HS256", pemKey)},
				{name: CaseHMACPublicKeyHS384, header: map[string]any{"alg": "HS384"}, sig: hs("HS384", pemKey)},
				{name: CaseHMACPublicKeyHS512, header: map[string]any{"alg": "HS512"}, sig: hs("HS512", pemKey)},
				{name: CaseHMACPublicKeyNoNewline, header: map[string]any{"alg": "HS256"}, sig: hs("HS256", pemKey[:len(pemKey)-1])},
				{name: CaseHMACPublicKeyNoNewline384, header: map[string]any{"alg": "HS384"}, sig: hs("HS384", pemKey[:len(pemKey)-1])},
				{name: CaseHMACPublicKeyNoNewline512, header: map[string]any{"alg": "HS512"}, sig: hs("HS512", pemKey[:len(pemKey)-1])},
				{name: CaseHMACJWK, header: map[string]any{"alg": "HS256"}, sig: hs("HS256", rt.key.Raw)},
				{name: CaseHMACRawKey, header: map[string]any{"alg": "HS256"}, sig: hs("HS256", raw)},
				{name: CaseKidBlank, header: map[string]any{"alg": "HS256", "kid": ""}, sig: hs("HS256", nil)},
				{name: CaseKidPathTraversal, header: map[string]any{"alg": "HS256", "kid": KidPathTraversal}, sig: hs("HS256", nil)},
				{name: CaseKidSQLInjection, header: map[string]any{"alg": "HS256", "kid": KidSQLInjection}, sig: hs("HS256", []byte(KidSQLKey))},
				{name: CaseEmbeddedJWK, header: map[string]any{"jwk": a.PublicJWK()}, sig: byAttacker},
				{name: CaseX5C, header: map[string]any{"x5c": []any{base64.StdEncoding.EncodeToString(a.CertDER)}}, sig: byAttacker},
				{name: CaseKidURL, header: map[string]any{"kid": base + "/kid_url/jwks.json"}, sig: byAttacker},
				{name: CaseJKU, header: map[string]any{"jku": base + "/jku_header/jwks.json"}, sig: byAttacker},
				{name: CaseX5U, header: map[string]any{"x5u": base + "/x5u_header/cert.pem"}, sig: byAttacker},
				{name: CaseIssDiscovery, claims: map[string]any{"iss": base + "/iss_discovery"}, sig: byAttacker},
			} {
				c := m[tc.name]
				parts := strings.Split(c.Token, ".")
				if len(parts) != 3 {
					t.Errorf("%s: %d segments", tc.name, len(parts))
					continue
				}
				h, cl := decodeParts(t, c.Token)
				checkChanged(t, tc.name+" header", gHeader, h, tc.header)
				checkChanged(t, tc.name+" claims", gClaims, cl, tc.claims)
				if tc.sameSigningInput && (parts[0] != gParts[0] || parts[1] != gParts[1]) {
					t.Errorf("%s: header or payload bytes changed", tc.name)
				}
				if tc.claims == nil && parts[1] != gParts[1] {
					t.Errorf("%s: payload bytes changed", tc.name)
				}
				if !tc.sig(c.Token) {
					t.Errorf("%s: the signature is not what the attack makes", tc.name)
				}
			}

			// unknown_kid: the attacker's signature under a random kid
			// the JWKS does not have; nothing else changed.
			u := m[CaseUnknownKid]
			uh, uc := decodeParts(t, u.Token)
			if kid, _ := uh["kid"].(string); !strings.HasPrefix(kid, "baverify-probe-unknown-") || len(kid) != len("baverify-probe-unknown-")+16 || kid == rt.key.Kid {
				t.Errorf("unknown_kid: kid %q", uh["kid"])
			}
			checkChanged(t, "unknown_kid header", gHeader, uh, map[string]any{"kid": uh["kid"]})
			checkChanged(t, "unknown_kid claims", gClaims, uc, nil)
			if !byAttacker(u.Token) {
				t.Error("unknown_kid: not signed by the attacker key")
			}
			// x5c: the certificate is self-signed, of the attacker key.
			xh, _ := decodeParts(t, m[CaseX5C].Token)
			der, _ := base64.StdEncoding.DecodeString(xh["x5c"].([]any)[0].(string))
			if cert, err := x509.ParseCertificate(der); err != nil || cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil || !publicEqual(cert.PublicKey, a.Public()) {
				t.Errorf("x5c certificate: %v", err)
			}

			// hmac_weak_secret: every secret with HS256, HS384 and HS512,
			// the genuine kid and payload, "" and "secret" first.
			w := m[CaseHMACWeakSecret]
			if len(w.Variants) != 3*len(WeakSecrets()) || w.Variants[0].Label != `HS256, secret ""` || w.Variants[3].Label != `HS256, secret "secret"` {
				t.Fatalf("hmac_weak_secret: %d variants, first %q", len(w.Variants), w.Variants[0].Label)
			}
			for i, v := range w.Variants {
				alg := []string{"HS256", "HS384", "HS512"}[i%3]
				h, cl := decodeParts(t, v.Token)
				checkChanged(t, "hmac_weak_secret header", gHeader, h, map[string]any{"alg": alg})
				checkChanged(t, "hmac_weak_secret claims", gClaims, cl, nil)
				if !hs(alg, []byte(WeakSecrets()[i/3]))(v.Token) {
					t.Errorf("hmac_weak_secret %s: not keyed with the secret", v.Label)
				}
			}

			// kid_command_injection: each payload runs curl against its own
			// listener URL, HS256 keyed as kid_sql_injection.
			ci := m[CaseKidCommandInjection]
			if len(ci.Variants) != 4 {
				t.Fatalf("kid_command_injection: %d variants", len(ci.Variants))
			}
			for i, v := range ci.Variants {
				h, _ := decodeParts(t, v.Token)
				kid, _ := h["kid"].(string)
				if !strings.Contains(kid, "curl -s "+base+"/kid_command_injection/"+string(rune('1'+i))) || !strings.ContainsAny(kid, "|;$`") {
					t.Errorf("kid_command_injection %d: kid %q", i, kid)
				}
				checkChanged(t, "kid_command_injection header", gHeader, h, map[string]any{"alg": "HS256", "kid": kid})
				if !hs("HS256", []byte(KidSQLKey))(v.Token) {
					t.Errorf("kid_command_injection %d: signature", i)
				}
			}

			// alg_other_family: the genuine kid under each alg of another
			// family, a signature of that alg's length.
			var others []string
			for _, v := range m[CaseAlgOtherFamily].Variants {
				p := strings.Split(v.Token, ".")
				h, _ := decodeParts(t, v.Token)
				sig, _ := base64.RawURLEncoding.DecodeString(p[2])
				checkChanged(t, "alg_other_family header", gHeader, h, map[string]any{"alg": h["alg"]})
				if p[1] != gParts[1] || len(sig) != map[string]int{"RS256": 256, "ES256": 64, "EdDSA": 64}[h["alg"].(string)] {
					t.Errorf("alg_other_family %s: payload changed or %d-byte signature", v.Label, len(sig))
				}
				others = append(others, h["alg"].(string))
			}
			wantOthers := map[string]string{"EdDSA": "RS256 ES256", "ES256": "RS256 EdDSA", "ES512": "RS256 EdDSA", "RS256": "ES256 EdDSA", "PS256": "ES256 EdDSA"}[alg]
			if strings.Join(others, " ") != wantOthers {
				t.Errorf("alg_other_family: %v, want %s", others, wantOthers)
			}

			// url_injection: each header member and claim in turn set to
			// its own listener URL, the rest and the signature unchanged.
			ui := m[CaseURLInjection]
			if len(ui.Variants) != len(gHeader)+len(gClaims) {
				t.Fatalf("url_injection: %d variants for %d members", len(ui.Variants), len(gHeader)+len(gClaims))
			}
			for _, v := range ui.Variants {
				part, quoted, _ := strings.Cut(v.Label, " ")
				name, _ := strconv.Unquote(quoted)
				h, cl := decodeParts(t, v.Token)
				want := base + "/url_injection/" + part + "-" + name
				if part == "header" {
					checkChanged(t, v.Label, gHeader, h, map[string]any{name: want})
					checkChanged(t, v.Label, gClaims, cl, nil)
				} else {
					checkChanged(t, v.Label, gClaims, cl, map[string]any{name: want})
					checkChanged(t, v.Label, gHeader, h, nil)
				}
				if strings.Split(v.Token, ".")[2] != gParts[2] {
					t.Errorf("%s: signature changed", v.Label)
				}
			}

			// The type confusions: one member of another type each (null
			// kept as null), under the genuine signature.
			for _, c := range []Case{m[CaseClaimTypes], m[CaseHeaderTypes]} {
				if len(c.Variants) != 9 {
					t.Fatalf("%s: %d variants", c.Name, len(c.Variants))
				}
				for _, v := range c.Variants {
					p := strings.Split(v.Token, ".")
					if p[2] != gParts[2] {
						t.Errorf("%s %s: signature changed", c.Name, v.Label)
					}
					seg, other := p[1], p[0]
					if c.Name == CaseHeaderTypes {
						seg, other = p[0], p[1]
					}
					if other != map[bool]string{true: gParts[0], false: gParts[1]}[c.Name == CaseClaimTypes] {
						t.Errorf("%s %s: the other segment changed", c.Name, v.Label)
					}
					raw, _ := base64.RawURLEncoding.DecodeString(seg)
					name, val, _ := strings.Cut(v.Label, " ")
					if name == "payload" {
						if string(raw) != val {
							t.Errorf("%s: payload %s", v.Label, raw)
						}
						continue
					}
					var got map[string]json.RawMessage
					if err := json.Unmarshal(raw, &got); err != nil {
						t.Fatalf("%s: %v", v.Label, err)
					}
					want := map[string]string{"null": "null", "true": "true", "false": "false", "0": "0", "{}": "{}", `"x"`: `"x"`, `"9999999999"`: `"9999999999"`, "[iss]": "[" + mustJSON(t, gClaims["iss"]) + "]"}[val]
					if string(got[name]) != want {
						t.Errorf("%s: %s is %s, want %s", v.Label, name, got[name], want)
					}
				}
			}

			// The psychic signature: r = s = 0 at the curve's length, for
			// ECDSA tokens only.
			p := m[CasePsychicSignature]
			if !strings.HasPrefix(alg, "ES") {
				if p.NotApplicable == "" || p.Token != "" {
					t.Errorf("psychic_signature for %s: %+v", alg, p)
				}
			} else {
				parts := strings.Split(p.Token, ".")
				sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
				want := map[string]int{"ES256": 64, "ES512": 132}[alg]
				if parts[0] != gParts[0] || parts[1] != gParts[1] || len(sig) != want || strings.Trim(string(sig), "\x00") != "" {
					t.Errorf("psychic_signature: %d-byte signature %x", len(sig), sig)
				}
			}
			if m[CaseExpiredToken].Token != "e30.e30.ZXhwaXJlZA" || m[CaseOtherAudience].Token != "e30.e30.b3RoZXI" {
				t.Error("the deployment's tokens are not sent as given")
			}
		})
	}
}

func publicEqual(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// checkChanged fails unless got is want with exactly the members of set
// changed (a nil value: removed).
func checkChanged(t *testing.T, what string, want, got, set map[string]any) {
	t.Helper()
	exp := map[string]any{}
	for k, v := range want {
		exp[k] = v
	}
	for k, v := range set {
		if v == nil {
			delete(exp, k)
		} else {
			exp[k] = v
		}
	}
	if a, b := mustJSON(t, exp), mustJSON(t, got); a != b {
		t.Errorf("%s:\n got %s\nwant %s", what, b, a)
	}
}

// The attacker listener serves the attacker key as a JWKS (under the
// genuine kid) and as a certificate, and records every request.
func TestListener(t *testing.T) {
	t.Parallel()
	rt, a, l := startTestListener(t, "ES256")
	defer l.Close()
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", l.Base()+path, nil)
		req.Header.Set("User-Agent", "test-agent")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	set, err := jwks.Parse(get(PathJKU))
	if err != nil || len(set.Keys) != 1 || set.Keys[0].Kid != rt.key.Kid || set.Keys[0].Err != nil {
		t.Fatalf("JWKS: %v %+v", err, set)
	}
	block, _ := pem.Decode(get(PathX5U))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !cert.PublicKey.(*ecdsa.PublicKey).Equal(a.Public()) {
		t.Fatalf("certificate: %v", err)
	}
	get(PathIssJWKS)
	get("/elsewhere")
	get(PathURLInjection + "/claim-image")
	// kid_url serves the key under the URL that is its kid.
	kidSet, err := jwks.Parse(get(PathKidURL))
	if err != nil || len(kidSet.Keys) != 1 || kidSet.Keys[0].Kid != l.Base()+PathKidURL {
		t.Fatalf("kid_url JWKS: %v %+v", err, kidSet)
	}
	// Without the run's secret: not recorded, only counted.
	if resp, err := http.Get(l.URL + PathJKU); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a path without the secret: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	if l.Foreign() != 1 {
		t.Errorf("foreign requests: %d", l.Foreign())
	}
	fetches, _ := l.Fetches()
	var got []string
	for _, f := range fetches {
		got = append(got, f.Case+" "+f.Path+" "+f.UserAgent)
	}
	if want := "jku_header /jku_header/jwks.json test-agent|x5u_header /x5u_header/cert.pem test-agent|iss_discovery /iss_discovery/api/auth/jwks test-agent| /elsewhere test-agent|url_injection /url_injection/claim-image test-agent|kid_url /kid_url/jwks.json test-agent"; strings.Join(got, "|") != want {
		t.Errorf("fetches:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

func TestForgeWithoutTheKeyOrListener(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	cases, err := Forge(Inputs{Token: rt.token, AttackerSkip: "no listener"})
	if err != nil {
		t.Fatal(err)
	}
	m := byName(t, cases)
	for _, name := range []string{CaseHMACPublicKey, CaseHMACJWK, CaseHMACRawKey} {
		if c := m[name]; c.NotTested == "" || c.Authorization != "" || c.EnabledBy != "--base-url or --jwks" {
			t.Errorf("%s without a key: %+v", name, c)
		}
	}
	for _, name := range []string{CaseJKU, CaseX5U, CaseIssDiscovery} {
		if c := m[name]; c.NotTested != "no listener" || c.Authorization != "" || c.EnabledBy != "--attacker-url" {
			t.Errorf("%s without a listener: %+v", name, c)
		}
	}
	if c := m[CaseExpiredToken]; c.NotTested == "" || c.EnabledBy != "--expired-token" {
		t.Errorf("expired_token: %+v", c)
	}
	if c := m[CaseEmbeddedJWK]; c.NotTested != "" {
		t.Errorf("embedded_jwk needs no key of the backend's: %+v", c)
	}
}

func TestForgeRefusesWhatIsNotAToken(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "abc", "a.b", "e30.e30.e30.e30.e30", "!!.??.x"} {
		if _, err := Forge(Inputs{Token: in}); err == nil {
			t.Errorf("Forge(%q) = nil error", in)
		}
	}
}

// An alg the probe cannot make a key for still gets every other case.
func TestForgeUnknownAlg(t *testing.T) {
	t.Parallel()
	tok := enc([]byte(`{"alg":"ES256K","kid":"k"}`)) + "." + enc([]byte(`{"sub":"u"}`)) + "." + enc([]byte("sig"))
	m := byName(t, mustForgeToken(t, tok))
	if m[CaseEmbeddedJWK].NotTested == "" || m[CaseJKU].NotTested == "" {
		t.Error("embedded_jwk and jku_header for ES256K should not be tested")
	}
	if m[CaseAlgNone].NotTested != "" || m[CasePayloadTampered].NotTested != "" {
		t.Error("cases that need no key were not tested")
	}
}

func FuzzForge(f *testing.F) {
	rt := loadReal(f, "EdDSA")
	f.Add(rt.token)
	f.Add("e30.e30.")
	f.Add(`eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.AAAA`)
	f.Fuzz(func(t *testing.T, token string) {
		cases, err := Forge(Inputs{Token: token, AttackerURL: "http://127.0.0.1:1", Random: strings.NewReader(strings.Repeat("x", 4096))})
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
	cases, _ := forgeReal(t, rt)
	return cases
}

func mustForgeToken(t *testing.T, tok string) []Case {
	t.Helper()
	cases, err := Forge(Inputs{Token: tok})
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

// --hmac-secrets: the extra secrets follow the built-in ones, each with
// the three algorithms, named by their label only.
func TestForgeExtraSecrets(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	cases, err := Forge(Inputs{Token: rt.token, AttackerSkip: "x", Secrets: []Secret{{Value: []byte("hunter2"), Label: "line 2 of --hmac-secrets"}}})
	if err != nil {
		t.Fatal(err)
	}
	w := byName(t, cases)[CaseHMACWeakSecret]
	n := 3 * len(WeakSecrets())
	if len(w.Variants) != n+3 || w.Variants[n+2].Label != "HS512, secret line 2 of --hmac-secrets" || strings.Contains(w.Variants[n].Label, "hunter2") {
		t.Fatalf("%d variants, last %q", len(w.Variants), w.Variants[len(w.Variants)-1].Label)
	}
	i := strings.LastIndexByte(w.Variants[n].Token, '.')
	mac := hmac.New(hmacHash("HS256"), []byte("hunter2"))
	mac.Write([]byte(w.Variants[n].Token[:i]))
	if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != w.Variants[n].Token[i+1:] {
		t.Error("not keyed with the extra secret")
	}
}
