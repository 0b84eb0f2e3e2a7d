package jwks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
)

// Document is a JWKS as read from its source, before parsing.
type Document struct {
	Source    string    // URL, file path, or "-" for stdin
	Body      []byte    // at most MaxBytes
	FetchedAt time.Time // when the body was fetched from its origin
	HTTP      *HTTPInfo // nil for files and stdin
	// From says where the body came from: one of the From constants; ""
	// is FromNetwork for a fetched document.
	From string
	// StaleReason is why a stale cached copy was used (From is
	// FromStaleCache): the failure of the request that should have
	// replaced it.
	StaleReason string

	// url is the URL as fetched, password included, for the cache key;
	// Source is the same URL with its password masked, the only form that
	// reaches output or disk.
	url string
}

// Where a document came from (Document.From, and the "from" of the key
// origin in token results).
const (
	FromNetwork     = "network"     // fetched in this run
	FromRevalidated = "revalidated" // the cached copy, confirmed in this run by 304 Not Modified
	FromCache       = "cache"       // the cached copy, used without asking the server (still fresh)
	FromStaleCache  = "stale_cache" // the cached copy, because asking the server failed
	FromFile        = "file"
	FromStdin       = "stdin"
)

// FetchedThisRun reports whether the server sent or confirmed the body
// during this run, as opposed to a copy from an earlier run.
func (d *Document) FetchedThisRun() bool {
	return d.HTTP != nil && (d.From == "" || d.From == FromNetwork || d.From == FromRevalidated)
}

// HTTPInfo are the HTTP facts of a fetched JWKS.
type HTTPInfo struct {
	Status          int    `json:"status"`
	ContentType     string `json:"contentType"`
	CacheControl    string `json:"cacheControl"`
	Expires         string `json:"-"`
	Date            string `json:"-"`
	ETag            string `json:"etag"`
	LastModified    string `json:"-"`
	Bytes           int    `json:"bytes"`
	LatencyMs       int64  `json:"latencyMs"`
	FromCache       bool   `json:"fromCache"`
	CacheAgeSeconds int64  `json:"cacheAgeSeconds"`
}

// IsJSONContentType reports whether a Content-Type names JSON
// (application/json, application/jwk-set+json, anything +json).
func IsJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// SourceError means a key source could not be read or is not a JWKS: the
// JWKS is unreachable, timed out, failed TLS, answered non-200, or its body
// is not a JWKS. baverify then could not check anything (exit code 3).
type SourceError struct {
	Source string
	Err    error
	// Hint says what to do about this cause (see FailureHint); "" when
	// nothing specific is known.
	Hint string
}

func (e *SourceError) Error() string {
	return httpclient.RedactURLPasswords(fmt.Sprintf("could not read the JWKS at %s: %v", e.Source, e.Err))
}

func (e *SourceError) Unwrap() error { return e.Err }

// Fetcher gets JWKS documents over HTTP with a bounded body.
type Fetcher struct {
	Client    *http.Client
	Now       func() time.Time
	UserAgent string
}

// Get fetches url with GET and the given extra headers (for conditional
// requests). A non-200 answer is not an error here: the document carries
// the status for the linter. Errors are network failures and oversize
// bodies, wrapped in *SourceError.
func (f *Fetcher) Get(ctx context.Context, url string, header http.Header) (*Document, error) {
	// A password in the URL is sent, never shown or stored.
	shown := httpclient.RedactURLPasswords(url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &SourceError{Source: shown, Err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	start := f.Now()
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, &SourceError{Source: shown, Err: describeNetError(err), Hint: FailureHint(err)}
	}
	defer resp.Body.Close()
	body, err := httpclient.ReadBody(resp.Body, MaxBytes)
	if err != nil {
		return nil, &SourceError{Source: shown, Err: describeNetError(err), Hint: FailureHint(err)}
	}
	end := f.Now()
	return &Document{
		Source:    shown,
		url:       url,
		Body:      body,
		From:      FromNetwork,
		FetchedAt: end,
		HTTP: &HTTPInfo{
			Status:       resp.StatusCode,
			ContentType:  resp.Header.Get("Content-Type"),
			CacheControl: resp.Header.Get("Cache-Control"),
			Expires:      resp.Header.Get("Expires"),
			Date:         resp.Header.Get("Date"),
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
			Bytes:        len(body),
			LatencyMs:    end.Sub(start).Milliseconds(),
		},
	}, nil
}

// describeNetError keeps the part of a net/http error a person can act on.
func describeNetError(err error) error {
	var wp *httpclient.WrongProtocol
	if errors.As(err, &wp) {
		return wp
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return fmt.Errorf("timed out (raise --timeout if the server is slow): %w", err)
	}
	return err
}

// FailureHint says what to do about a failure to read or parse a JWKS, by
// its cause: one hint per cause, never one line for all. "" when the cause
// is not one of those known.
func FailureHint(err error) string {
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	var netErr net.Error
	var wrongProtocol *httpclient.WrongProtocol
	switch {
	case err == nil:
		return ""
	case errors.As(err, &wrongProtocol):
		return wrongProtocol.Hint()
	case errors.Is(err, httpclient.ErrTooLarge):
		return fmt.Sprintf("the answer is larger than %d bytes, and a JWKS is a few kilobytes: this URL serves something else (Better Auth serves its JWKS at {baseURL}/api/auth/jwks)", MaxBytes)
	case errors.As(err, &dnsErr):
		return "the host name does not resolve: check its spelling, and this machine's DNS or hosts file"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens there (connection refused): is the server up, and are the host and port right?"
	case errors.Is(err, syscall.ECONNRESET):
		return "the server closed the connection: is this an http port spoken to with https (or the other way round), or a proxy refusing the request?"
	case errors.As(err, &unknownCA):
		return "the server's TLS certificate is not signed by a CA this machine trusts: for a private or self-signed CA, pass --cacert FILE (--insecure only for local debugging)"
	case errors.As(err, &hostErr):
		return "the server's TLS certificate is for another host name: use a URL with a name the certificate covers"
	case errors.As(err, &invalidCert):
		return "the server's TLS certificate is not valid (expired, not yet valid, or not for serving): renew it; for a private CA pass --cacert FILE"
	case errors.As(err, &tlsRecord):
		return "the server does not speak TLS there: use http:// for a plain-http port"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the server did not answer within --timeout: raise it if the server is slow, or check the network path"
	case errors.Is(err, ErrInvalidJSON):
		msg := err.Error()
		switch {
		case strings.Contains(msg, "empty response"):
			return "the server answered with an empty body: a proxy or the route in front of the JWKS answered instead (Better Auth serves its JWKS at {baseURL}/api/auth/jwks)"
		case strings.Contains(msg, "byte order mark"):
			return "remove the byte order mark: JSON must not start with one (RFC 8259 section 8.1), and JWT libraries refuse it; save the file as UTF-8 without BOM"
		}
		return "an HTML page or a truncated body here usually means a proxy, the frontend or a wrong path answered: Better Auth serves its JWKS at {baseURL}/api/auth/jwks"
	case errors.Is(err, ErrNotJWKS):
		return `the document is JSON but not a JWKS ({"keys":[...]}): is this the JWKS endpoint ({baseURL}/api/auth/jwks by default)?`
	}
	return ""
}

// StatusHint says what to do about a JWKS URL answering status.
func StatusHint(status int) string {
	switch {
	case status == http.StatusNotFound:
		return "no JWKS there: is the jwt() plugin enabled, and is jwks.jwksPath or the baseURL path different? --jwks-path and --base-url with a path cover those"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "the JWKS must be public: an auth middleware, a proxy or a firewall protects this URL"
	case status == http.StatusTooManyRequests:
		return "the server rate-limits this client: wait and run again"
	case status >= 500:
		return "the server failed: check its logs"
	case status >= 300 && status < 400:
		return "a redirect that was not followed: use the URL it points to"
	}
	return "a JWKS endpoint answers 200 with the key set"
}

// ReadFile reads a JWKS document from a file, bounded.
func ReadFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &SourceError{Source: path, Err: err}
	}
	defer f.Close()
	return readAll(path, FromFile, f)
}

// ReadReader reads a JWKS document from r (stdin), bounded.
func ReadReader(name string, r io.Reader) (*Document, error) {
	return readAll(name, FromStdin, r)
}

func readAll(name, from string, r io.Reader) (*Document, error) {
	body, err := httpclient.ReadBody(r, MaxBytes)
	if err != nil {
		return nil, &SourceError{Source: name, Err: err, Hint: FailureHint(err)}
	}
	return &Document{Source: name, Body: body, From: from}, nil
}

// IsURL reports whether a key source argument is an http(s) URL.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
