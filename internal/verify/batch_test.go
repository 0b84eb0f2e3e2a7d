package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// batchPair is a batch with the fast path and one without, over the same
// keys and policy: every token must get the same outcome from both.
type batchPair struct {
	fast, full *Batch
}

func newBatchPair(t testing.TB, pol Policy, keys ...*testKey) batchPair {
	t.Helper()
	var jwks []map[string]any
	for _, k := range keys {
		jwks = append(jwks, k.jwk())
	}
	set := setOf(t, jwks...)
	mk := func() *Batch {
		v := &Verifier{Keys: StaticKeys{Keys: &KeySet{Set: set, Source: "test.json"}}, Policy: pol,
			Now: func() time.Time { return fixedNow }}
		b, err := NewBatch(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := batchPair{fast: mk(), full: mk()}
	p.full.fastOff = true
	return p
}

// check compares the two paths on one token and reports whether the fast
// path decided it alone.
func (p batchPair) check(t testing.TB, token string) (Outcome, bool) {
	t.Helper()
	var sc Scratch
	var got, want Outcome
	p.fast.Check(context.Background(), []byte(token), &sc, &got)
	p.full.Check(context.Background(), []byte(token), &sc, &want)
	if !reflect.DeepEqual(normal(got), normal(want)) {
		t.Fatalf("token %q:\nfast path %+v\npipeline  %+v", token, got, want)
	}
	// The full pipeline, as `token` runs it, gives the same verdict.
	r := p.full.v.Verify(context.Background(), token)
	if r.Valid != want.Valid || !reflect.DeepEqual(codes(r), outcomeCodes(want)) {
		t.Fatalf("token %q: batch %+v, Verify %v %v", token, want, r.Valid, codes(r))
	}
	fastOnly := got.Valid && p.fast.fast([]byte(token), &Scratch{}, &Outcome{})
	return got, fastOnly
}

func normal(o Outcome) Outcome {
	if len(o.Errors) == 0 {
		o.Errors = nil
	}
	if len(o.Aud) == 0 {
		o.Aud = nil
	}
	return o
}

func outcomeCodes(o Outcome) []Code {
	out := []Code{}
	for _, e := range o.Errors {
		out = append(out, e.Code)
	}
	return out
}

// TestBatchFastPathMatchesPipeline: valid tokens are decided by the fast
// path; everything else gets exactly the pipeline's outcome.
func TestBatchFastPathMatchesPipeline(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "PS256", "RS512"} {
		t.Run(alg, func(t *testing.T) {
			k := keyFor(t, alg)
			other := &testKey{alg: alg, kid: "rotated", priv: k.priv}
			p := newBatchPair(t, pinned(), k)
			valid := k.sign(t, betterAuthClaims())
			parts := strings.Split(valid, ".")
			hdr := `{"alg":"` + alg + `","kid":"` + k.kid + `"}`
			payload := func(kv ...any) string {
				b, _ := json.Marshal(betterAuthClaims(kv...))
				return string(b)
			}
			fastCases := map[string]string{
				"valid":              valid,
				"typ JWT":            k.signRaw(t, `{"alg":"`+alg+`","kid":"`+k.kid+`","typ":"JWT"}`, payload()),
				"aud array":          k.sign(t, betterAuthClaims("aud", []string{"https://other", testIssuer})),
				"spaces in the JSON": k.signRaw(t, "{ \"alg\" : \""+alg+"\" ,\n \"kid\":\""+k.kid+"\"\t}", payload()),
				"nested objects":     k.sign(t, betterAuthClaims("user", map[string]any{"a": []any{1, "x\"}", map[string]any{"b": nil}}})),
			}
			for name, tok := range fastCases {
				if _, fast := p.check(t, tok); !fast {
					t.Errorf("%s: not decided by the fast path", name)
				}
			}
			slowCases := map[string]string{
				"tampered payload":     parts[0] + "." + b64([]byte(payload("sub", "mallory"))) + "." + parts[2],
				"tampered signature":   parts[0] + "." + parts[1] + "." + b64(flip(mustB64(t, parts[2]))),
				"short signature":      parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4],
				"expired":              k.sign(t, betterAuthClaims("exp", testNow)),
				"exp fractional":       k.sign(t, betterAuthClaims("exp", float64(testNow)+0.5)),
				"exp string":           k.sign(t, betterAuthClaims("exp", "1795708886")),
				"no exp":               k.sign(t, betterAuthClaims("exp", nil)),
				"nbf future":           k.sign(t, betterAuthClaims("nbf", testNow+10)),
				"iat future":           k.sign(t, betterAuthClaims("iat", testNow+1)),
				"wrong aud":            k.sign(t, betterAuthClaims("aud", "https://api.example.com")),
				"aud number":           k.sign(t, betterAuthClaims("aud", 7)),
				"aud null":             k.sign(t, betterAuthClaims("aud", json.RawMessage("null"))),
				"aud with null":        k.sign(t, betterAuthClaims("aud", []any{testIssuer, nil})),
				"wrong iss":            k.sign(t, betterAuthClaims("iss", "https://evil.example.com")),
				"iss number":           k.sign(t, betterAuthClaims("iss", 1)),
				"no iss":               k.sign(t, betterAuthClaims("iss", nil)),
				"sub number":           k.sign(t, betterAuthClaims("sub", 1)),
				"escaped iss":          k.signRaw(t, hdr, strings.Replace(payload(), `"iss":"https:`, `"iss":"https\u003a`, 1)),
				"unknown kid":          other.sign(t, betterAuthClaims()),
				"no kid":               k.signRaw(t, `{"alg":"`+alg+`"}`, payload()),
				"kid number":           k.signRaw(t, `{"alg":"`+alg+`","kid":1}`, payload()),
				"escaped kid":          k.signRaw(t, `{"alg":"`+alg+`","kid":"kid\u002d`+alg+`"}`, payload()),
				"crit":                 k.signRaw(t, `{"alg":"`+alg+`","kid":"`+k.kid+`","crit":["exp"]}`, payload()),
				"jku":                  k.signRaw(t, `{"alg":"`+alg+`","kid":"`+k.kid+`","jku":"https://evil"}`, payload()),
				"duplicate alg":        k.signRaw(t, `{"alg":"`+alg+`","alg":"`+alg+`","kid":"`+k.kid+`"}`, payload()),
				"duplicate exp":        k.signRaw(t, hdr, strings.TrimSuffix(payload(), "}")+`,"exp":1}`),
				"escaped duplicate":    k.signRaw(t, hdr, strings.TrimSuffix(payload(), "}")+`,"\u0065xp":1}`),
				"alg none":             b64([]byte(`{"alg":"none","kid":"`+k.kid+`"}`)) + "." + parts[1] + ".",
				"alg HS256":            b64([]byte(`{"alg":"HS256","kid":"`+k.kid+`"}`)) + "." + parts[1] + "." + parts[2],
				"payload array":        k.signRaw(t, hdr, `[1,2]`),
				"payload not JSON":     k.signRaw(t, hdr, `{"exp":}`),
				"trailing data":        k.signRaw(t, hdr, payload()+`{}`),
				"space around":         k.signRaw(t, " "+hdr+" ", payload()),
				"invalid UTF-8":        k.signRaw(t, hdr, strings.Replace(payload(), "Alice", "Al\xffce", 1)),
				"padded":               valid + "==",
				"standard base64":      parts[0] + "." + parts[1] + ".+" + parts[2][1:],
				"four segments":        valid + ".x",
				"JWE":                  "a.b.c.d.e",
				"garbage":              "not a token",
				"empty signature":      parts[0] + "." + parts[1] + ".",
				"empty header":         "." + parts[1] + "." + parts[2],
				"non-zero pad bits":    parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + "z",
				"control char in JSON": k.signRaw(t, hdr, strings.Replace(payload(), "Alice", "Al\x01ce", 1)),
			}
			for name, tok := range slowCases {
				if got, fast := p.check(t, tok); fast {
					t.Errorf("%s: decided by the fast path (%+v)", name, got)
				}
			}
		})
	}
}

// The policy's other knobs: leeway, --require, an unpinned issuer and
// audience, and a restricted algorithm list.
func TestBatchFastPathPolicies(t *testing.T) {
	k := keyFor(t, "EdDSA")
	expSoon := k.sign(t, betterAuthClaims("exp", testNow))
	for _, tc := range []struct {
		name  string
		pol   Policy
		token string
		fast  bool
	}{
		{"leeway keeps an expired token", Policy{Issuer: testIssuer, Audiences: []string{testIssuer}, Leeway: 5 * time.Second}, expSoon, true},
		{"exp equal to now is expired", pinned(), expSoon, false},
		{"required claim present", Policy{Require: []string{"email"}}, k.sign(t, betterAuthClaims()), true},
		{"required claim missing", Policy{Require: []string{"role"}}, k.sign(t, betterAuthClaims()), false},
		{"nothing pinned", Policy{}, k.sign(t, betterAuthClaims("aud", 7)), false},
		{"nothing pinned, plain token", Policy{}, k.sign(t, betterAuthClaims()), true},
		{"alg not in the list", Policy{Algorithms: []string{"ES256"}}, k.sign(t, betterAuthClaims()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newBatchPair(t, tc.pol, k)
			if _, fast := p.check(t, tc.token); fast != tc.fast {
				t.Fatalf("fast = %v, want %v", fast, tc.fast)
			}
		})
	}
}

// A JWKS whose key cannot be selected (two keys share the kid) is never
// used by the fast path.
func TestBatchFastPathDuplicateKid(t *testing.T) {
	k := keyFor(t, "EdDSA")
	p := newBatchPair(t, pinned(), k, k)
	if out, fast := p.check(t, k.sign(t, betterAuthClaims())); fast || out.Valid {
		t.Fatalf("fast %v, %+v", fast, out)
	}
}

func FuzzBatchFastPath(f *testing.F) {
	k := keyFor(f, "EdDSA")
	f.Add(`{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1795708886,"iss":"https://app.example.com","aud":"https://app.example.com"}`, true, "")
	f.Add(`{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1795708886,"iss":"https://app.example.com","aud":["x","https://app.example.com"],"sub":"a"}`, true, "")
	f.Add(`{"alg":"EdDSA","kid":"kid-EdDSA","typ":"JWT"}`, `{"exp":1.5e9,"nbf":1,"iat":17957079}`, true, "")
	f.Add(`{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1795708886,"exp":1}`, false, "")
	f.Add("", "", false, "eyJhbGciOiJFZERTQSJ9.e30.AAAA")
	p := newBatchPair(f, pinned(), k)
	f.Fuzz(func(t *testing.T, header, payload string, sign bool, raw string) {
		tok := raw
		if raw == "" {
			if sign {
				tok = k.signRaw(t, header, payload)
			} else {
				tok = b64([]byte(header)) + "." + b64([]byte(payload)) + "." + b64(make([]byte, 64))
			}
		}
		p.check(t, tok)
	})
}

func flip(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)/2] ^= 1
	return c
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := b64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
