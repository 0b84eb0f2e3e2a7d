package jwks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
)

// MaxFreshness caps how long the server's own max-age or Expires can keep
// a cached JWKS from being asked again: one poisoned answer with a
// max-age of years must not pin its keys for years.
const MaxFreshness = 24 * time.Hour

// RefetchInterval is the least time between two forced refetches of one
// URL (a token whose kid is not in the cached JWKS). Well-behaved verifiers
// use the same kind of cooldown (jose's is 30 s) so that tokens with random
// kids cannot turn them into a request amplifier.
const RefetchInterval = 30 * time.Second

// cacheVersion is the format of an entry file; other versions are ignored.
const cacheVersion = 1

// maxEntryBytes bounds an entry file: a base64 body of MaxBytes plus headers.
const maxEntryBytes = MaxBytes/3*4 + 64<<10

// isEntryName reports whether a file name is a cache entry's: 64 lowercase
// hex digits (SHA-256 of the URL) and ".json".
func isEntryName(name string) bool {
	hash, ok := strings.CutSuffix(name, ".json")
	if !ok || len(hash) != 64 {
		return false
	}
	for i := 0; i < len(hash); i++ {
		if c := hash[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// tempPrefix names the temporary files that Put renames into place.
const tempPrefix = ".tmp-"

// Cache stores fetched JWKS documents on disk, one file per URL and trust
// setting. Writes are atomic (a temporary file renamed into place), so
// concurrent runs never read a torn entry. The zero value is unusable; Dir
// must be set.
type Cache struct {
	Dir string
	// Trust names the TLS trust the entries were fetched under ("" for the
	// system roots; see TrustKey). It is part of each entry's name and is
	// checked on reading, so that keys fetched while trusting an extra CA
	// are never used by a run that does not trust it.
	Trust string
}

// TrustKey names a TLS trust setting for Cache.Trust: "" for the system
// roots alone, else the SHA-256 of the extra CA certificates (--cacert)
// and of the roots the environment gives (SSL_CERT_FILE, SSL_CERT_DIR; see
// httpclient.EnvTrust).
func TrustKey(caPEM, envRoots []byte) string {
	var parts []string
	if caPEM != nil {
		sum := sha256.Sum256(caPEM)
		parts = append(parts, "cacert:"+hex.EncodeToString(sum[:]))
	}
	if envRoots != nil {
		sum := sha256.Sum256(envRoots)
		parts = append(parts, "env:"+hex.EncodeToString(sum[:]))
	}
	return strings.Join(parts, "+")
}

// CacheEntry is one cached JWKS answer: the body and the headers that
// decide its freshness and revalidation.
type CacheEntry struct {
	Version      int    `json:"version"`
	URL          string `json:"url"`
	Status       int    `json:"status"`
	ContentType  string `json:"contentType,omitempty"`
	CacheControl string `json:"cacheControl,omitempty"`
	Expires      string `json:"expires,omitempty"`
	Date         string `json:"date,omitempty"`
	// Trust is the Cache.Trust the entry was fetched under.
	Trust        string `json:"trust,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	// FetchedAt is when the origin last sent or confirmed (304) the body.
	FetchedAt time.Time `json:"fetchedAt"`
	// LastForcedRefetch is when an unknown kid last forced a refetch.
	LastForcedRefetch time.Time `json:"lastForcedRefetch,omitzero"`
	Body              []byte    `json:"body"`

	// key is the URL the entry is filed under, password included (URL is
	// stored with the password masked); "" means URL.
	key string
}

// ErrCorruptEntry means a cache file exists but cannot be used.
var ErrCorruptEntry = errors.New("corrupt cache entry")

// path is the entry file for url: the hex SHA-256 of the URL, and of the
// trust setting when it is not the default.
func (c *Cache) path(url string) string {
	key := url
	if c.Trust != "" {
		key = c.Trust + "\n" + url
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:])+".json")
}

// fileKey is the URL the entry is filed under.
func (e *CacheEntry) fileKey() string {
	if e.key != "" {
		return e.key
	}
	return e.URL
}

// Get returns the entry for url, or nil and no error when there is none.
// An entry that cannot be read or does not hold a cacheable JWKS answer for
// url is an error (wrapping ErrCorruptEntry when the file is damaged); the
// caller ignores it and fetches.
func (c *Cache) Get(url string) (*CacheEntry, error) {
	f, err := openEntry(c.path(url))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil // no entry; a directory that is not one is Put's to report
	}
	if errors.Is(err, errSymlink) {
		return nil, fmt.Errorf("%w: not a regular file", ErrCorruptEntry)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file opened is checked, not its name: it must be a regular file
	// and this user's alone, or a planted entry would have its keys
	// trusted as if fetched.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrCorruptEntry)
	}
	if err := checkPrivate(fi); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptEntry, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEntryBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEntryBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrCorruptEntry, maxEntryBytes)
	}
	e, err := decodeEntry(data)
	if err != nil {
		return nil, err
	}
	if e.URL == url && url != httpclient.RedactURLPasswords(url) {
		// Written before URLs were stored masked: a miss, so that the
		// fetch that follows overwrites it with the password masked.
		return nil, nil
	}
	if e.URL != httpclient.RedactURLPasswords(url) {
		return nil, fmt.Errorf("%w: it belongs to another URL", ErrCorruptEntry)
	}
	e.key = url
	if e.Trust != c.Trust {
		return nil, fmt.Errorf("%w: it was fetched under other TLS trust settings", ErrCorruptEntry)
	}
	return e, nil
}

// decodeEntry parses and validates an entry file.
func decodeEntry(data []byte) (*CacheEntry, error) {
	var e CacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptEntry, err)
	}
	switch {
	case e.Version != cacheVersion:
		return nil, fmt.Errorf("%w: format version %d, want %d", ErrCorruptEntry, e.Version, cacheVersion)
	case e.URL == "":
		return nil, fmt.Errorf("%w: no URL", ErrCorruptEntry)
	case e.Status != http.StatusOK:
		return nil, fmt.Errorf("%w: status %d", ErrCorruptEntry, e.Status)
	case e.FetchedAt.IsZero():
		return nil, fmt.Errorf("%w: no fetch time", ErrCorruptEntry)
	case len(e.Body) == 0 || len(e.Body) > MaxBytes:
		return nil, fmt.Errorf("%w: body of %d bytes", ErrCorruptEntry, len(e.Body))
	}
	if _, err := Parse(e.Body); err != nil {
		return nil, fmt.Errorf("%w: the body is %v", ErrCorruptEntry, err)
	}
	return &e, nil
}

// Put writes e atomically, stamped with c.Trust: a temporary file in the cache directory (mode
// 0600, directory 0700) renamed over the entry.
func (c *Cache) Put(e *CacheEntry) error {
	e.Trust = c.Trust // every entry goes through the Cache of its run
	// Filed under the URL as fetched, stored with its password masked.
	e.key = e.fileKey()
	e.URL = httpclient.RedactURLPasswords(e.URL)
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if len(data) > maxEntryBytes {
		return fmt.Errorf("the answer is too large to cache (%d bytes)", len(data))
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	// MkdirAll leaves an existing directory as it is.
	if err := c.privateDir(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir, tempPrefix+"*.json")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.path(e.fileKey())); err != nil {
		return err
	}
	done = true
	return nil
}

// privateDir makes sure the cache directory is this user's alone: a
// directory others can write to lets them plant or swap entries.
func (c *Cache) privateDir() error {
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return err
	}
	if err := checkPrivate(fi); err == nil {
		return nil
	}
	if err := os.Chmod(c.Dir, 0o700); err != nil {
		return fmt.Errorf("the cache directory %s is not private and cannot be made so: %v", c.Dir, err)
	}
	fi, err = os.Stat(c.Dir)
	if err != nil {
		return err
	}
	if err := checkPrivate(fi); err != nil {
		return fmt.Errorf("the cache directory %s is not private: %v", c.Dir, err)
	}
	return nil
}

// Clear removes every entry (and any temporary file left by an interrupted
// write) and returns how many entries it removed. It removes nothing else,
// so a cache directory pointed at a shared folder loses only baverify's
// files.
func (c *Cache) Clear() (int, error) {
	des, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, de := range des {
		name := de.Name()
		isEntry := isEntryName(name)
		if !de.Type().IsRegular() || (!isEntry && !strings.HasPrefix(name, tempPrefix)) {
			continue
		}
		if err := os.Remove(filepath.Join(c.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if isEntry {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// NewCacheEntry makes an entry from a fetched document. It returns nil when
// the answer must not be cached: not HTTP, not 200, Cache-Control no-store,
// or a body that is not a JWKS (a cached error page would hide the fix).
func NewCacheEntry(doc *Document) *CacheEntry {
	if doc == nil || doc.HTTP == nil || doc.HTTP.Status != http.StatusOK {
		return nil
	}
	if _, _, store := ParseCacheControl(doc.HTTP.CacheControl); !store {
		return nil
	}
	if _, err := Parse(doc.Body); err != nil {
		return nil
	}
	return &CacheEntry{
		Version:      cacheVersion,
		URL:          httpclient.RedactURLPasswords(doc.Source),
		key:          doc.url,
		Status:       doc.HTTP.Status,
		ContentType:  doc.HTTP.ContentType,
		CacheControl: doc.HTTP.CacheControl,
		Expires:      doc.HTTP.Expires,
		Date:         doc.HTTP.Date,
		ETag:         doc.HTTP.ETag,
		LastModified: doc.HTTP.LastModified,
		FetchedAt:    doc.FetchedAt,
		Body:         append([]byte(nil), doc.Body...),
	}
}

// Freshness is how long the server says the entry is fresh after
// FetchedAt (see Freshness).
func (e *CacheEntry) Freshness() time.Duration {
	d, _ := Freshness(e.CacheControl, e.Expires, e.Date)
	return d
}

// Age is how long ago the origin last sent or confirmed the body.
func (e *CacheEntry) Age(now time.Time) time.Duration { return now.Sub(e.FetchedAt) }

// Fresh reports whether the entry may be used without asking the server:
// within the server's own freshness lifetime, or within ttl, the user's
// --cache-ttl (0: none). An entry from the future (a clock that moved
// back) is not fresh.
func (e *CacheEntry) Fresh(now time.Time, ttl time.Duration) bool {
	age := e.Age(now)
	return age >= 0 && age < max(e.Freshness(), ttl)
}

// ConditionalHeader returns the headers that revalidate the entry
// (If-None-Match, If-Modified-Since), or nil when the server gave neither
// an ETag nor a Last-Modified.
func (e *CacheEntry) ConditionalHeader() http.Header {
	h := http.Header{}
	if e.ETag != "" {
		h.Set("If-None-Match", e.ETag)
	}
	if e.LastModified != "" {
		h.Set("If-Modified-Since", e.LastModified)
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// Revalidated records a 304 Not Modified answer: the body is confirmed
// at notModified.FetchedAt, and the validators and Cache-Control the 304
// carries replace the stored ones (RFC 9111 section 4.3.4).
func (e *CacheEntry) Revalidated(notModified *Document) {
	e.FetchedAt = notModified.FetchedAt
	if h := notModified.HTTP; h != nil {
		if h.CacheControl != "" {
			e.CacheControl = h.CacheControl
		}
		if h.Expires != "" {
			e.Expires = h.Expires
		}
		e.Date = h.Date
		if h.ETag != "" {
			e.ETag = h.ETag
		}
		if h.LastModified != "" {
			e.LastModified = h.LastModified
		}
	}
}

// CanForceRefetch reports whether RefetchInterval has passed since the
// last forced refetch of this URL.
func (e *CacheEntry) CanForceRefetch(now time.Time) bool {
	since := now.Sub(e.LastForcedRefetch)
	return e.LastForcedRefetch.IsZero() || since >= RefetchInterval || since < 0
}

// Document returns the cached answer as a document read from the cache.
func (e *CacheEntry) Document(now time.Time) *Document {
	age := max(e.Age(now), 0)
	return &Document{
		Source:    e.URL,
		url:       e.fileKey(),
		From:      FromCache,
		Body:      append([]byte(nil), e.Body...),
		FetchedAt: e.FetchedAt,
		HTTP: &HTTPInfo{
			Status:          e.Status,
			ContentType:     e.ContentType,
			CacheControl:    e.CacheControl,
			Expires:         e.Expires,
			Date:            e.Date,
			ETag:            e.ETag,
			LastModified:    e.LastModified,
			Bytes:           len(e.Body),
			FromCache:       true,
			CacheAgeSeconds: int64(age / time.Second),
		},
	}
}

// Freshness is the freshness lifetime the server gave an answer: its
// Cache-Control max-age, else Expires minus Date (RFC 9111 section 4.2.1),
// capped at MaxFreshness; 0 when it gave none (Better Auth gives none), so
// that the answer is revalidated on every use. fromServer says the server
// gave one at all (no-cache counts: it says "revalidate every time").
func Freshness(cacheControl, expires, date string) (d time.Duration, fromServer bool) {
	maxAge, hasMaxAge, _ := ParseCacheControl(cacheControl)
	switch {
	case hasMaxAge:
		d = maxAge
	case expires != "":
		// An Expires that is not a date means "already expired".
		exp, err := http.ParseTime(expires)
		if err != nil {
			return 0, true
		}
		origin, err := http.ParseTime(date)
		if err != nil {
			return 0, true // without Date the lifetime cannot be measured
		}
		d = max(exp.Sub(origin), 0)
	default:
		return 0, false
	}
	return min(d, MaxFreshness), true
}

// ParseCacheControl reads a Cache-Control header: the max-age (no-cache
// and an invalid max-age mean 0, that is "revalidate every time"), whether
// it gave one, and whether the answer may be stored at all (no-store
// forbids it).
func ParseCacheControl(cacheControl string) (maxAge time.Duration, hasMaxAge, store bool) {
	store = true
	for _, part := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-store":
			store = false
		case "no-cache":
			maxAge, hasMaxAge = 0, true
		case "max-age":
			if hasMaxAge {
				continue
			}
			hasMaxAge = true
			maxAge = parseDeltaSeconds(strings.Trim(strings.TrimSpace(value), `"`))
		}
	}
	return maxAge, hasMaxAge, store
}

// parseDeltaSeconds reads a max-age value; invalid values mean 0 (stale),
// as RFC 9111 section 4.2.1 advises. Values beyond MaxFreshness are
// clipped to it.
func parseDeltaSeconds(s string) time.Duration {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > int64(MaxFreshness/time.Second) {
		return MaxFreshness
	}
	return time.Duration(n) * time.Second
}
