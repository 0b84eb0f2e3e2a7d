package verify

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// insertAt puts s into tok at byte i.
func insertAt(tok string, i int, s string) string { return tok[:i] + s + tok[i:] }

// A compact JWS is base64url characters and two dots, nothing else: Go's
// decoders skip line breaks, and a wrapped paste used to decode (and even
// verify, with the break in the signature).
func TestDecodeRefusesForeignBytes(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	tok := ed.sign(t, betterAuthClaims())
	dot1 := strings.IndexByte(tok, '.')
	dot2 := strings.LastIndexByte(tok, '.')
	for _, tc := range []struct {
		name, token, msg string
	}{
		{"line break in the payload", insertAt(tok, dot1+10, "\n"), "line break at byte " + itoa(dot1+10) + ", inside the payload"},
		{"CRLF in the header", insertAt(tok, 5, "\r\n"), "carriage return (line break) at byte 5, inside the header"},
		{"line break in the signature", insertAt(tok, dot2+20, "\n"), "line break at byte " + itoa(dot2+20) + ", inside the signature"},
		{"space", insertAt(tok, dot1+3, " "), "space at byte " + itoa(dot1+3) + ", inside the payload"},
		{"tab", insertAt(tok, dot2+1, "\t"), "tab at byte " + itoa(dot2+1) + ", inside the signature"},
		{"padding", tok + "==", "padding = at byte " + itoa(len(tok)) + ", inside the signature: JWS uses unpadded base64url"},
		{"standard base64", insertAt(tok, 2, "+"), `character '+' at byte 2, inside the header: JWS uses base64url (- and _), not standard base64`},
		{"a control byte", insertAt(tok, dot1+1, "\x00"), "byte 0x00 at byte " + itoa(dot1+1) + ", inside the payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.token)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Decode: %v, want %q", err, tc.msg)
			}
			r := verifyWith(t, setOf(t, ed.jwk()), pinned(), tc.token)
			if r.Valid || codes(r)[0] != CodeMalformed || r.Verdict != VerdictInvalid {
				t.Fatalf("verdict %s, codes %v", r.Verdict, codes(r))
			}
		})
	}
}

// The hint says what the token would be without the whitespace; the
// verdict stays malformed.
func TestWrappedTokenHint(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	good := ed.sign(t, betterAuthClaims())
	expired := ed.sign(t, betterAuthClaims("exp", testNow-10))
	dot1 := strings.IndexByte(good, '.')
	for _, tc := range []struct {
		name, token, hint string
		keys              bool
	}{
		{"wrapped valid token", insertAt(good, dot1+8, "\n"), "with the line break removed the token verifies; a backend receives the bytes as given", true},
		{"wrapped twice with CRLF", insertAt(insertAt(good, dot1+8, "\r\n"), 4, "\r\n"), "with the line breaks removed the token verifies", true},
		{"spaces", insertAt(insertAt(good, dot1+8, " "), 2, " "), "with the spaces removed the token verifies", true},
		{"mixed whitespace", insertAt(insertAt(good, dot1+8, " "), 3, "\n"), "with the whitespace removed the token verifies", true},
		{"wrapped expired token", insertAt(expired, dot1+8, "\n"), "with the line break removed the token decodes but does not verify (expired)", true},
		{"no key source", insertAt(good, dot1+8, "\n"), "decodes, but nothing could verify it: no key source", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := setOf(t, ed.jwk())
			if !tc.keys {
				set = nil
			}
			r := verifyWith(t, set, pinned(), tc.token)
			if r.Valid || len(r.Errors) != 1 || r.Errors[0].Code != CodeMalformed {
				t.Fatalf("want malformed only, got %v", codes(r))
			}
			if !strings.Contains(r.Errors[0].Hint, tc.hint) {
				t.Fatalf("hint %q, want %q", r.Errors[0].Hint, tc.hint)
			}
		})
	}
	// Something other than whitespace: no unwrapped form to try.
	r := verifyWith(t, setOf(t, ed.jwk()), pinned(), insertAt(insertAt(good, dot1+8, "\n"), 3, "=")[:])
	if strings.Contains(r.Errors[0].Hint, "removed") {
		t.Fatalf("hint %q", r.Errors[0].Hint)
	}
}

// Header and payload must be UTF-8; encoding/json would read other bytes
// as U+FFFD without a word.
func TestDecodeRefusesNonUTF8(t *testing.T) {
	for _, tc := range []struct{ name, token, msg string }{
		{"payload", b64([]byte(`{"alg":"EdDSA"}`)) + "." + b64([]byte("{\"name\":\"Al\xffce\"}")) + ".c2ln",
			"the payload is not UTF-8: byte 0xff at byte 11 of the decoded payload"},
		{"header", b64([]byte("{\"alg\":\"EdDSA\",\"x\":\"\xc3\"}")) + "." + b64([]byte(`{}`)) + ".c2ln",
			"the header is not UTF-8: byte 0xc3 at byte 20 of the decoded header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.token)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Decode: %v, want %q", err, tc.msg)
			}
		})
	}
}

// A truncated token shows every part that decodes, and says it looks
// truncated when the evidence fits.
func TestTruncatedTokens(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	tok := ed.sign(t, betterAuthClaims())
	dot1 := strings.IndexByte(tok, '.')
	dot2 := strings.LastIndexByte(tok, '.')
	for _, tc := range []struct {
		name, token, msg, hint string
		header, claims         bool
		code                   Code
	}{
		{"cut inside the payload", tok[:dot1+120], "this has 2", "looks truncated: the payload breaks off", true, true, CodeMalformed},
		{"cut inside the payload, mid-quantum", tok[:dot1+122], "this has 2", "looks truncated: the payload breaks off and the third segment (the signature) is missing", true, true, CodeMalformed},
		{"cut after the payload", tok[:dot2], "this has 2", "looks truncated: the header is a complete JWS header but the third segment (the signature) is missing", true, true, CodeMalformed},
		{"cut mid-quantum in the signature", tok[:dot2+1+21], "the signature ends in the middle of a base64url quantum", "looks truncated", true, true, CodeMalformed},
		{"cut on a quantum boundary in the signature", tok[:dot2+1+40], "the EdDSA signature is 30 bytes; it must be 64", "looks truncated: the signature is shorter than an EdDSA signature", true, true, CodeSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyWith(t, setOf(t, ed.jwk()), pinned(), tc.token)
			if r.Valid || r.Errors[0].Code != tc.code {
				t.Fatalf("codes %v", codes(r))
			}
			p := r.Errors[0]
			if !strings.Contains(p.Message, tc.msg) || !strings.Contains(p.Hint, tc.hint) {
				t.Fatalf("got %q / %q, want %q / %q", p.Message, p.Hint, tc.msg, tc.hint)
			}
			shown := r.Token
			if shown == nil {
				shown = r.Partial
			}
			if shown == nil {
				t.Fatal("nothing of the token is shown")
			}
			if _, ok := shown.Header.Get("alg"); ok != tc.header {
				t.Errorf("header shown: %v, want %v", ok, tc.header)
			}
			if ok := len(shown.Claims.Keys) > 0; ok != tc.claims {
				t.Errorf("claims shown: %v, want %v", ok, tc.claims)
			}
		})
	}
	// A payload cut inside its JSON (re-encoded, so the base64 is whole).
	cut := b64([]byte(`{"alg":"EdDSA"}`)) + "." + b64([]byte(`{"sub":"user-1","name":"Al`)) + ".c2ln"
	r := verifyWith(t, nil, pinned(), cut)
	if p := r.Errors[0]; p.Code != CodeMalformed || !strings.Contains(p.Message, "the JSON ends early") || !strings.Contains(p.Hint, "looks truncated") {
		t.Fatalf("%+v", p)
	}
	if _, ok := r.Partial.Claims.Get("sub"); !ok {
		t.Fatal("the claims that decoded are not shown")
	}
	// A session token (value.signature) is not called truncated.
	_, err := Decode("Ab3kLx9QwErTyUiOpAsDfGhJkLzXcVbN.c2lnbmF0dXJl")
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Hint, "session token") {
		t.Fatalf("%v", err)
	}
}

// The verdict is one word in JSON; could-not-check names its cause first.
func TestVerdictAndSourceErrorFirst(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	good := ed.sign(t, betterAuthClaims())
	if r := verifyWith(t, setOf(t, ed.jwk()), pinned(), good); r.Verdict != VerdictValid {
		t.Fatalf("valid: %s", r.Verdict)
	}
	if r := verifyWith(t, setOf(t, ed.jwk()), pinned(), ed.sign(t, betterAuthClaims("exp", testNow-10))); r.Verdict != VerdictInvalid {
		t.Fatalf("expired: %s", r.Verdict)
	}
	if r := verifyWith(t, nil, pinned(), good); r.Verdict != VerdictCouldNotCheck {
		t.Fatalf("no key source: %s", r.Verdict)
	}
	dec := (&Verifier{DecodeOnly: true, Now: func() time.Time { return fixedNow }}).Verify(context.Background(), good)
	if dec.Verdict != VerdictDecoded {
		t.Fatalf("decode only: %s", dec.Verdict)
	}
	// The keys cannot be read, and iss and aud do not match: the source
	// failure is errors[0].
	srcErr := errors.New("could not read the JWKS at http://127.0.0.1:1/api/auth/jwks: connection refused")
	v := &Verifier{Keys: failingKeys{srcErr}, Policy: Policy{Issuer: "http://127.0.0.1:1", Audiences: []string{"http://127.0.0.1:1"}},
		Now: func() time.Time { return fixedNow }}
	r := v.Verify(context.Background(), good)
	if r.Verdict != VerdictCouldNotCheck || r.Errors[0].Code != CodeUnverified || r.Errors[0].Message != srcErr.Error() {
		t.Fatalf("verdict %s, errors %+v", r.Verdict, r.Errors)
	}
	if got := codes(r); len(got) != 3 || got[1] != CodeIssuerMismatch || got[2] != CodeAudienceMismatch {
		t.Fatalf("codes %v", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
