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

func TestDiscoveredJWKSURL(t *testing.T) {
	for iss, want := range map[string]string{
		"https://app.example.com":   "https://app.example.com/api/auth/jwks",
		"https://app.example.com/":  "https://app.example.com/api/auth/jwks",
		"http://127.0.0.1:3000":     "http://127.0.0.1:3000/api/auth/jwks",
		"api-1":                     "",
		"urn:example:issuer":        "",
		"https://user@evil.example": "",
		"":                          "",
	} {
		if got := DiscoveredJWKSURL(iss); got != want {
			t.Errorf("DiscoveredJWKSURL(%q) = %q, want %q", iss, got, want)
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
