// Package betterauth holds what baverify knows about Better Auth's jwt
// plugin: where it serves its JWKS, how it derives iss and aud, its defaults.
// The facts come from better-auth 1.7 (see README, "Better Auth facts").
package betterauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

const (
	// DefaultAuthPath is where Better Auth mounts its routes when the
	// baseURL has no path.
	DefaultAuthPath = "/api/auth"
	// DefaultJWKSPath is the jwt plugin's default jwks.jwksPath.
	DefaultJWKSPath = "/jwks"
	// DefaultTokenLifetime is the jwt plugin's default jwt.expirationTime.
	DefaultTokenLifetime = 15 * time.Minute
	// DefaultAlg is the jwt plugin's default signing algorithm.
	DefaultAlg = "EdDSA"
)

// SupportedAlgs are the algorithms the jwt plugin can sign with (1.7).
var supportedAlgs = []string{"EdDSA", "ES256", "ES512", "PS256", "RS256"}

// SupportedAlgs returns the algorithms Better Auth's jwt plugin can sign with.
func SupportedAlgs() []string { return append([]string(nil), supportedAlgs...) }

// Deployment is a Better Auth deployment described by its baseURL.
type Deployment struct {
	BaseURL  *url.URL
	AuthPath string // path prefix of the auth routes, e.g. /api/auth
	JWKSPath string // jwksPath, e.g. /jwks
}

// ParseBaseURL validates a Better Auth baseURL. Only http and https are
// accepted; query and fragment are refused because Better Auth ignores them
// and a user who typed one most likely pasted the wrong URL.
func ParseBaseURL(raw, jwksPath string) (*Deployment, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("base URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("base URL %q: no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %q: credentials in the URL are not supported", redact(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q: remove the query or fragment", raw)
	}
	if jwksPath == "" {
		jwksPath = DefaultJWKSPath
	}
	if !strings.HasPrefix(jwksPath, "/") || strings.Contains(jwksPath, "..") {
		return nil, fmt.Errorf("jwks path %q: must start with / and must not contain .. (as Better Auth requires)", jwksPath)
	}
	authPath := strings.TrimRight(u.Path, "/")
	if authPath == "" {
		authPath = DefaultAuthPath
	}
	return &Deployment{BaseURL: u, AuthPath: authPath, JWKSPath: jwksPath}, nil
}

// Origin is scheme://host[:port] of the baseURL, which Better Auth uses as
// the default iss and aud.
func (d *Deployment) Origin() string { return Origin(d.BaseURL) }

// RouteURL returns the URL of an auth route such as "/token".
func (d *Deployment) RouteURL(route string) string {
	return d.Origin() + d.AuthPath + route
}

// JWKSURL is where the deployment serves its JWKS.
func (d *Deployment) JWKSURL() string { return d.RouteURL(d.JWKSPath) }

// Origin returns scheme://host[:port] with the scheme and host lower-cased,
// the way the WHATWG URL parser (and so Better Auth) serialises an origin.
// Default ports are dropped.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// DiscoverJWKSURL returns the JWKS URL that Better Auth's convention gives
// for an issuer: iss + /api/auth/jwks. The token chooses iss, so discovery
// makes a request to a host the token chose; it is kept to what a Better
// Auth iss can be, an http(s) origin or origin plus path. An iss with
// userinfo, a query or a fragment (which would turn the appended path into
// a query, as in "http://internal.host/x?y=") is not used, and the error
// says why.
func DiscoverJWKSURL(iss string) (string, error) {
	u, err := url.Parse(iss)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "":
		return "", errors.New("iss is not an http(s) URL")
	case u.User != nil:
		return "", errors.New("iss has userinfo (user@); an issuer is an origin, never credentials")
	case u.Host == "":
		return "", errors.New("iss has no host")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("iss has a query (?); an issuer is an origin, or an origin and a path")
	case u.Fragment != "" || strings.Contains(iss, "#"):
		return "", errors.New("iss has a fragment (#); an issuer is an origin, or an origin and a path")
	}
	return strings.TrimRight(iss, "/") + DefaultAuthPath + DefaultJWKSPath, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// IsBaseURL reports whether a URL is a Better Auth base URL rather than a
// JWKS URL: it has no path beyond "/".
func IsBaseURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Path == "" || u.Path == "/")
}
