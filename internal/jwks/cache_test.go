package jwks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
)

const testJWKS = `{"keys":[{"alg":"EdDSA","crv":"Ed25519","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ","kty":"OKP","kid":"hL2uSJifK2R1El5ElOkR9Xi8MMt1LNBQ"}]}`

func testDoc(url, cacheControl string) *Document {
	return &Document{Source: url, Body: []byte(testJWKS), FetchedAt: testNow, HTTP: &HTTPInfo{
		Status: 200, ContentType: "application/json", CacheControl: cacheControl,
		ETag: `"v1"`, LastModified: "Thu, 26 Nov 2026 19:00:00 GMT", Bytes: len(testJWKS), LatencyMs: 7,
	}}
}

func TestCachePutGet(t *testing.T) {
	c := &Cache{Dir: filepath.Join(t.TempDir(), "nested", "baverify")}
	if e, err := c.Get(fixtureURL); e != nil || err != nil {
		t.Fatalf("empty cache: %v, %v", e, err)
	}
	e := NewCacheEntry(testDoc(fixtureURL, "max-age=60"))
	e.LastForcedRefetch = testNow.Add(-time.Minute)
	if err := c.Put(e); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(fixtureURL)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != fixtureURL || string(got.Body) != testJWKS || got.ETag != `"v1"` || got.CacheControl != "max-age=60" ||
		!got.FetchedAt.Equal(testNow) || !got.LastForcedRefetch.Equal(e.LastForcedRefetch) || got.ContentType != "application/json" {
		t.Fatalf("round trip: %+v", got)
	}
	if other, err := c.Get(fixtureURL + "?x"); other != nil || err != nil {
		t.Fatalf("another URL has its own entry: %v, %v", other, err)
	}
	// One file per URL, named by the SHA-256 of the URL, 0600 in a 0700
	// directory, and no temporary file left behind.
	names, _ := os.ReadDir(c.Dir)
	if len(names) != 1 || !isEntryName(names[0].Name()) {
		t.Fatalf("files: %v", names)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(filepath.Join(c.Dir, names[0].Name()))
		di, _ := os.Stat(c.Dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Fatalf("modes: file %v, dir %v", fi.Mode().Perm(), di.Mode().Perm())
		}
	}
}

func TestCacheCorruptEntries(t *testing.T) {
	valid := NewCacheEntry(testDoc(fixtureURL, ""))
	encode := func(change func(e *CacheEntry)) []byte {
		e := *valid
		change(&e)
		b, _ := json.Marshal(&e)
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"garbage", []byte("\x00\x01garbage"), "invalid character"},
		{"torn write", encode(func(*CacheEntry) {})[:100], "unexpected end"},
		{"empty file", nil, "unexpected end"},
		{"another format version", encode(func(e *CacheEntry) { e.Version = 2 }), "version 2"},
		{"another URL", encode(func(e *CacheEntry) { e.URL = "https://evil.example/jwks" }), "another URL"},
		{"a 404", encode(func(e *CacheEntry) { e.Status = 404 }), "status 404"},
		{"no fetch time", encode(func(e *CacheEntry) { e.FetchedAt = time.Time{} }), "no fetch time"},
		{"empty body", encode(func(e *CacheEntry) { e.Body = nil }), "body of 0 bytes"},
		{"body not a JWKS", encode(func(e *CacheEntry) { e.Body = []byte("<html>") }), "not valid JSON"},
		{"too large", []byte(`{"body":"` + strings.Repeat("A", maxEntryBytes) + `"}`), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cache{Dir: t.TempDir()}
			if err := os.WriteFile(c.path(fixtureURL), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			e, err := c.Get(fixtureURL)
			if e != nil || !errors.Is(err, ErrCorruptEntry) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Get = %v, %v; want ErrCorruptEntry containing %q", e, err, tc.msg)
			}
			// A good write replaces a corrupt entry.
			if err := c.Put(valid); err != nil {
				t.Fatal(err)
			}
			if e, err := c.Get(fixtureURL); e == nil || err != nil {
				t.Fatalf("after Put: %v, %v", e, err)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		c := &Cache{Dir: t.TempDir()}
		if err := os.Mkdir(c.path(fixtureURL), 0o700); err != nil { // a directory where the file should be
			t.Fatal(err)
		}
		if e, err := c.Get(fixtureURL); e != nil || err == nil {
			t.Fatalf("Get = %v, %v", e, err)
		}
	})
}

// TestCacheConcurrentWriters: parallel writers and readers of one URL (CI
// jobs sharing a cache) never see a torn entry.
func TestCacheConcurrentWriters(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 25 {
				d := testDoc(fixtureURL, fmt.Sprintf("max-age=%d", i*100+j))
				if err := c.Put(NewCacheEntry(d)); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := c.Get(fixtureURL); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, _ := os.ReadDir(c.Dir)
	if len(names) != 1 {
		t.Fatalf("files left: %v", names)
	}
}

func TestCacheClear(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Dir: dir}
	for _, u := range []string{fixtureURL, "https://other.example/api/auth/jwks"} {
		if err := c.Put(NewCacheEntry(testDoc(u, ""))); err != nil {
			t.Fatal(err)
		}
	}
	keep := []string{"notes.txt", strings.Repeat("a", 64) + ".txt", "ABC.json"}
	for _, name := range append(keep, ".tmp-123.json") {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600)
	}
	n, err := c.Clear()
	if err != nil || n != 2 {
		t.Fatalf("Clear = %d, %v", n, err)
	}
	names, _ := os.ReadDir(dir)
	var left []string
	for _, de := range names {
		left = append(left, de.Name())
	}
	if strings.Join(left, ",") != "ABC.json,"+keep[1]+",notes.txt" {
		t.Fatalf("Clear removed files that are not baverify's, or left its own: %v", left)
	}
	if n, err := (&Cache{Dir: filepath.Join(dir, "missing")}).Clear(); n != 0 || err != nil {
		t.Fatalf("missing dir: %d, %v", n, err)
	}
}

// --cache-ttl lets the user keep an entry fresh for longer than the
// server said, never shorter.
func TestCacheEntryFreshWithTTL(t *testing.T) {
	noHeaders := NewCacheEntry(testDoc(fixtureURL, ""))
	maxAge := NewCacheEntry(testDoc(fixtureURL, "max-age=600"))
	for _, tc := range []struct {
		e     *CacheEntry
		age   time.Duration
		ttl   time.Duration
		fresh bool
	}{
		{noHeaders, time.Minute, 0, false},
		{noHeaders, time.Minute, 5 * time.Minute, true},
		{noHeaders, 5 * time.Minute, 5 * time.Minute, false},
		{maxAge, 9 * time.Minute, time.Minute, true},
		{maxAge, 11 * time.Minute, time.Hour, true},
		{maxAge, 11 * time.Minute, 0, false},
	} {
		if got := tc.e.Fresh(testNow.Add(tc.age), tc.ttl); got != tc.fresh {
			t.Errorf("Cache-Control %q, age %v, ttl %v: Fresh = %v", tc.e.CacheControl, tc.age, tc.ttl, got)
		}
	}
}

// An entry fetched while trusting extra CA certificates (--cacert) is
// never used by a run with other trust settings, nor the other way round.
func TestCacheKeyedByTrust(t *testing.T) {
	dir := t.TempDir()
	plain := &Cache{Dir: dir}
	withCA := &Cache{Dir: dir, Trust: TrustKey([]byte("-----BEGIN CERTIFICATE-----\nA\n"), nil)}
	otherCA := &Cache{Dir: dir, Trust: TrustKey([]byte("-----BEGIN CERTIFICATE-----\nB\n"), nil)}
	if TrustKey(nil, nil) != "" || withCA.Trust == otherCA.Trust {
		t.Fatalf("trust keys: %q %q", withCA.Trust, otherCA.Trust)
	}
	if err := withCA.Put(NewCacheEntry(testDoc(fixtureURL, "max-age=600"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Cache{plain, otherCA} {
		if e, err := c.Get(fixtureURL); e != nil || err != nil {
			t.Errorf("trust %q read the --cacert entry: %v, %v", c.Trust, e, err)
		}
	}
	if e, err := withCA.Get(fixtureURL); e == nil || err != nil || e.Trust != withCA.Trust {
		t.Fatalf("same trust: %v, %v", e, err)
	}
	// A file moved to another trust's name is refused, not trusted.
	if err := os.Rename(withCA.path(fixtureURL), plain.path(fixtureURL)); err != nil {
		t.Fatal(err)
	}
	if e, err := plain.Get(fixtureURL); e != nil || !errors.Is(err, ErrCorruptEntry) {
		t.Fatalf("moved entry: %v, %v", e, err)
	}
}

func TestParseCacheControl(t *testing.T) {
	for _, tc := range []struct {
		header    string
		want      time.Duration
		hasMaxAge bool
		store     bool
	}{
		{"", 0, false, true},
		{"public", 0, false, true},
		{"max-age=600", 10 * time.Minute, true, true},
		{"public, max-age=60, must-revalidate", time.Minute, true, true},
		{`Max-Age="120"`, 2 * time.Minute, true, true},
		{"max-age=0", 0, true, true},
		{"no-cache", 0, true, true},
		{"max-age=60, no-cache", 0, true, true},
		{"no-store", 0, false, false},
		{"private, no-store, max-age=60", time.Minute, true, false},
		{"max-age=-1", 0, true, true},
		{"max-age=abc", 0, true, true},
		{"max-age=", 0, true, true},
		{"max-age=60, max-age=10", time.Minute, true, true},
		// A server cannot pin keys for longer than a day.
		{"max-age=86400", 24 * time.Hour, true, true},
		{"max-age=86401", MaxFreshness, true, true},
		{"max-age=2147483647", MaxFreshness, true, true},
		{"max-age=99999999999999999999", MaxFreshness, true, true},
		{"s-maxage=60", 0, false, true},
	} {
		got, has, store := ParseCacheControl(tc.header)
		if got != tc.want || has != tc.hasMaxAge || store != tc.store {
			t.Errorf("ParseCacheControl(%q) = %v, %v, %v; want %v, %v, %v", tc.header, got, has, store, tc.want, tc.hasMaxAge, tc.store)
		}
	}
}

// The server decides freshness: max-age first, else Expires minus Date,
// never more than a day; nothing said means revalidate every time.
func TestFreshness(t *testing.T) {
	date := "Thu, 26 Nov 2026 19:00:00 GMT"
	for _, tc := range []struct {
		cacheControl, expires, date string
		want                        time.Duration
		fromServer                  bool
	}{
		{"", "", "", 0, false},
		{"", "", date, 0, false},
		{"max-age=300", "", date, 5 * time.Minute, true},
		{"max-age=300", "Thu, 26 Nov 2026 20:00:00 GMT", date, 5 * time.Minute, true},
		{"", "Thu, 26 Nov 2026 20:00:00 GMT", date, time.Hour, true},
		{"", "Thu, 26 Nov 2026 18:00:00 GMT", date, 0, true},
		{"", "0", date, 0, true},
		{"", "Thu, 26 Nov 2026 20:00:00 GMT", "", 0, true},
		{"", "Wed, 26 Nov 2094 19:00:00 GMT", date, MaxFreshness, true},
		{"max-age=2147483647", "", "", MaxFreshness, true},
		{"no-cache", "Thu, 26 Nov 2026 20:00:00 GMT", date, 0, true},
	} {
		got, from := Freshness(tc.cacheControl, tc.expires, tc.date)
		if got != tc.want || from != tc.fromServer {
			t.Errorf("Freshness(%q, %q, %q) = %v, %v; want %v, %v", tc.cacheControl, tc.expires, tc.date, got, from, tc.want, tc.fromServer)
		}
	}
}

func TestCacheEntryFreshness(t *testing.T) {
	for _, tc := range []struct {
		cacheControl string
		age          time.Duration
		fresh        bool
	}{
		// No max-age (Better Auth sends none): never fresh, always asked.
		{"", 0, false},
		{"", time.Second, false},
		{"max-age=600", 0, true},
		{"max-age=600", 9 * time.Minute, true},
		{"max-age=600", 10 * time.Minute, false},
		{"no-cache", 0, false},
		{"", -time.Minute, false}, // fetched "in the future": the clock moved back
	} {
		e := NewCacheEntry(testDoc(fixtureURL, tc.cacheControl))
		now := testNow.Add(tc.age)
		if e.Fresh(now, 0) != tc.fresh {
			t.Errorf("Cache-Control %q, age %v: Fresh = %v", tc.cacheControl, tc.age, !tc.fresh)
		}
		d := e.Document(now)
		if !d.HTTP.FromCache || d.HTTP.Status != 200 || d.HTTP.LatencyMs != 0 || string(d.Body) != testJWKS || d.Source != fixtureURL {
			t.Errorf("Document: %+v", d.HTTP)
		}
		if want := int64(max(tc.age, 0) / time.Second); d.HTTP.CacheAgeSeconds != want {
			t.Errorf("age %v: CacheAgeSeconds = %d", tc.age, d.HTTP.CacheAgeSeconds)
		}
	}
}

func TestNewCacheEntryOnlyCachesJWKSAnswers(t *testing.T) {
	ok := testDoc(fixtureURL, "")
	if e := NewCacheEntry(ok); e == nil || e.Version != cacheVersion || e.URL != fixtureURL {
		t.Fatalf("a 200 JWKS is cached: %+v", e)
	}
	for name, change := range map[string]func(d *Document){
		"a file":       func(d *Document) { d.HTTP = nil },
		"a 404":        func(d *Document) { d.HTTP.Status = http.StatusNotFound },
		"a 304":        func(d *Document) { d.HTTP.Status = http.StatusNotModified },
		"no-store":     func(d *Document) { d.HTTP.CacheControl = "no-store" },
		"an HTML page": func(d *Document) { d.Body = []byte("<html>") },
		"not a JWKS":   func(d *Document) { d.Body = []byte(`{"kty":"OKP"}`) },
	} {
		d := testDoc(fixtureURL, "")
		change(d)
		if e := NewCacheEntry(d); e != nil {
			t.Errorf("%s is cached", name)
		}
	}
	if NewCacheEntry(nil) != nil {
		t.Error("nil is cached")
	}
}

func TestCacheEntryRevalidation(t *testing.T) {
	e := NewCacheEntry(testDoc(fixtureURL, "max-age=60"))
	h := e.ConditionalHeader()
	if h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != "Thu, 26 Nov 2026 19:00:00 GMT" {
		t.Fatalf("conditional headers: %v", h)
	}
	e.Revalidated(&Document{FetchedAt: testNow.Add(time.Hour), HTTP: &HTTPInfo{Status: 304, ETag: `"v2"`}})
	if !e.FetchedAt.Equal(testNow.Add(time.Hour)) || e.ETag != `"v2"` || e.CacheControl != "max-age=60" || e.LastModified == "" {
		t.Fatalf("after a 304: %+v", e)
	}
	bare := NewCacheEntry(testDoc(fixtureURL, ""))
	bare.ETag, bare.LastModified = "", ""
	if bare.ConditionalHeader() != nil {
		t.Fatalf("no validators, no conditional request")
	}
}

func TestCanForceRefetch(t *testing.T) {
	e := NewCacheEntry(testDoc(fixtureURL, ""))
	if !e.CanForceRefetch(testNow) {
		t.Fatal("never refetched")
	}
	e.LastForcedRefetch = testNow
	for d, want := range map[time.Duration]bool{0: false, 29 * time.Second: false, RefetchInterval: true, time.Hour: true, -time.Hour: true} {
		if e.CanForceRefetch(testNow.Add(d)) != want {
			t.Errorf("%v after a refetch: CanForceRefetch = %v", d, !want)
		}
	}
}

// FuzzDecodeEntry: a cache file with any content is rejected or accepted
// without panicking, and an accepted entry is usable.
func FuzzDecodeEntry(f *testing.F) {
	good, _ := json.Marshal(NewCacheEntry(testDoc(fixtureURL, "max-age=60")))
	f.Add(good)
	f.Add([]byte(`{"version":1,"url":"u","status":200,"fetchedAt":"2026-01-01T00:00:00Z","body":"e30="}`))
	f.Add([]byte(`{"version":1,"body":"!!"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntry(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptEntry) {
				t.Fatalf("error does not wrap ErrCorruptEntry: %v", err)
			}
			return
		}
		if _, err := Parse(e.Body); err != nil || e.Status != 200 || e.URL == "" {
			t.Fatalf("accepted an unusable entry: %+v", e)
		}
		_ = e.Fresh(testNow, time.Minute)
		_ = e.Document(testNow)
		_ = e.ConditionalHeader()
	})
}

func FuzzParseFreshness(f *testing.F) {
	for _, s := range []string{"", "max-age=60", "no-store, no-cache", `max-age="1"`, "max-age=99999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, _, _ := ParseCacheControl(s)
		if d < 0 || d > MaxFreshness {
			t.Fatalf("ParseCacheControl(%q) = %v", s, d)
		}
		if d, _ := Freshness(s, s, s); d < 0 || d > MaxFreshness {
			t.Fatalf("Freshness(%q) = %v", s, d)
		}
	})
}

// Entries another user could have written are not trusted: a planted JWKS
// would have its keys accepted as if fetched.
func TestCacheRefusesEntriesOthersCouldWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	c := &Cache{Dir: t.TempDir()}
	if err := c.Put(NewCacheEntry(testDoc(fixtureURL, "max-age=60"))); err != nil {
		t.Fatal(err)
	}
	path := c.path(fixtureURL)
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if e, err := c.Get(fixtureURL); e != nil || !errors.Is(err, ErrCorruptEntry) || !strings.Contains(err.Error(), "writable by others") {
		t.Fatalf("a world-writable entry: %v, %v", e, err)
	}

	// A symbolic link to a file elsewhere is not an entry.
	elsewhere := filepath.Join(t.TempDir(), "planted.json")
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(elsewhere, data, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	if e, err := c.Get(fixtureURL); e != nil || !errors.Is(err, ErrCorruptEntry) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a symlinked entry: %v, %v", e, err)
	}
}

// Put makes an existing cache directory private before it writes there.
func TestCachePutTightensTheDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	c := &Cache{Dir: t.TempDir()}
	if err := os.Chmod(c.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(NewCacheEntry(testDoc(fixtureURL, "max-age=60"))); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(c.Dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", fi.Mode().Perm())
	}
}

// An entry Get would refuse as too large is not written at all.
func TestCachePutRefusesWhatGetWouldRefuse(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	e := NewCacheEntry(testDoc(fixtureURL, "max-age=60"))
	e.ETag = strings.Repeat("x", maxEntryBytes)
	if err := c.Put(e); err == nil {
		t.Fatal("an oversized entry was written")
	}
	if names, _ := os.ReadDir(c.Dir); len(names) != 0 {
		t.Fatalf("files left: %v", names)
	}
}

// Issue 16.2: an entry for a URL with a password stores the URL masked,
// is found again by the URL as fetched, and is kept apart from the same
// URL with another password. An entry written before masking (the password
// in clear) is a miss, so that the next fetch overwrites it.
func TestCacheStoresURLPasswordsMasked(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	withPW := "https://u:hunter2@app.example.com/api/auth/jwks"
	doc := testDoc(withPW, "max-age=60")
	doc.Source, doc.url = httpclient.RedactURLPasswords(withPW), withPW
	if err := c.Put(NewCacheEntry(doc)); err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(c.Dir)
	if len(names) != 1 {
		t.Fatalf("files: %v", names)
	}
	data, _ := os.ReadFile(filepath.Join(c.Dir, names[0].Name()))
	if strings.Contains(string(data), "hunter2") || !strings.Contains(string(data), "u:xxxxx@") {
		t.Fatalf("entry: %.200s", data)
	}
	got, err := c.Get(withPW)
	if err != nil || got == nil || got.URL != "https://u:xxxxx@app.example.com/api/auth/jwks" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if d := got.Document(testNow); d.Source != got.URL || d.url != withPW {
		t.Fatalf("document source %q", d.Source)
	}
	if other, err := c.Get(strings.Replace(withPW, "hunter2", "other", 1)); other != nil || err != nil {
		t.Fatalf("another password shares the entry: %v, %v", other, err)
	}
	// A legacy entry, written with the URL in clear.
	legacy := NewCacheEntry(testDoc(withPW, "max-age=60"))
	legacy.URL = withPW
	raw, _ := json.Marshal(legacy)
	if err := os.WriteFile(c.path(withPW), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if e, err := c.Get(withPW); e != nil || err != nil {
		t.Fatalf("legacy entry: %+v, %v", e, err)
	}
}
