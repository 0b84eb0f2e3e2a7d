// Package httpclient builds the one HTTP client every baverify command uses:
// TLS verified by default, every wait bounded, redirects limited, and the
// Authorization header never carried to another origin.
package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

const (
	// DefaultTimeout bounds a whole request, redirects and body included.
	DefaultTimeout = 10 * time.Second
	// MaxRedirects is how many redirects a request may follow.
	MaxRedirects = 5
)

// Options are the network flags shared by every command.
type Options struct {
	Timeout  time.Duration
	CACert   string // PEM file of extra trusted roots; "" = system roots
	Insecure bool   // skip TLS verification (loud)
	// OnRedirect, when set, is told about each redirect followed, and which
	// credential headers (CredentialHeader) were dropped because it left the
	// first origin: canonical names, sorted, reported on the hop that
	// leaves; empty (not nil) when none were.
	OnRedirect func(from, to *url.URL, dropped []string)
}

// New returns a client configured by opts.
func New(opts Options) (*http.Client, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CACert != "" {
		pem, err := os.ReadFile(opts.CACert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate found", opts.CACert)
		}
		tlsConfig.RootCAs = pool
	}
	if opts.Insecure {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for it with --insecure, and every command warns loudly
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		ForceAttemptHTTP2:      true,
		IdleConnTimeout:        30 * time.Second,
	}
	return &http.Client{
		Transport:     &protocolTransport{base: transport, timeout: timeout, tls: tlsConfig},
		Timeout:       timeout,
		CheckRedirect: checkRedirect(opts.OnRedirect),
	}, nil
}

// checkRedirect limits redirects and strips credentials whenever the origin
// (scheme, host, port) changes. net/http already drops Authorization and
// Cookie for another host, but keeps them for another port or a downgrade
// to http on the same host, and keeps every other header (an X-Api-Key, a
// Cf-Access-Jwt-Assertion) everywhere; none of them may travel there. A
// request body (a password, a -d payload) is not re-sent to another origin
// either: net/http would on a 307 or 308, so the redirect is not followed
// and its answer is the caller's to see.
func checkRedirect(notify func(from, to *url.URL, dropped []string)) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		// net/http adds a Referer with the whole previous URL (query
		// included) on every redirect; baverify never sends one.
		req.Header.Del("Referer")
		first, prev := via[0], via[len(via)-1]
		if strings.EqualFold(prev.URL.Scheme, "https") && strings.EqualFold(req.URL.Scheme, "http") {
			// Keys, tokens and passwords are never downgraded to plain http.
			return fmt.Errorf("refused a redirect from https to plain http (%s)", req.URL.Redacted())
		}
		crossing := !SameOrigin(first.URL, req.URL)
		if crossing && req.Body != nil && req.Body != http.NoBody {
			return http.ErrUseLastResponse
		}
		dropped := []string{}
		if crossing {
			// net/http copies the first request's headers onto every hop
			// (less those it strips itself), so both are looked at.
			names := map[string]bool{}
			for _, h := range []http.Header{first.Header, req.Header} {
				for name, vals := range h {
					if CredentialHeader(name) && len(vals) > 0 {
						names[http.CanonicalHeaderKey(name)] = true
					}
				}
			}
			for name := range names {
				req.Header.Del(name)
			}
			// Reported once, on the hop that leaves the first origin.
			if SameOrigin(first.URL, prev.URL) {
				for name := range names {
					dropped = append(dropped, name)
				}
				sort.Strings(dropped)
			}
		}
		if notify != nil {
			notify(prev.URL, req.URL, dropped)
		}
		return nil
	}
}

// CredentialHeader says whether a request header carries a credential: the
// standard ones, and the usual custom names (X-Api-Key, X-Auth-Token,
// Cf-Access-Jwt-Assertion, ...). It is the one classifier: what call and
// probe redact in their output is exactly what a redirect to another origin
// drops.
func CredentialHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie":
		return true
	}
	lower := strings.ToLower(name)
	for _, word := range []string{"key", "token", "secret", "session", "password", "passwd", "auth", "credential",
		"signature", "jwt", "assertion", "bearer", "cookie", "csrf", "xsrf"} {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

// SameOrigin reports whether a and b share scheme, host and port.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// ErrTooLarge is returned by ReadBody when the body exceeds its limit.
var ErrTooLarge = errors.New("response body too large")

// ReadBody reads at most limit bytes of r. It returns the bytes read and
// ErrTooLarge (wrapped, with the limit) when more were available.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return data[:limit], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// IsLoopback reports whether the URL's host is a loopback name or address,
// where plain http is not a risk worth warning about.
func IsLoopback(u *url.URL) bool {
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PlainHTTP reports whether a URL is plain http to a host that is not
// loopback: what travels there can be read and changed on the way.
func PlainHTTP(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, "http") && !IsLoopback(u)
}

// Describe keeps the part of a net/http error a person can act on: without
// the "Get \"URL\":" wrapper (the caller names the step and the URL), and
// saying so when the time limit was hit.
func Describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out (raise --timeout if the server is slow): %w", ue.Err)
		}
		return ue.Err
	}
	return err
}
