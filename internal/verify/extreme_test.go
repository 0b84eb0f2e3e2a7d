package verify

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestExtremeExpiresAtJSON: an exp inside baverify's own bounds (±1e12)
// but outside the years RFC 3339 can write (0000-9999) still gives one
// JSON object; expiresAt is then the NumericDate, as a string, and
// expiresIn the exact difference in seconds.
func TestExtremeExpiresAtJSON(t *testing.T) {
	k := keyFor(t, "EdDSA")
	set := setOf(t, k.jwk())
	for _, tc := range []struct {
		exp       any
		expiresAt string
		expiresIn int64
	}{
		{int64(253402300799), "9999-12-31T23:59:59Z", 253402300799 - testNow},
		{int64(253402300800), "253402300800", 253402300800 - testNow},
		{1e12, "1000000000000", 1e12 - testNow},
		{json.Number("253402300800.5"), "253402300800.5", 253402300800 - testNow},
		{int64(-62167219200), "0000-01-01T00:00:00Z", -62167219200 - testNow},
		{int64(-62167219201), "-62167219201", -62167219201 - testNow},
		{-1e12, "-1000000000000", -1e12 - testNow},
	} {
		r := verifyWith(t, set, pinned(), k.sign(t, betterAuthClaims("exp", tc.exp)))
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("exp %v: %v", tc.exp, err)
		}
		var got struct {
			ExpiresAt string `json:"expiresAt"`
			ExpiresIn int64  `json:"expiresIn"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("exp %v: %v in %s", tc.exp, err, b)
		}
		if got.ExpiresAt != tc.expiresAt || got.ExpiresIn != tc.expiresIn {
			t.Errorf("exp %v: expiresAt %q expiresIn %d, want %q %d", tc.exp, got.ExpiresAt, got.ExpiresIn, tc.expiresAt, tc.expiresIn)
		}
	}
}

// TestDeepNestingIsNotABadSignature: a parser's refusal is malformed with
// its reason; only a signature that does not match is signature_invalid.
// A header nested 300 deep (jwx's own header parser stops there) has a
// genuine signature and verifies, as it does with jose.
func TestDeepNestingIsNotABadSignature(t *testing.T) {
	k := keyFor(t, "EdDSA")
	set := setOf(t, k.jwk())
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	claims, _ := json.Marshal(betterAuthClaims())
	withMember := func(obj, member string) string { return obj[:len(obj)-1] + `,"x":` + member + `}` }
	header := `{"alg":"EdDSA","kid":"kid-EdDSA"}`

	r := verifyWith(t, set, pinned(), k.signRaw(t, withMember(header, nest(300)), string(claims)))
	if !r.Valid {
		t.Errorf("header nested 300 deep: %v %v, want valid", codes(r), r.Errors)
	}
	for _, tc := range []struct{ name, header, payload string }{
		{"header", withMember(header, nest(10001)), string(claims)},
		{"payload", header, withMember(string(claims), nest(10001))},
	} {
		r := verifyWith(t, set, pinned(), k.signRaw(t, tc.header, tc.payload))
		if got := codes(r); !slices.Equal(got, []Code{CodeMalformed}) || !strings.Contains(r.Errors[0].Message, "nested too deep") ||
			!strings.Contains(r.Errors[0].Message, "the "+tc.name) {
			t.Errorf("%s nested 10001 deep: %v %v", tc.name, got, r.Errors)
		}
	}
	// A real mismatch stays signature_invalid.
	good := k.signRaw(t, withMember(header, nest(300)), string(claims))
	bad := good[:len(good)-4] + "AAAA"
	if got := codes(verifyWith(t, set, pinned(), bad)); !slices.Equal(got, []Code{CodeSignature}) {
		t.Errorf("altered signature: %v", got)
	}
}

// TestB64Header: RFC 7515 section 4 ignores a header parameter that is not
// understood and not critical, and b64 true means the payload is encoded,
// which is what a JWS always is: jose verifies such tokens. b64 that
// claims an unencoded payload without crit is ignored too (with a
// warning); b64 listed in crit stays refused.
func TestB64Header(t *testing.T) {
	k := keyFor(t, "EdDSA")
	set := setOf(t, k.jwk())
	claims, _ := json.Marshal(betterAuthClaims())
	for _, tc := range []struct {
		header string
		valid  bool
		warn   bool
	}{
		{`{"alg":"EdDSA","kid":"kid-EdDSA","b64":true}`, true, false},
		{`{"alg":"EdDSA","kid":"kid-EdDSA","b64":false}`, true, true},
		{`{"alg":"EdDSA","kid":"kid-EdDSA","b64":"no"}`, true, true},
		{`{"alg":"EdDSA","kid":"kid-EdDSA","b64":false,"crit":["b64"]}`, false, false},
		{`{"alg":"EdDSA","kid":"kid-EdDSA","b64":true,"crit":["b64"]}`, false, false},
	} {
		r := verifyWith(t, set, pinned(), k.signRaw(t, tc.header, string(claims)))
		if r.Valid != tc.valid || slices.Contains(warningCodes(r), WarnB64Ignored) != tc.warn {
			t.Errorf("%s: valid %v (%v) warnings %v", tc.header, r.Valid, r.Errors, warningCodes(r))
		}
		if !tc.valid && !slices.Equal(codes(r), []Code{CodeMalformed}) {
			t.Errorf("%s: %v", tc.header, codes(r))
		}
	}
}

// A key whose use is not "sig" (an empty use included) or whose key_ops
// repeat a value (RFC 7517 section 4.3) is not used to verify, as jose
// does not use it.
func TestKeyUseAndKeyOpsShapes(t *testing.T) {
	k := keyFor(t, "EdDSA")
	tok := k.sign(t, betterAuthClaims())
	for _, tc := range []struct {
		name string
		jwk  map[string]any
		want []Code
	}{
		{"use sig", with(k.jwk(), "use", "sig"), []Code{}},
		{"use empty", with(k.jwk(), "use", ""), []Code{CodeKeyUnusable}},
		{"key_ops verify", with(k.jwk(), "key_ops", []string{"verify"}), []Code{}},
		{"key_ops verify twice", with(k.jwk(), "key_ops", []string{"verify", "verify"}), []Code{CodeKeyUnusable}},
	} {
		r := verifyWith(t, setOf(t, tc.jwk), pinned(), tok)
		if !slices.Equal(codes(r), tc.want) {
			t.Errorf("%s: %v %v", tc.name, codes(r), r.Errors)
		}
	}
}

// RFC 9864's Ed25519 name verifies through the same signature check.
func TestEd25519AlgName(t *testing.T) {
	k := keyFor(t, "EdDSA")
	claims, _ := json.Marshal(betterAuthClaims())
	tok := k.signRaw(t, `{"alg":"Ed25519","kid":"kid-EdDSA"}`, string(claims))
	pol := pinned()
	pol.Algorithms = []string{"EdDSA", "Ed25519"}
	r := verifyWith(t, setOf(t, with(k.jwk(), "alg", nil)), pol, tok)
	if !r.Valid || !slices.Contains(warningCodes(r), WarnAlgName) {
		t.Fatalf("%v %v %v", r.Verdict, r.Errors, warningCodes(r))
	}
}
