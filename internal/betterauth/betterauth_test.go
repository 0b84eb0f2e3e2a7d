package betterauth

import (
	"strings"
	"testing"
)

func TestDeployment(t *testing.T) {
	for _, tc := range []struct {
		base, jwksPath     string
		origin, jwks, auth string
	}{
		{"https://app.example.com", "", "https://app.example.com", "https://app.example.com/api/auth/jwks", "/api/auth"},
		{"https://app.example.com/", "", "https://app.example.com", "https://app.example.com/api/auth/jwks", "/api/auth"},
		{"https://APP.example.com:443", "", "https://app.example.com", "https://app.example.com/api/auth/jwks", "/api/auth"},
		{"http://localhost:3000", "", "http://localhost:3000", "http://localhost:3000/api/auth/jwks", "/api/auth"},
		{"http://localhost:9/custom/auth/", "", "http://localhost:9", "http://localhost:9/custom/auth/jwks", "/custom/auth"},
		{"https://app.example.com", "/.well-known/jwks.json", "https://app.example.com", "https://app.example.com/api/auth/.well-known/jwks.json", "/api/auth"},
		{"http://[::1]:8080", "", "http://[::1]:8080", "http://[::1]:8080/api/auth/jwks", "/api/auth"},
	} {
		d, err := ParseBaseURL(tc.base, tc.jwksPath)
		if err != nil {
			t.Fatalf("%s: %v", tc.base, err)
		}
		if d.Origin() != tc.origin || d.JWKSURL() != tc.jwks || d.AuthPath != tc.auth {
			t.Errorf("%s: origin %s jwks %s auth %s", tc.base, d.Origin(), d.JWKSURL(), d.AuthPath)
		}
	}
}

func TestParseBaseURLRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"ftp://x":                   "http or https",
		"app.example.com":           "http or https",
		"https://":                  "no host",
		"https://u:p@app.example":   "credentials",
		"https://app.example/?a=b":  "query",
		"https://app.example/#frag": "query or fragment",
	} {
		if _, err := ParseBaseURL(in, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
	for _, p := range []string{"jwks", "/../jwks"} {
		if _, err := ParseBaseURL("https://a.example", p); err == nil {
			t.Errorf("jwks path %q accepted", p)
		}
	}
}

// Discovery goes only to an http(s) origin, or origin plus path: no
// userinfo, query or fragment, and it says why it did not.
func TestDiscoverJWKSURL(t *testing.T) {
	for _, tc := range []struct{ iss, want, why string }{
		{"https://app.example.com", "https://app.example.com/api/auth/jwks", ""},
		{"https://app.example.com/", "https://app.example.com/api/auth/jwks", ""},
		{"http://127.0.0.1:3000", "http://127.0.0.1:3000/api/auth/jwks", ""},
		{"https://app.example.com/tenant/a", "https://app.example.com/tenant/a/api/auth/jwks", ""},
		{"api-1", "", "not an http(s) URL"},
		{"urn:example:issuer", "", "not an http(s) URL"},
		{"https://user@evil.example", "", "user"},
		{"https://user:pw@evil.example", "", "user"},
		{"http://internal.host/x?y=", "", "query"},
		{"http://internal.host/x?", "", "query"},
		{"https://app.example.com#frag", "", "fragment"},
		{"https://app.example.com/#", "", "fragment"},
		{"https:///path", "", "no host"},
		{"https:app.example.com", "", "not an http(s) URL"},
		{"%zz", "", "not an http(s) URL"},
	} {
		got, err := DiscoverJWKSURL(tc.iss)
		if got != tc.want {
			t.Errorf("DiscoverJWKSURL(%q) = %q, want %q", tc.iss, got, tc.want)
		}
		if (tc.why == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.why) {
			t.Errorf("DiscoverJWKSURL(%q): err %v, want one that says %q", tc.iss, err, tc.why)
		}
	}
}

func TestIsBaseURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://app.example.com": true, "https://app.example.com/": true, "http://127.0.0.1:3000": true,
		"https://app.example.com/api/auth/jwks": false, "https://app.example.com/auth": false, "%zz": false,
	} {
		if got := IsBaseURL(raw); got != want {
			t.Errorf("IsBaseURL(%q) = %v", raw, got)
		}
	}
}
