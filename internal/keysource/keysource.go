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
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/humanize"
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
	// Cache is the JWKS cache for remote sources; nil turns it off.
	Cache *jwks.Cache
	// Warn receives non-fatal problems (an unusable cache entry).
	Warn func(string)
	// CacheTTL, Revalidate and AllowStale are Remote's.
	CacheTTL   time.Duration
	Revalidate bool
	AllowStale bool
}

// Resolved is where keys come from and what that implies for the policy.
type Resolved struct {
	Keys       verify.KeySource // nil: no key source
	Deployment *betterauth.Deployment
	// Discovered is set when the JWKS URL was derived from the token's iss.
	Discovered bool
	// NotDiscovered says why the token's iss was not used to find a JWKS
	// when it could have been (no key source, discovery on): "" otherwise.
	NotDiscovered string
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
		u, err := betterauth.DiscoverJWKSURL(iss)
		if err != nil {
			res.NotDiscovered = err.Error()
		} else {
			res.Location, res.Discovered = u, true
		}
	}
	switch {
	case res.Location == "":
		return res, nil
	case jwks.IsURL(res.Location):
		given := opts.JWKS
		if given == "" {
			given = opts.BaseURL
		}
		res.Keys = &Remote{URL: res.Location, Given: given, Fetcher: opts.Fetcher, Cache: opts.Cache, Warn: opts.Warn,
			TTL: opts.CacheTTL, Revalidate: opts.Revalidate, AllowStale: opts.AllowStale}
	case res.Location == "-":
		res.Keys = &Reader{Name: "-", R: opts.Stdin}
	default:
		res.Keys = &Reader{Name: res.Location}
	}
	return res, nil
}

// DocumentSource is a key source that can hand over the document itself,
// before it is judged a JWKS (baverify jwks lints it). Reader and Remote
// implement it.
type DocumentSource interface {
	Document(ctx context.Context) (*jwks.Document, error)
}

// Reader is a JWKS read once from a file or stdin.
type Reader struct {
	Name string    // file path, or "-"
	R    io.Reader // set for stdin
	once sync.Once
	doc  *jwks.Document
	err  error
	mu   sync.Mutex
	keys *verify.KeySet
}

// Document reads the document once.
func (r *Reader) Document(context.Context) (*jwks.Document, error) {
	r.once.Do(func() {
		if r.R != nil {
			r.doc, r.err = jwks.ReadReader("stdin", r.R)
		} else {
			r.doc, r.err = jwks.ReadFile(r.Name)
		}
	})
	return r.doc, r.err
}

// Load reads and parses the document once.
func (r *Reader) Load(ctx context.Context) (*verify.KeySet, error) {
	doc, err := r.Document(ctx)
	if err != nil {
		return nil, err
	}
	return keysOnce(&r.mu, &r.keys, doc)
}

// keysOnce parses doc into *keys unless that was done already, under mu.
func keysOnce(mu *sync.Mutex, keys **verify.KeySet, doc *jwks.Document) (*verify.KeySet, error) {
	mu.Lock()
	defer mu.Unlock()
	if *keys == nil {
		parsed, err := ToKeySet(doc)
		if err != nil {
			return nil, err
		}
		*keys = parsed
	}
	return *keys, nil
}

// Refresh never helps for a file.
func (r *Reader) Refresh(context.Context) (*verify.KeySet, error) { return nil, nil }

// Remote is a JWKS fetched over HTTP, through the cache when Cache is set.
//
// The server decides freshness: Load serves a cache entry without a request
// only while the server's own max-age or Expires says it is fresh (capped at
// a day), or within TTL when the user set --cache-ttl. Otherwise it asks
// again, conditionally (If-None-Match / If-Modified-Since; a 304 keeps the
// entry), and writes every 200 JWKS answer back. When asking fails (no
// answer, 5xx, 429) and AllowStale is set, the cached copy is used as
// "stale cache", with a warning naming its age and the failure. Refresh
// refetches once, for a token whose kid is not in a document served from
// the cache, at most once per jwks.RefetchInterval per URL (the time is
// kept in the entry, so the limit holds across runs).
type Remote struct {
	URL string
	// Given is what the user gave (--base-url or --jwks value), for the
	// hint after a 404.
	Given   string
	Fetcher *jwks.Fetcher
	// Cache is nil when caching is off (--no-cache, --insecure, no cache
	// directory).
	Cache *jwks.Cache
	// TTL is --cache-ttl: how long an entry may be used without asking,
	// whatever the server said (0: only as long as the server said).
	TTL time.Duration
	// Revalidate asks the server even while the entry is fresh by the
	// server's word (call and probe judge a backend only against keys the
	// server sent or confirmed in this run). TTL still applies.
	Revalidate bool
	// AllowStale uses the cached copy when the server cannot be asked.
	// baverify jwks leaves it off: it reports on the live document.
	AllowStale bool
	// Warn receives problems that do not stop the run: an unreadable cache
	// entry, a cache that cannot be written, stale keys. Nil drops them.
	Warn func(string)

	mu    sync.Mutex
	keys  *verify.KeySet
	entry *jwks.CacheEntry // the entry the document came from, or was stored as
	// fromCache: the document was served from the cache without asking the
	// server, so a refetch can bring keys it does not have.
	fromCache bool
	refetched bool
	facts     jwks.CacheFacts
	// Doc is the last document fetched, for commands that show HTTP facts.
	Doc *jwks.Document
}

// Document returns the JWKS answer as it came, once per run: from the cache
// when fresh, else from the server. A non-200 answer is a document too (its
// status is for the linter to judge); errors are *jwks.SourceError.
func (r *Remote) Document(ctx context.Context) (*jwks.Document, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Doc != nil {
		return r.Doc, nil
	}
	now := r.Fetcher.Now()
	r.facts.Enabled = r.Cache != nil
	r.facts.TTL = r.TTL
	var cached *jwks.CacheEntry
	if r.Cache != nil {
		e, err := r.Cache.Get(r.URL)
		switch {
		case err != nil:
			r.warn(fmt.Sprintf("the cached JWKS for %s is unusable and was ignored: %v", httpclient.RedactURLPasswords(r.URL), err))
		case e != nil && r.fresh(e, now):
			r.useEntry(e, now, false)
			return r.Doc, nil
		case e != nil:
			cached = e
		}
	}
	var cond http.Header
	if cached != nil {
		cond = cached.ConditionalHeader()
	}
	doc, err := r.Fetcher.Get(ctx, r.URL, cond)
	if reason := staleReason(doc, err); reason != "" && cached != nil && r.AllowStale && ctx.Err() == nil {
		r.useEntry(cached, now, false)
		r.Doc.From, r.Doc.StaleReason = jwks.FromStaleCache, reason
		r.warn(fmt.Sprintf("STALE KEYS: the JWKS at %s could not be fetched (%s); using the copy cached %s ago, which may no longer be what the server publishes",
			httpclient.RedactURLPasswords(r.URL), reason, humanize.Duration(cached.Age(now).Truncate(time.Second))))
		return r.Doc, nil
	}
	if err != nil {
		return nil, err
	}
	if cached != nil && cond != nil && doc.HTTP.Status == http.StatusNotModified {
		cached.Revalidated(doc)
		stored := r.put(cached)
		r.useEntry(cached, doc.FetchedAt, true)
		r.facts.Stored = stored
		r.Doc.HTTP.LatencyMs = doc.HTTP.LatencyMs
		r.Doc.From = jwks.FromRevalidated
		r.fromCache = false // the server has just confirmed it
		return r.Doc, nil
	}
	r.Doc = doc
	r.entry = cached // keeps its forced-refetch time, if any
	r.store(jwks.NewCacheEntry(doc))
	return doc, nil
}

// fresh reports whether e may be used without asking the server.
func (r *Remote) fresh(e *jwks.CacheEntry, now time.Time) bool {
	if r.Revalidate {
		age := e.Age(now)
		return age >= 0 && age < r.TTL
	}
	return e.Fresh(now, r.TTL)
}

// staleReason says why a fetch counts as "the server could not be asked",
// when a cached copy may stand in: no answer at all, a 5xx or a 429. ""
// means the answer is the server's word (a 404 is: the JWKS is gone), or
// the body was too large (that is what the server sends).
func staleReason(doc *jwks.Document, err error) string {
	if err != nil {
		if errors.Is(err, httpclient.ErrTooLarge) {
			return ""
		}
		var se *jwks.SourceError
		if errors.As(err, &se) {
			err = se.Err
		}
		return httpclient.Describe(err).Error()
	}
	if doc == nil || doc.HTTP == nil {
		return ""
	}
	switch s := doc.HTTP.Status; {
	case s >= 500 && s <= 599, s == http.StatusTooManyRequests:
		return fmt.Sprintf("HTTP %d %s", s, http.StatusText(s))
	}
	return ""
}

// useEntry serves the document from e.
func (r *Remote) useEntry(e *jwks.CacheEntry, now time.Time, revalidated bool) {
	r.entry = e
	r.Doc = e.Document(now)
	r.fromCache = true
	r.facts.Revalidated = revalidated
	r.setFreshness(e)
}

// store writes a new entry, keeping the forced-refetch time of the old one.
func (r *Remote) store(e *jwks.CacheEntry) {
	if r.Cache == nil || e == nil {
		return
	}
	if r.entry != nil {
		e.LastForcedRefetch = r.entry.LastForcedRefetch
	}
	r.entry = e
	r.facts.Stored = r.put(e)
	r.setFreshness(e)
}

func (r *Remote) setFreshness(e *jwks.CacheEntry) {
	r.facts.Freshness, r.facts.ServerTTL = jwks.Freshness(e.CacheControl, e.Expires, e.Date)
}

func (r *Remote) put(e *jwks.CacheEntry) bool {
	if err := r.Cache.Put(e); err != nil {
		r.warn(fmt.Sprintf("the JWKS cache could not be written (%v); continuing without it", err))
		return false
	}
	return true
}

func (r *Remote) warn(msg string) {
	if r.Warn != nil {
		r.Warn(msg)
	}
}

// CacheFacts say how the cache took part in the last Document or Load.
func (r *Remote) CacheFacts() jwks.CacheFacts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.facts
}

// Load returns the keys, fetching or reading the cache once per run. A
// 404 looks at the places the user most likely meant (see
// FindAlternative), and the error's hint names the one that works.
func (r *Remote) Load(ctx context.Context) (*verify.KeySet, error) {
	doc, err := r.Document(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := keysOnce(&r.mu, &r.keys, doc)
	var se *jwks.SourceError
	if err != nil && doc.HTTP != nil && doc.HTTP.Status == http.StatusNotFound && r.Given != "" && errors.As(err, &se) {
		if alt := FindAlternative(ctx, r.Fetcher, r.URL, r.Given); alt != nil {
			se.Hint = alt.Hint(false)
		}
	}
	return keys, err
}

// Alternative is a place near a JWKS URL that answered 404 which does
// serve a JWKS.
type Alternative struct {
	JWKSURL string
	// BaseURL is set when JWKSURL is Better Auth's default for it, so that
	// --base-url BaseURL finds it (and pins iss and aud too).
	BaseURL string
}

// Hint names the flag and value that work, exactly. jwksCmd words it for
// baverify jwks, whose JWKS URL is an argument.
func (a *Alternative) Hint(jwksCmd bool) string {
	return httpclient.RedactURLPasswords(a.hint(jwksCmd))
}

func (a *Alternative) hint(jwksCmd bool) string {
	h := "a JWKS is served at " + a.JWKSURL + ": "
	switch {
	case a.BaseURL != "" && jwksCmd:
		return h + "run baverify jwks --base-url " + a.BaseURL + " (or baverify jwks " + a.JWKSURL + ")"
	case a.BaseURL != "":
		return h + "use --base-url " + a.BaseURL + " (or --jwks " + a.JWKSURL + ")"
	case jwksCmd:
		return h + "run baverify jwks " + a.JWKSURL
	}
	return h + "use --jwks " + a.JWKSURL
}

// FindAlternative looks, after fetched answered 404, at the places the
// user most likely meant by given (their --base-url, --jwks or argument):
// the origin + /api/auth/jwks, given + /jwks, and given with /jwks dropped.
// One GET each, without credentials, all within one --timeout, bodies
// bounded as every JWKS read is. It returns the first that serves a JWKS,
// or nil.
func FindAlternative(ctx context.Context, f *jwks.Fetcher, fetched, given string) *Alternative {
	u, err := url.Parse(given)
	if err != nil || f == nil || f.Client == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	origin := u.Scheme + "://" + u.Host
	trimmed := strings.TrimRight(given, "/")
	candidates := []string{origin + "/api/auth/jwks", trimmed + "/jwks"}
	if parent, ok := strings.CutSuffix(trimmed, "/jwks"); ok && parent != origin {
		candidates = append(candidates, parent)
	}
	if f.Client.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Client.Timeout)
		defer cancel()
	}
	seen := map[string]bool{strings.TrimRight(fetched, "/"): true}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		doc, err := f.Get(ctx, c, nil)
		if err != nil || doc.HTTP.Status != http.StatusOK {
			continue
		}
		if _, err := jwks.Parse(doc.Body); err != nil {
			continue
		}
		alt := &Alternative{JWKSURL: c}
		if c == origin+"/api/auth/jwks" {
			alt.BaseURL = origin
		}
		return alt
	}
	return nil
}

// Refresh refetches the JWKS when the keys came from the cache without a
// request, once per run, and at most once per jwks.RefetchInterval per URL.
// It returns nil, nil when refetching would not help: a document fetched or
// confirmed by the server during this run, the rate limit, a second call.
func (r *Remote) Refresh(ctx context.Context) (*verify.KeySet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.fromCache || r.refetched || r.entry == nil {
		return nil, nil
	}
	now := r.Fetcher.Now()
	if !r.entry.CanForceRefetch(now) {
		return nil, nil
	}
	r.refetched = true
	// The attempt counts against the limit even when it fails.
	r.entry.LastForcedRefetch = now
	doc, err := r.Fetcher.Get(ctx, r.URL, nil)
	if err == nil {
		var keys *verify.KeySet
		if keys, err = ToKeySet(doc); err == nil {
			return r.refetched200(doc, keys), nil
		}
	}
	r.put(r.entry)
	r.warn(fmt.Sprintf("refetching the JWKS for an unknown kid failed; the cached keys were used: %v", err))
	return nil, err
}

// refetched200 adopts the answer of a successful forced refetch.
func (r *Remote) refetched200(doc *jwks.Document, keys *verify.KeySet) *verify.KeySet {
	r.Doc, r.keys, r.fromCache = doc, keys, false
	r.facts.Revalidated = false
	if e := jwks.NewCacheEntry(doc); e != nil {
		r.store(e)
	} else {
		r.put(r.entry)
	}
	return keys
}

// ToKeySet checks that a document is a usable JWKS answer and parses it.
// Anything else is a *jwks.SourceError: the key source is not a JWKS.
func ToKeySet(doc *jwks.Document) (*verify.KeySet, error) {
	if doc.HTTP != nil && doc.HTTP.Status != http.StatusOK {
		return nil, &jwks.SourceError{Source: doc.Source, Err: statusError(doc), Hint: jwks.StatusHint(doc.HTTP.Status)}
	}
	set, err := jwks.Parse(doc.Body)
	if err != nil {
		return nil, &jwks.SourceError{Source: doc.Source, Err: err, Hint: jwks.FailureHint(err)}
	}
	ks := &verify.KeySet{Set: set, Source: doc.Source, Origin: OriginOf(doc)}
	for _, k := range set.Keys {
		if len(k.PrivateMembers) > 0 {
			ks.PrivateMembers = true
		}
	}
	return ks, nil
}

// OriginOf says where a document's keys came from, for results.
func OriginOf(doc *jwks.Document) *verify.KeysOrigin {
	o := &verify.KeysOrigin{Location: doc.Source, From: doc.From, StaleReason: doc.StaleReason}
	if o.From == "" {
		o.From = jwks.FromNetwork
	}
	if doc.HTTP != nil && (o.From == jwks.FromCache || o.From == jwks.FromStaleCache) {
		age := doc.HTTP.CacheAgeSeconds
		o.AgeSeconds = &age
	}
	return o
}

func statusError(doc *jwks.Document) error {
	msg := fmt.Sprintf("HTTP %d", doc.HTTP.Status)
	if len(doc.Body) == 0 {
		msg += " (empty response, 0 bytes)"
	}
	// The body is the server's: quoted on one line (runs of whitespace,
	// line breaks included, become one space), so that it cannot print
	// lines of its own after the message.
	body := strings.Join(strings.Fields(string(doc.Body)), " ")
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	if body != "" {
		msg += ": " + body
	}
	return errors.New(msg)
}
