package verify

import (
	"strings"
	"testing"
)

// An iss or aud that differs from the expectation only in how the same
// origin is spelt (localhost vs 127.0.0.1, scheme, port, a trailing slash)
// gets a hint that says exactly that and what to set, not the generic one.
func TestOriginSpellingHint(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	set := setOf(t, ed.jwk())
	for _, tc := range []struct {
		name, claim, got, want string
		hint                   []string
	}{
		{"localhost vs 127.0.0.1 in iss", "iss", "http://127.0.0.1:3000", "http://localhost:3000",
			[]string{"differ only in the host spelling (127.0.0.1 vs localhost)", "--issuer http://127.0.0.1:3000", "baseURL"}},
		{"127.0.0.1 vs localhost in aud", "aud", "http://localhost:3000", "http://127.0.0.1:3000",
			[]string{"differ only in the host spelling (localhost vs 127.0.0.1)", "--audience http://localhost:3000", "baseURL"}},
		{"scheme", "iss", "http://app.example.com", "https://app.example.com",
			[]string{"differ only in the scheme (http vs https)", "--issuer http://app.example.com"}},
		{"port", "aud", "http://localhost:3001", "http://localhost:3000",
			[]string{"differ only in the port (3001 vs 3000)"}},
		{"trailing slash", "iss", "https://app.example.com/", "https://app.example.com",
			[]string{"differ only in a trailing slash", "compared byte for byte"}},
		{"host and port", "iss", "http://[::1]:3000", "http://localhost:8080",
			[]string{"differ only in the host spelling ([::1] vs localhost) and the port (3000 vs 8080)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := Policy{Issuer: testIssuer, Audiences: []string{testIssuer}}
			if tc.claim == "iss" {
				pol.Issuer = tc.want
			} else {
				pol.Audiences = []string{tc.want}
			}
			r := verifyWith(t, set, pol, ed.sign(t, betterAuthClaims(tc.claim, tc.got)))
			if len(r.Errors) != 1 {
				t.Fatalf("errors %+v", r.Errors)
			}
			for _, h := range tc.hint {
				if !strings.Contains(r.Errors[0].Hint, h) {
					t.Errorf("hint %q\nwant %q", r.Errors[0].Hint, h)
				}
			}
			if strings.Contains(r.Errors[0].Hint, "unless jwt.issuer / jwt.audience are set") {
				t.Errorf("the generic hint came back: %q", r.Errors[0].Hint)
			}
		})
	}
	// With --base-url, the fix is that flag spelt as the token, path kept.
	pol := Policy{Issuer: "http://localhost:3000", Audiences: []string{testIssuer}, BaseURL: "http://localhost:3000/custom/auth"}
	r := verifyWith(t, set, pol, ed.sign(t, betterAuthClaims("iss", "http://127.0.0.1:3000")))
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Hint, "(--base-url http://127.0.0.1:3000/custom/auth)") {
		t.Fatalf("%+v", r.Errors)
	}
}
