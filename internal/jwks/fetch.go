package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
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
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("could not read the JWKS at %s: %v", e.Source, e.Err)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &SourceError{Source: url, Err: err}
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
		return nil, &SourceError{Source: url, Err: describeNetError(err)}
	}
	defer resp.Body.Close()
	body, err := httpclient.ReadBody(resp.Body, MaxBytes)
	if err != nil {
		return nil, &SourceError{Source: url, Err: describeNetError(err)}
	}
	end := f.Now()
	return &Document{
		Source:    url,
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
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return fmt.Errorf("timed out (raise --timeout if the server is slow): %w", err)
	}
	return err
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
		return nil, &SourceError{Source: name, Err: err}
	}
	return &Document{Source: name, Body: body, From: from}, nil
}

// IsURL reports whether a key source argument is an http(s) URL.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
