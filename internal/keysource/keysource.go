// Package keysource turns the key-source flags shared by every command
// (--base-url, --jwks, discovery through iss) into a verify.KeySource and
// the issuer/audience defaults that go with it.
package keysource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/verify"
)

// Options are the key-source flags.
type Options struct {
	BaseURL    string // --base-url
	JWKSPath   string // --jwks-path
	JWKS       string // --jwks: URL, file or "-"
	NoDiscover bool   // --no-discover
	Stdin      io.Reader
	Fetcher    *jwks.Fetcher
}

// Resolved is where keys come from and what that implies for the policy.
type Resolved struct {
	Keys       verify.KeySource // nil: no key source
	Deployment *betterauth.Deployment
	// Discovered is set when the JWKS URL was derived from the token's iss.
	Discovered bool
	// Location is the URL, file or "-" the keys come from.
	Location string
}

// Resolve picks the key source. iss is the token's unverified iss, used
// only for discovery when nothing else is given.
func Resolve(opts Options, iss string) (*Resolved, error) {
	res := &Resolved{}
	if opts.BaseURL != "" {
		d, err := betterauth.ParseBaseURL(opts.BaseURL, opts.JWKSPath)
		if err != nil {
			return nil, err
		}
		res.Deployment = d
		res.Location = d.JWKSURL()
	} else if opts.JWKSPath != "" {
		return nil, errors.New("--jwks-path needs --base-url")
	}
	switch {
	case opts.JWKS != "":
		res.Location = opts.JWKS
	case res.Location != "":
	case !opts.NoDiscover && iss != "":
		if u := betterauth.DiscoveredJWKSURL(iss); u != "" {
			res.Location, res.Discovered = u, true
		}
	}
	switch {
	case res.Location == "":
		return res, nil
	case jwks.IsURL(res.Location):
		res.Keys = &Remote{URL: res.Location, Fetcher: opts.Fetcher}
	case res.Location == "-":
		res.Keys = &Reader{Name: "-", R: opts.Stdin}
	default:
		res.Keys = &Reader{Name: res.Location}
	}
	return res, nil
}

// Reader is a JWKS read once from a file or stdin.
type Reader struct {
	Name string    // file path, or "-"
	R    io.Reader // set for stdin
	once sync.Once
	keys *verify.KeySet
	err  error
}

// Load reads and parses the document once.
func (r *Reader) Load(context.Context) (*verify.KeySet, error) {
	r.once.Do(func() {
		var doc *jwks.Document
		if r.R != nil {
			doc, r.err = jwks.ReadReader("stdin", r.R)
		} else {
			doc, r.err = jwks.ReadFile(r.Name)
		}
		if r.err == nil {
			r.keys, r.err = ToKeySet(doc)
		}
	})
	return r.keys, r.err
}

// Refresh never helps for a file.
func (r *Reader) Refresh(context.Context) (*verify.KeySet, error) { return nil, nil }

// Remote is a JWKS fetched over HTTP.
type Remote struct {
	URL     string
	Fetcher *jwks.Fetcher
	mu      sync.Mutex
	keys    *verify.KeySet
	// Doc is the last document fetched, for commands that show HTTP facts.
	Doc *jwks.Document
}

// Load fetches the JWKS once per run.
func (r *Remote) Load(ctx context.Context) (*verify.KeySet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil {
		return r.keys, nil
	}
	doc, err := r.Fetcher.Get(ctx, r.URL, nil)
	if err != nil {
		return nil, err
	}
	r.Doc = doc
	keys, err := ToKeySet(doc)
	if err != nil {
		return nil, err
	}
	r.keys = keys
	return keys, nil
}

// Refresh returns nil: a document fetched during this run is fresh, so a
// second request could not bring a key the first did not.
func (r *Remote) Refresh(context.Context) (*verify.KeySet, error) { return nil, nil }

// ToKeySet checks that a document is a usable JWKS answer and parses it.
// Anything else is a *jwks.SourceError: the key source is not a JWKS.
func ToKeySet(doc *jwks.Document) (*verify.KeySet, error) {
	if doc.HTTP != nil && doc.HTTP.Status != http.StatusOK {
		return nil, &jwks.SourceError{Source: doc.Source, Err: statusError(doc)}
	}
	set, err := jwks.Parse(doc.Body)
	if err != nil {
		return nil, &jwks.SourceError{Source: doc.Source, Err: err}
	}
	ks := &verify.KeySet{Set: set, Source: doc.Source}
	if doc.HTTP != nil && doc.HTTP.FromCache {
		ks.Detail = fmt.Sprintf("cached %ds ago", doc.HTTP.CacheAgeSeconds)
	}
	for _, k := range set.Keys {
		if len(k.PrivateMembers) > 0 {
			ks.PrivateMembers = true
		}
	}
	return ks, nil
}

func statusError(doc *jwks.Document) error {
	msg := fmt.Sprintf("HTTP %d", doc.HTTP.Status)
	if doc.HTTP.Status == http.StatusNotFound {
		msg += " (no JWKS there: is the jwt() plugin enabled, and is jwks.jwksPath or the baseURL path different? --jwks-path and --base-url with a path cover those)"
	}
	body := strings.TrimSpace(string(doc.Body))
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	if body != "" {
		msg += ": " + body
	}
	return errors.New(msg)
}
