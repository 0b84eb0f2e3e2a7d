package verify

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Invisible characters around or inside a token are named, with where
// they are, as a line break is; when they are all that is wrong, the hint
// says what the token is without them.
func TestInvisibleCharacters(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	tok := ed.sign(t, betterAuthClaims())
	dot1 := strings.IndexByte(tok, '.')
	for _, tc := range []struct {
		name, token, msg, hint string
	}{
		{"zero-width space before", "\u200b" + tok, "zero-width space (U+200B) at byte 0, before the header",
			"with the zero-width space removed the token verifies; a backend receives the bytes as given, so send the token without the zero-width space"},
		{"byte order mark before", "\ufeff" + tok, "byte order mark (U+FEFF) at byte 0, before the header",
			"with the byte order mark removed the token verifies"},
		{"word joiner inside", insertAt(tok, dot1+10, "\u2060"), "word joiner (U+2060) at byte " + itoa(dot1+10) + ", inside the payload",
			"with the word joiner removed the token verifies"},
		{"zero-width space after", tok + "\u200b", "zero-width space (U+200B) at byte " + itoa(len(tok)) + ", after the signature",
			"with the zero-width space removed the token verifies"},
		{"two of them", "\u200b" + insertAt(tok, 4, "\u200b"), "zero-width space (U+200B) at byte 0",
			"with the zero-width spaces removed the token verifies"},
		{"mixed with a line break", "\ufeff" + insertAt(tok, dot1+3, "\n"), "byte order mark (U+FEFF) at byte 0",
			"with the invisible characters removed the token verifies"},
		{"another character", insertAt(tok, 3, "é"), "character U+00E9 at byte 3, inside the header", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyWith(t, setOf(t, ed.jwk()), pinned(), tc.token)
			if !slices.Equal(codes(r), []Code{CodeMalformed}) || !strings.Contains(r.Errors[0].Message, tc.msg) {
				t.Fatalf("%v %q, want %q", codes(r), r.Errors[0].Message, tc.msg)
			}
			if tc.hint != "" && !strings.Contains(r.Errors[0].Hint, tc.hint) {
				t.Fatalf("hint %q, want %q", r.Errors[0].Hint, tc.hint)
			}
			if tc.hint == "" && strings.Contains(r.Errors[0].Hint, "removed") {
				t.Fatalf("hint %q", r.Errors[0].Hint)
			}
		})
	}
}

// Look-alike and invisible characters in iss and aud are escaped in the
// mismatch message, and the hint says that the two differ in such a
// character.
func TestLookAlikeIssuerAndAudience(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	set := setOf(t, ed.jwk())
	for _, tc := range []struct {
		name, claim, value, want string
	}{
		{"Cyrillic a in iss", "iss", "https://\u0430pp.example.com", `iss is https://\u0430pp.example.com but you expect https://app.example.com`},
		{"zero-width space in aud", "aud", "https://app.example.com\u200b", `aud is https://app.example.com\u200b but you expect https://app.example.com`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyWith(t, set, pinned(), ed.sign(t, betterAuthClaims(tc.claim, tc.value)))
			if len(r.Errors) != 1 || r.Errors[0].Message != tc.want {
				t.Fatalf("%+v, want %q", r.Errors, tc.want)
			}
			if !strings.Contains(r.Errors[0].Hint, "invisible or look-alike character") {
				t.Fatalf("hint %q", r.Errors[0].Hint)
			}
		})
	}
	// NFD against NFC: the expected value has the composed é.
	pol := Policy{Issuer: "https://caf\u00e9.example", Audiences: []string{testIssuer}}
	r := verifyWith(t, set, pol, ed.sign(t, betterAuthClaims("iss", "https://cafe\u0301.example")))
	if len(r.Errors) != 1 || r.Errors[0].Message != `iss is https://cafe\u0301.example but you expect https://caf\u00e9.example` ||
		!strings.Contains(r.Errors[0].Hint, "invisible or look-alike character") {
		t.Fatalf("NFD: %+v", r.Errors)
	}
}

// aud is a string or an array of strings (RFC 7519 section 4.1.3):
// anything else is claim_invalid, whether or not an audience is expected,
// in single and batch mode alike.
func TestAudienceShapes(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	set := setOf(t, ed.jwk())
	for _, tc := range []struct {
		name string
		aud  any
		want []Code
	}{
		{"null", json.RawMessage("null"), []Code{CodeClaimInvalid}},
		{"null and the expected value", []any{nil, testIssuer}, []Code{CodeClaimInvalid}},
		{"a number in the array", []any{testIssuer, 1}, []Code{CodeClaimInvalid}},
		{"empty string", "", []Code{CodeAudienceMismatch}},
		{"array with the expected value", []any{"x", testIssuer}, []Code{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := ed.sign(t, betterAuthClaims("aud", tc.aud))
			if tc.aud == nil {
				t.Fatal("nil aud")
			}
			r := verifyWith(t, set, pinned(), token)
			if !slices.Equal(codes(r), tc.want) {
				t.Fatalf("codes %v, want %v", codes(r), tc.want)
			}
			// No audience expected: the shape is still checked.
			unpinned := verifyWith(t, set, Policy{Issuer: testIssuer}, token)
			if wantInvalid := slices.Contains(tc.want, CodeClaimInvalid); wantInvalid != unpinned.HasError(CodeClaimInvalid) {
				t.Fatalf("without --audience: %v", codes(unpinned))
			}
			if auds, _, ok := ParseAudience(mustRaw(t, tc.aud)); ok == slices.Contains(tc.want, CodeClaimInvalid) {
				t.Fatalf("ParseAudience = %v, %v", auds, ok)
			}
		})
	}
}

func mustRaw(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
