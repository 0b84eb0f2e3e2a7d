package keysource

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

const (
	key1 = `{"alg":"EdDSA","crv":"Ed25519","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ","kty":"OKP","kid":"key1"}`
	key2 = `{"alg":"EdDSA","crv":"Ed25519","x":"fTosP2oLoPXGuzUIlDYOtbJNJBrGwl_NZpcou-Mp7B0","kty":"OKP","kid":"key2"}`
)

// jwksServer serves a JWKS whose body, headers and status the test
// changes, and records every request.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	status   int
	etag     string
	cacheCtl string
	requests []*http.Request
}

func newJWKSServer(t *testing.T, body string) *jwksServer {
	s := &jwksServer{body: body, status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, r.Clone(context.Background()))
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
			if r.Header.Get("If-None-Match") == s.etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if s.cacheCtl != "" {
			w.Header().Set("Cache-Control", s.cacheCtl)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		w.Write([]byte(s.body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *jwksServer) last() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one cache directory and clock shared by several runs.
type env struct {
	srv      *jwksServer
	cache    *jwks.Cache
	clock    *clock
	warnings []string
}

// newEnv's server says its JWKS is fresh for 5 minutes; tests of a server
// that says nothing (Better Auth) clear cacheCtl.
func newEnv(t *testing.T, body string) *env {
	e := &env{srv: newJWKSServer(t, body), cache: &jwks.Cache{Dir: t.TempDir()},
		clock: &clock{now: time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)}}
	e.srv.cacheCtl = "max-age=300"
	return e
}

// remote is a new run: a fresh Remote over the shared cache.
func (e *env) remote() *Remote {
	return &Remote{URL: e.srv.URL + "/api/auth/jwks", Cache: e.cache,
		Fetcher: &jwks.Fetcher{Client: e.srv.Client(), Now: e.clock.Now},
		Warn:    func(s string) { e.warnings = append(e.warnings, s) }}
}

func loadKids(t *testing.T, r *Remote) []string {
	t.Helper()
	ks, err := r.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ks.Set.Kids()
}

// TestRemoteCacheFreshEntryMakesNoRequest: a second run within the
// server's max-age is served from the cache, says so, and makes zero
// requests.
func TestRemoteCacheFreshEntryMakesNoRequest(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	first := e.remote()
	if got := loadKids(t, first); !slices.Equal(got, []string{"key1"}) {
		t.Fatalf("kids %v", got)
	}
	if f := first.CacheFacts(); !f.Enabled || !f.Stored || f.Freshness != 5*time.Minute || !f.ServerTTL || first.Doc.HTTP.FromCache {
		t.Fatalf("first run: %+v, %+v", f, first.Doc.HTTP)
	}
	e.clock.advance(4*time.Minute + 59*time.Second)
	second := e.remote()
	ks, err := second.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.count() != 1 {
		t.Fatalf("%d requests, want 1 (the second run is served from the cache)", e.srv.count())
	}
	if h := second.Doc.HTTP; !h.FromCache || h.CacheAgeSeconds != 299 || h.Status != 200 || h.ContentType != "application/json" {
		t.Fatalf("cached document: %+v", h)
	}
	if o := ks.Origin; o.From != jwks.FromCache || o.AgeSeconds == nil || *o.AgeSeconds != 299 || len(e.warnings) != 0 {
		t.Fatalf("origin %+v, warnings %v", o, e.warnings)
	}
}

// TestRemoteCacheServerMaxAge: Cache-Control max-age sets the freshness.
func TestRemoteCacheServerMaxAge(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	e.srv.set(func(s *jwksServer) { s.cacheCtl = "public, max-age=30" })
	r := e.remote()
	loadKids(t, r)
	if f := r.CacheFacts(); f.Freshness != 30*time.Second || !f.ServerTTL {
		t.Fatalf("facts %+v", f)
	}
	e.clock.advance(29 * time.Second)
	loadKids(t, e.remote())
	e.clock.advance(time.Second)
	loadKids(t, e.remote())
	if e.srv.count() != 2 {
		t.Fatalf("%d requests, want 2 (fresh at 29s, stale at 30s)", e.srv.count())
	}
	e.srv.set(func(s *jwksServer) { s.cacheCtl = "no-store" })
	e.clock.advance(time.Hour)
	loadKids(t, e.remote())
	loadKids(t, e.remote())
	if e.srv.count() != 4 {
		t.Fatalf("%d requests: a no-store answer must not be served from the cache", e.srv.count())
	}
}

// TestRemoteCacheStaleRevalidates: a stale entry with an ETag makes one
// conditional request; the 304 keeps the entry, renews it, and the next
// run is fresh again.
func TestRemoteCacheStaleRevalidates(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	e.srv.set(func(s *jwksServer) { s.etag = `"v1"` })
	loadKids(t, e.remote())
	e.clock.advance(6 * time.Minute)
	r := e.remote()
	if got := loadKids(t, r); !slices.Equal(got, []string{"key1"}) {
		t.Fatalf("kids %v", got)
	}
	if e.srv.count() != 2 || e.srv.last().Header.Get("If-None-Match") != `"v1"` {
		t.Fatalf("%d requests; the last had If-None-Match %q", e.srv.count(), e.srv.last().Header.Get("If-None-Match"))
	}
	f := r.CacheFacts()
	if !f.Revalidated || !f.Stored || !r.Doc.HTTP.FromCache || r.Doc.HTTP.CacheAgeSeconds != 0 || r.Doc.HTTP.Status != 200 || r.Doc.HTTP.ETag != `"v1"` {
		t.Fatalf("after 304: %+v %+v", f, r.Doc.HTTP)
	}
	// The server confirmed the set during this run: an unknown kid does not
	// refetch again.
	if ks, err := r.Refresh(context.Background()); ks != nil || err != nil || e.srv.count() != 2 {
		t.Fatalf("Refresh after a 304: %v, %v, %d requests", ks, err, e.srv.count())
	}
	e.clock.advance(4 * time.Minute)
	loadKids(t, e.remote())
	if e.srv.count() != 2 {
		t.Fatalf("the 304 renewed the entry: %d requests", e.srv.count())
	}
}

// TestRemoteCacheStaleChanged: a stale entry whose JWKS changed gets the
// new one (200) and stores it.
func TestRemoteCacheStaleChanged(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	e.srv.set(func(s *jwksServer) { s.etag = `"v1"` })
	loadKids(t, e.remote())
	e.srv.set(func(s *jwksServer) { s.etag, s.body = `"v2"`, `{"keys":[`+key1+`,`+key2+`]}` })
	e.clock.advance(6 * time.Minute)
	if got := loadKids(t, e.remote()); !slices.Equal(got, []string{"key1", "key2"}) {
		t.Fatalf("kids %v", got)
	}
	if got := loadKids(t, e.remote()); !slices.Equal(got, []string{"key1", "key2"}) || e.srv.count() != 2 {
		t.Fatalf("kids %v after %d requests", got, e.srv.count())
	}
}

// TestRemoteCacheStaleWithoutValidators: without ETag or Last-Modified
// (Better Auth sends neither) a stale entry is fetched in full.
func TestRemoteCacheStaleWithoutValidators(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	loadKids(t, e.remote())
	e.clock.advance(5 * time.Minute)
	r := e.remote()
	loadKids(t, r)
	if e.srv.count() != 2 || e.srv.last().Header.Get("If-None-Match") != "" || e.srv.last().Header.Get("If-Modified-Since") != "" {
		t.Fatalf("%d requests, last headers %v", e.srv.count(), e.srv.last().Header)
	}
	if r.Doc.HTTP.FromCache || !r.CacheFacts().Stored {
		t.Fatalf("%+v", r.Doc.HTTP)
	}
}

// TestRemoteRefreshUnknownKid: a document served from the cache is fetched
// again once for an unknown kid; a second unknown kid within 30 s, in the
// same run or the next, makes no request; after 30 s one more is allowed.
func TestRemoteRefreshUnknownKid(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	loadKids(t, e.remote())
	e.srv.set(func(s *jwksServer) { s.body = `{"keys":[` + key1 + `,` + key2 + `]}` })

	r := e.remote()
	loadKids(t, r)
	ks, err := r.Refresh(context.Background())
	if err != nil || ks == nil || !slices.Equal(ks.Set.Kids(), []string{"key1", "key2"}) {
		t.Fatalf("Refresh = %v, %v", ks, err)
	}
	if e.srv.count() != 2 || e.srv.last().Header.Get("If-None-Match") != "" {
		t.Fatalf("%d requests, want exactly one refetch", e.srv.count())
	}
	if ks2, _ := r.Refresh(context.Background()); ks2 != nil {
		t.Fatal("a second Refresh in one run refetched")
	}
	if got := loadKids(t, r); !slices.Equal(got, []string{"key1", "key2"}) {
		t.Fatalf("Load after Refresh: %v", got)
	}
	// The refetched set is in the cache for the next run.
	e.clock.advance(10 * time.Second)
	next := e.remote()
	if got := loadKids(t, next); !slices.Equal(got, []string{"key1", "key2"}) || e.srv.count() != 2 {
		t.Fatalf("next run: %v, %d requests", got, e.srv.count())
	}
	// Rate limit: another unknown kid 10 s after the refetch is not fetched.
	if ks, err := next.Refresh(context.Background()); ks != nil || err != nil || e.srv.count() != 2 {
		t.Fatalf("rate limit: %v, %v, %d requests", ks, err, e.srv.count())
	}
	e.clock.advance(jwks.RefetchInterval)
	later := e.remote()
	loadKids(t, later)
	if ks, err := later.Refresh(context.Background()); ks == nil || err != nil || e.srv.count() != 3 {
		t.Fatalf("after the interval: %v, %v, %d requests", ks, err, e.srv.count())
	}
}

// TestRemoteRefreshFailureCounts: a failed refetch still counts against the
// rate limit, is reported through Warn, and the cached keys stay.
func TestRemoteRefreshFailureCounts(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	loadKids(t, e.remote())
	e.srv.set(func(s *jwksServer) { s.status = 500 })
	r := e.remote()
	loadKids(t, r)
	if ks, err := r.Refresh(context.Background()); ks != nil || err == nil {
		t.Fatalf("Refresh = %v, %v", ks, err)
	}
	if len(e.warnings) != 1 || !strings.Contains(e.warnings[0], "HTTP 500") {
		t.Fatalf("warnings %v", e.warnings)
	}
	e.srv.set(func(s *jwksServer) { s.status = 200 })
	e.clock.advance(time.Second)
	r2 := e.remote()
	if got := loadKids(t, r2); !slices.Equal(got, []string{"key1"}) {
		t.Fatalf("the cached keys are lost: %v", got)
	}
	if ks, _ := r2.Refresh(context.Background()); ks != nil || e.srv.count() != 2 {
		t.Fatalf("the failed attempt did not count: %d requests", e.srv.count())
	}
}

// TestRemoteRefreshFetchedThisRun: nothing is refetched when the document
// came from the server during this run, with or without a cache.
func TestRemoteRefreshFetchedThisRun(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	for name, r := range map[string]*Remote{"cache": e.remote(), "no cache": {URL: e.srv.URL, Fetcher: &jwks.Fetcher{Client: e.srv.Client(), Now: e.clock.Now}}} {
		before := e.srv.count()
		loadKids(t, r)
		if ks, err := r.Refresh(context.Background()); ks != nil || err != nil || e.srv.count() != before+1 {
			t.Fatalf("%s: Refresh = %v, %v after %d requests", name, ks, err, e.srv.count()-before)
		}
	}
}

// TestRemoteNoCache: without a cache every run fetches and nothing is
// written.
func TestRemoteNoCache(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	for range 3 {
		r := &Remote{URL: e.srv.URL, Fetcher: &jwks.Fetcher{Client: e.srv.Client(), Now: e.clock.Now}}
		loadKids(t, r)
		if f := r.CacheFacts(); f.Enabled || f.Stored {
			t.Fatalf("facts %+v", f)
		}
	}
	if e.srv.count() != 3 {
		t.Fatalf("%d requests", e.srv.count())
	}
	if names, _ := os.ReadDir(e.cache.Dir); len(names) != 0 {
		t.Fatalf("files %v", names)
	}
}

// TestRemoteCorruptEntry: a corrupt entry is ignored with a warning, the
// JWKS is fetched, and the entry is rewritten.
func TestRemoteCorruptEntry(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	loadKids(t, e.remote())
	names, _ := os.ReadDir(e.cache.Dir)
	path := filepath.Join(e.cache.Dir, names[0].Name())
	if err := os.WriteFile(path, []byte(`{"version":1,"url":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := loadKids(t, e.remote()); !slices.Equal(got, []string{"key1"}) || e.srv.count() != 2 {
		t.Fatalf("kids %v after %d requests", got, e.srv.count())
	}
	if len(e.warnings) != 1 || !strings.Contains(e.warnings[0], "unusable and was ignored") || !strings.Contains(e.warnings[0], "corrupt cache entry") {
		t.Fatalf("warnings %v", e.warnings)
	}
	e.warnings = nil
	loadKids(t, e.remote())
	if e.srv.count() != 2 || len(e.warnings) != 0 {
		t.Fatalf("the entry was not rewritten: %d requests, %v", e.srv.count(), e.warnings)
	}
}

// TestRemoteUnwritableCache: a cache that cannot be written is a warning;
// the keys still load.
func TestRemoteUnwritableCache(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	e.cache.Dir = filepath.Join(file, "cache") // a directory under a file
	r := e.remote()
	if got := loadKids(t, r); !slices.Equal(got, []string{"key1"}) {
		t.Fatalf("kids %v", got)
	}
	if len(e.warnings) != 1 || !strings.Contains(e.warnings[0], "could not be written") || r.CacheFacts().Stored {
		t.Fatalf("warnings %v, facts %+v", e.warnings, r.CacheFacts())
	}
}

// TestRemoteNon200: a non-200 answer is a document for the linter, an
// error for Load, and never cached.
func TestRemoteNon200(t *testing.T) {
	e := newEnv(t, `{"message":"Not Found"}`)
	e.srv.set(func(s *jwksServer) { s.status = 404 })
	r := e.remote()
	doc, err := r.Document(context.Background())
	if err != nil || doc.HTTP.Status != 404 {
		t.Fatalf("Document = %+v, %v", doc, err)
	}
	var se *jwks.SourceError
	if _, err := r.Load(context.Background()); !errors.As(err, &se) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("Load: %v", err)
	}
	if r.CacheFacts().Stored {
		t.Fatal("a 404 was cached")
	}
	e.remote().Document(context.Background())
	if e.srv.count() != 2 {
		t.Fatalf("%d requests", e.srv.count())
	}
}

// TestRemoteConcurrentLoad: one run's Load and Refresh are safe to call
// from several goroutines and fetch once.
func TestRemoteConcurrentLoad(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	r := e.remote()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Load(context.Background())
			r.Refresh(context.Background())
			r.CacheFacts()
		}()
	}
	wg.Wait()
	if e.srv.count() != 1 {
		t.Fatalf("%d requests", e.srv.count())
	}
}

func TestResolve(t *testing.T) {
	cache := &jwks.Cache{Dir: t.TempDir()}
	warn := func(string) {}
	for _, tc := range []struct {
		name     string
		opts     Options
		iss      string
		location string
		remote   bool
		err      string
	}{
		{"base URL", Options{BaseURL: "https://app.example.com"}, "", "https://app.example.com/api/auth/jwks", true, ""},
		{"base URL with path and jwks path", Options{BaseURL: "https://x.example/custom/auth/", JWKSPath: "/keys"}, "", "https://x.example/custom/auth/keys", true, ""},
		{"explicit URL wins", Options{BaseURL: "https://app.example.com", JWKS: "https://keys.example/jwks"}, "", "https://keys.example/jwks", true, ""},
		{"file", Options{JWKS: "jwks.json"}, "", "jwks.json", false, ""},
		{"stdin", Options{JWKS: "-"}, "", "-", false, ""},
		{"discovery", Options{}, "https://app.example.com", "https://app.example.com/api/auth/jwks", true, ""},
		{"no discovery", Options{NoDiscover: true}, "https://app.example.com", "", false, ""},
		{"no discovery of an iss with a query", Options{}, "http://internal.host/x?y=", "", false, ""},
		{"jwks path alone", Options{JWKSPath: "/keys"}, "", "", false, "needs --base-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Cache, tc.opts.Warn = cache, warn
			res, err := Resolve(tc.opts, tc.iss)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || res.Location != tc.location {
				t.Fatalf("Resolve = %+v, %v", res, err)
			}
			if wantWhy := strings.Contains(tc.iss, "?"); wantWhy != strings.Contains(res.NotDiscovered, "query") {
				t.Fatalf("NotDiscovered = %q", res.NotDiscovered)
			}
			remote, isRemote := res.Keys.(*Remote)
			if isRemote != tc.remote || (isRemote && (remote.Cache != cache || remote.Warn == nil)) {
				t.Fatalf("keys %T %+v", res.Keys, res.Keys)
			}
			if res.Keys != nil {
				if _, ok := res.Keys.(DocumentSource); !ok {
					t.Fatalf("%T is not a DocumentSource", res.Keys)
				}
			}
		})
	}
}

func TestReader(t *testing.T) {
	r := &Reader{Name: "-", R: strings.NewReader(`{"keys":[` + key1 + `]}`)}
	doc, err := r.Document(context.Background())
	if err != nil || doc.Source != "stdin" || doc.HTTP != nil {
		t.Fatalf("Document = %+v, %v", doc, err)
	}
	ks, err := r.Load(context.Background())
	if err != nil || !slices.Equal(ks.Set.Kids(), []string{"key1"}) {
		t.Fatalf("Load = %v, %v", ks, err)
	}
	if ks, err := r.Refresh(context.Background()); ks != nil || err != nil {
		t.Fatal("a file is never refreshed")
	}
	bad := &Reader{Name: "-", R: strings.NewReader(`<html>`)}
	if _, err := bad.Document(context.Background()); err != nil {
		t.Fatalf("an invalid document is still a document for the linter: %v", err)
	}
	var se *jwks.SourceError
	if _, err := bad.Load(context.Background()); !errors.As(err, &se) {
		t.Fatalf("Load: %v", err)
	}
	if _, err := (&Reader{Name: filepath.Join(t.TempDir(), "missing.json")}).Document(context.Background()); !errors.As(err, &se) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestRemoteServerSaysNothingAsksEveryRun: without max-age or Expires
// (Better Auth sends none) every run asks again, conditionally when the
// server gave an ETag, and says where the keys came from.
func TestRemoteServerSaysNothingAsksEveryRun(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	e.srv.set(func(s *jwksServer) { s.cacheCtl = "" })
	first, err := e.remote().Load(context.Background())
	if err != nil || first.Origin.From != jwks.FromNetwork {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	e.clock.advance(time.Second)
	second, err := e.remote().Load(context.Background())
	if err != nil || e.srv.count() != 2 || second.Origin.From != jwks.FromNetwork {
		t.Fatalf("second run: %d requests, origin %+v, %v", e.srv.count(), second.Origin, err)
	}
	e.srv.set(func(s *jwksServer) { s.etag = `"v1"` })
	loadKids(t, e.remote()) // stores the ETag
	third, err := e.remote().Load(context.Background())
	if err != nil || e.srv.count() != 4 || e.srv.last().Header.Get("If-None-Match") != `"v1"` || third.Origin.From != jwks.FromRevalidated || third.Origin.AgeSeconds != nil {
		t.Fatalf("revalidation: %d requests, origin %+v, %v", e.srv.count(), third.Origin, err)
	}
}

// TestRemoteCacheTTL: --cache-ttl keeps an entry for longer than the
// server said, without a request, and says the keys came from the cache.
func TestRemoteCacheTTL(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	e.srv.set(func(s *jwksServer) { s.cacheCtl = "" })
	loadKids(t, e.remote())
	e.clock.advance(59 * time.Second)
	r := e.remote()
	r.TTL = time.Minute
	ks, err := r.Load(context.Background())
	if err != nil || e.srv.count() != 1 || ks.Origin.From != jwks.FromCache || *ks.Origin.AgeSeconds != 59 {
		t.Fatalf("%d requests, origin %+v, %v", e.srv.count(), ks.Origin, err)
	}
	if f := r.CacheFacts(); f.TTL != time.Minute || f.ServerTTL {
		t.Fatalf("facts %+v", f)
	}
	e.clock.advance(time.Second)
	r = e.remote()
	r.TTL = time.Minute
	loadKids(t, r)
	if e.srv.count() != 2 {
		t.Fatalf("%d requests: the TTL is over", e.srv.count())
	}
}

// TestRemoteRevalidate: call and probe ask the server even while the
// server's max-age says the entry is fresh; only --cache-ttl skips that.
func TestRemoteRevalidate(t *testing.T) {
	e := newEnv(t, `{"keys":[`+key1+`]}`)
	loadKids(t, e.remote())
	r := e.remote()
	r.Revalidate = true
	ks, err := r.Load(context.Background())
	if err != nil || e.srv.count() != 2 || ks.Origin.From != jwks.FromNetwork {
		t.Fatalf("%d requests, origin %+v, %v", e.srv.count(), ks.Origin, err)
	}
	r = e.remote()
	r.Revalidate, r.TTL = true, time.Minute
	if ks, err = r.Load(context.Background()); err != nil || e.srv.count() != 2 || ks.Origin.From != jwks.FromCache {
		t.Fatalf("with --cache-ttl: %d requests, origin %+v, %v", e.srv.count(), ks.Origin, err)
	}
}

// TestRemoteStaleFallback: when the server cannot be asked (no answer, 5xx,
// 429) the cached copy stands in, loudly, naming its age and the failure;
// a 404 is the server's word and is not papered over; baverify jwks
// (AllowStale off) reports the failure.
func TestRemoteStaleFallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		down   bool
		stale  bool
		reason string
	}{
		{"503", http.StatusServiceUnavailable, false, true, "HTTP 503 Service Unavailable"},
		{"429", http.StatusTooManyRequests, false, true, "HTTP 429 Too Many Requests"},
		{"refused", 200, true, true, "connection refused"},
		{"404", http.StatusNotFound, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, `{"keys":[`+key1+`]}`)
			e.srv.set(func(s *jwksServer) { s.cacheCtl = "" })
			loadKids(t, e.remote())
			e.clock.advance(2 * time.Hour)
			e.srv.set(func(s *jwksServer) { s.status, s.body = tc.status, `{"error":"nope"}` })
			if tc.down {
				e.srv.Close()
			}
			r := e.remote()
			r.AllowStale = true
			ks, err := r.Load(context.Background())
			if !tc.stale {
				if err == nil || len(e.warnings) != 0 {
					t.Fatalf("a %s used the cache: %+v, warnings %v", tc.name, ks, e.warnings)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := ks.Origin
			if o.From != jwks.FromStaleCache || !strings.Contains(o.StaleReason, tc.reason) || o.AgeSeconds == nil || *o.AgeSeconds != 7200 {
				t.Fatalf("origin %+v", o)
			}
			if len(e.warnings) != 1 || !strings.Contains(e.warnings[0], "STALE") || !strings.Contains(e.warnings[0], "2h") || !strings.Contains(e.warnings[0], tc.reason) {
				t.Fatalf("warnings %q", e.warnings)
			}
			jwksRun := e.remote()
			if _, err := jwksRun.Load(context.Background()); err == nil {
				t.Fatal("without AllowStale the failure must be reported")
			}
		})
	}
}
