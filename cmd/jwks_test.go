package cmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

const jwksFixtures = "../testdata/jwks"

func TestJWKSFlagParsing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, o *jwksOptions)
	}{
		{"argument", []string{"https://app.example.com"}, func(t *testing.T, o *jwksOptions) {
			if o.arg != "https://app.example.com" || !o.argGiven || o.maxKeysSet {
				t.Fatalf("%+v", o)
			}
		}},
		{"assertions", []string{"--strict", "--expect-alg", "EdDSA", "--expect-alg", "ES256", "--expect-kid", "k1", "--min-keys", "1", "--max-keys", "3"}, func(t *testing.T, o *jwksOptions) {
			if !o.strict || !slices.Equal(o.expectAlgs, []string{"EdDSA", "ES256"}) || !slices.Equal(o.expectKids, []string{"k1"}) ||
				o.minKeys != 1 || o.maxKeys != 3 || !o.maxKeysSet {
				t.Fatalf("%+v", o)
			}
		}},
		{"source and network", []string{"--base-url", "https://app", "--jwks-path", "/keys", "--no-cache", "--clear-cache", "--timeout", "2s", "-o", "json"}, func(t *testing.T, o *jwksOptions) {
			if o.baseURL != "https://app" || o.jwksPath != "/keys" || !o.net.noCache || !o.clearCache || o.net.timeout != 2*time.Second || !o.out.json() {
				t.Fatalf("%+v", o)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newTestFactory(t, runConfig{})
			var got *jwksOptions
			c := jwksCmd(f, func(o *jwksOptions) error { got = o; return nil })
			c.SetArgs(append([]string{}, tc.args...))
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// replay serves testdata/jwks/NAME, a raw HTTP response, at every path.
func replay(t *testing.T, name string) *httptest.Server {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(jwksFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type jwksJSON struct {
	Source    string `json:"source"`
	FetchedAt string `json:"fetchedAt"`
	HTTP      *struct {
		Status          int    `json:"status"`
		ContentType     string `json:"contentType"`
		CacheControl    string `json:"cacheControl"`
		ETag            string `json:"etag"`
		Bytes           int    `json:"bytes"`
		LatencyMs       int64  `json:"latencyMs"`
		FromCache       bool   `json:"fromCache"`
		CacheAgeSeconds int64  `json:"cacheAgeSeconds"`
	} `json:"http"`
	Keys []struct {
		Kid, Kty, Alg, Crv, Use, Thumbprint *string
		Bits                                *int
		CannotVerify                        []map[string]any `json:"cannotVerify"`
	} `json:"keys"`
	Findings []struct {
		Code, Severity, Message, Hint string
		Kid                           *string
	} `json:"findings"`
	Error *struct {
		Message string `json:"message"`
		Cause   string `json:"cause"`
	} `json:"error"`
}

func decodeJWKS(t *testing.T, r testRun) jwksJSON {
	t.Helper()
	var out jwksJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("not the jwks JSON (%v):\n%s\n%s", err, r.stdout, r.stderr)
	}
	return out
}

func (j jwksJSON) codes() []string {
	var c []string
	for _, f := range j.Findings {
		c = append(c, f.Code)
	}
	return c
}

// TestJWKSExitCodes: 0 without error findings, 1 with one (or a warning
// with --strict), 2 for usage errors, 3 when the source cannot be read.
func TestJWKSExitCodes(t *testing.T) {
	real := "../testdata/real/EdDSA/jwks.json"
	fx := func(name string) string { return filepath.Join(jwksFixtures, name) }
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	notFound := replay(t, "http-404.http")
	html := replay(t, "html-200.http")
	plain := replay(t, "text-plain.http")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
		codes  []string
	}{
		{"clean file", []string{real}, ExitOK, "", nil},
		{"clean file, strict, assertions met", []string{"--strict", "--expect-alg", "eddsa", "--expect-kid", "hL2uSJifK2R1El5ElOkR9Xi8MMt1LNBQ", "--min-keys", "1", "--max-keys", "1", real}, ExitOK, "", nil},
		{"an error finding", []string{fx("private-key.json")}, ExitNegative, "", []string{"private_key_material"}},
		{"a warning", []string{fx("missing-alg.json")}, ExitOK, "", []string{"missing_alg"}},
		{"a warning with --strict", []string{"--strict", fx("missing-alg.json")}, ExitNegative, "", []string{"missing_alg"}},
		{"info never fails", []string{"--strict", "--base-url", replay(t, "better-auth.http").URL}, ExitOK, "", []string{"no_cache_headers"}},
		{"unmet assertion", []string{"--expect-alg", "RS256", "--max-keys", "1", fx("clean-two-keys.json")}, ExitNegative, "", []string{"expect_alg", "max_keys"}},
		{"invalid JSON is a finding", []string{fx("invalid-json.html")}, ExitNegative, "", []string{"invalid_json"}},
		{"a 404 is a finding", []string{notFound.URL + "/api/auth/jwks"}, ExitNegative, "", []string{"http_status"}},
		{"an HTML page", []string{html.URL + "/jwks"}, ExitNegative, "", []string{"content_type", "no_cache_headers", "invalid_json"}},
		{"a JWKS as text/plain, strict", []string{"--strict", plain.URL + "/jwks"}, ExitNegative, "", []string{"content_type", "no_cache_headers"}},
		{"unreachable", []string{downURL + "/jwks"}, ExitUnavailable, "could not read the JWKS", nil},
		{"missing file", []string{fx("missing.json")}, ExitUnavailable, "could not read the JWKS", nil},
		{"no source", []string{}, ExitUsage, "no JWKS", nil},
		{"argument and --base-url", []string{"--base-url", "https://a.example", real}, ExitUsage, "not both", nil},
		{"--jwks-path with a file", []string{"--jwks-path", "/k", real}, ExitUsage, "--jwks-path applies to a base URL", nil},
		{"--jwks-path with a full URL", []string{"--jwks-path", "/k", "https://a.example/api/auth/jwks"}, ExitUsage, "--jwks-path applies to a base URL", nil},
		{"bad --expect-alg", []string{"--expect-alg", "HS256", real}, ExitUsage, "not a JWS signature algorithm", nil},
		{"--max-keys 0", []string{"--max-keys", "0", real}, ExitUsage, "at least 1", nil},
		{"--min-keys above --max-keys", []string{"--min-keys", "3", "--max-keys", "2", real}, ExitUsage, "more than --max-keys", nil},
		{"negative --min-keys", []string{"--min-keys", "-1", real}, ExitUsage, "negative", nil},
		{"empty --expect-kid", []string{"--expect-kid", "", real}, ExitUsage, "--expect-kid", nil},
		{"bad base URL", []string{"--base-url", "ftp://x"}, ExitUsage, "http or https", nil},
		{"bad --output", []string{"-o", "yaml", real}, ExitUsage, "--output", nil},
		{"two arguments", []string{real, real}, ExitUsage, "expected one URL, FILE or -", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{}, append([]string{"jwks", "-o", "json"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q should contain %q\n%s", r.code, tc.code, r.stderr, tc.stderr, r.stdout)
			}
			switch tc.code {
			case ExitOK, ExitNegative:
				rep := decodeJWKS(t, r)
				if got := rep.codes(); !slices.Equal(got, tc.codes) || rep.Error != nil {
					t.Fatalf("findings %v, want %v; error %+v", got, tc.codes, rep.Error)
				}
			case ExitUnavailable:
				// CI keeps the report whatever the outcome: it says why.
				rep := decodeJWKS(t, r)
				if rep.Error == nil || !strings.Contains(rep.Error.Message, "could not read the JWKS at "+rep.Source) ||
					rep.Error.Cause == "" || strings.Contains(rep.Error.Cause, "could not read") || len(rep.Keys) != 0 || rep.Findings == nil {
					t.Fatalf("report of an unreadable JWKS: %s", r.stdout)
				}
			default:
				if r.stdout != "" {
					t.Fatalf("stdout without a report: %q", r.stdout)
				}
			}
		})
	}
}

// TestJWKSSources: a URL with no path is a base URL (/api/auth/jwks, and
// --jwks-path applies), any other URL is fetched as it is, --base-url and
// the environment work instead of the argument, and - reads stdin.
func TestJWKSSources(t *testing.T) {
	body, _ := os.ReadFile("../testdata/real/ES256/jwks.json")
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		cfg    runConfig
		args   []string
		path   string // requested; "" = none
		source string
	}{
		{"base URL", runConfig{}, []string{srv.URL}, "/api/auth/jwks", srv.URL + "/api/auth/jwks"},
		{"base URL with a slash", runConfig{}, []string{srv.URL + "/"}, "/api/auth/jwks", srv.URL + "/api/auth/jwks"},
		{"base URL and --jwks-path", runConfig{}, []string{"--jwks-path", "/.well-known/jwks.json", srv.URL}, "/api/auth/.well-known/jwks.json", srv.URL + "/api/auth/.well-known/jwks.json"},
		{"explicit URL", runConfig{}, []string{srv.URL + "/custom/keys"}, "/custom/keys", srv.URL + "/custom/keys"},
		{"--base-url with a path", runConfig{}, []string{"--base-url", srv.URL + "/custom/auth"}, "/custom/auth/jwks", srv.URL + "/custom/auth/jwks"},
		{"BAVERIFY_BASE_URL", runConfig{env: map[string]string{"BAVERIFY_BASE_URL": srv.URL}}, nil, "/api/auth/jwks", srv.URL + "/api/auth/jwks"},
		{"BAVERIFY_JWKS wins over BAVERIFY_BASE_URL", runConfig{env: map[string]string{"BAVERIFY_JWKS": srv.URL + "/k", "BAVERIFY_BASE_URL": srv.URL}}, nil, "/k", srv.URL + "/k"},
		{"the argument wins over the environment", runConfig{env: map[string]string{"BAVERIFY_JWKS": srv.URL + "/k"}}, []string{srv.URL + "/arg"}, "/arg", srv.URL + "/arg"},
		{"stdin", runConfig{stdin: string(body)}, []string{"-"}, "", "stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			paths = nil
			mu.Unlock()
			r := run(t, tc.cfg, append([]string{"jwks", "-o", "json", "--no-cache"}, tc.args...)...)
			out := decodeJWKS(t, r)
			if r.code != ExitOK || out.Source != tc.source || len(out.Keys) != 1 || *out.Keys[0].Alg != "ES256" {
				t.Fatalf("exit %d, source %q\n%s\n%s", r.code, out.Source, r.stdout, r.stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.path == "" && len(paths) != 0 || tc.path != "" && !slices.Equal(paths, []string{tc.path}) {
				t.Fatalf("requested %v, want %q", paths, tc.path)
			}
			if (tc.source == "stdin") != (out.HTTP == nil) {
				t.Fatalf("http = %+v", out.HTTP)
			}
		})
	}
}

// TestJWKSFixturesThroughTheCommand: every JWKS fixture, as a file, gives
// the same findings through the command as the linter's table says, with
// text and JSON agreeing.
func TestJWKSFixturesThroughTheCommand(t *testing.T) {
	want := map[string][]string{
		"alg-key-mismatch.json":        {"alg_key_mismatch"},
		"clean-two-keys.json":          nil,
		"duplicate-kid.json":           {"duplicate_kid"},
		"empty.json":                   {"empty_jwks"},
		"invalid-json.html":            {"invalid_json"},
		"invalid-jwks-no-keys.json":    {"invalid_jwks"},
		"invalid-jwks-single-key.json": {"invalid_jwks"},
		"invalid-key.json":             {"invalid_jwks"},
		"key-ops-no-verify.json":       {"key_use_not_sig"},
		"key-use-enc.json":             {"key_use_not_sig"},
		"missing-alg.json":             {"missing_alg"},
		"missing-kid.json":             {"missing_kid"},
		"private-key.json":             {"private_key_material"},
		"rsa-key-too-large.json":       {"rsa_key_too_large"},
		"symmetric-key.json":           {"private_key_material", "symmetric_key_published"},
		"unsupported-curve.json":       {"unsupported_kty"},
		"unsupported-kty.json":         {"unsupported_kty"},
		"weak-rsa-key.json":            {"weak_rsa_key"},
		"key-use-empty.json":           {"key_use_not_sig"},
		"key-ops-duplicate.json":       {"key_use_not_sig"},
		"x25519-encryption-key.json":   {"key_use_not_sig"},
		"x25519-eddsa.json":            {"alg_key_mismatch"},
		"rsa-exponent-3.json":          {"weak_rsa_exponent"},
		"rsa-leading-zero.json":        {"rsa_leading_zero"},
	}
	des, err := os.ReadDir(jwksFixtures)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		name := de.Name()
		if strings.HasSuffix(name, ".http") || strings.HasSuffix(name, ".md") {
			continue
		}
		codes, ok := want[name]
		if !ok {
			t.Errorf("fixture %s has no expectation here", name)
			continue
		}
		r := run(t, runConfig{}, "jwks", "-o", "json", filepath.Join(jwksFixtures, name))
		if got := decodeJWKS(t, r).codes(); !slices.Equal(got, codes) {
			t.Errorf("%s: findings %v, want %v", name, got, codes)
		}
		text := run(t, runConfig{}, "jwks", filepath.Join(jwksFixtures, name))
		for _, c := range codes {
			if !strings.Contains(text.stdout, "    "+c+": ") {
				t.Errorf("%s: text output lacks %s:\n%s", name, c, text.stdout)
			}
		}
		if text.code != r.code {
			t.Errorf("%s: exit %d as text, %d as JSON", name, text.code, r.code)
		}
	}
}

// cacheRuns are runs of baverify that share one cache directory and a
// clock the test moves.
type cacheRuns struct {
	t   *testing.T
	dir string
	now time.Time
}

func newCacheRuns(t *testing.T) *cacheRuns {
	return &cacheRuns{t: t, dir: filepath.Join(t.TempDir(), "cache"), now: time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)}
}

func (c *cacheRuns) run(args ...string) testRun {
	c.t.Helper()
	f, out, errOut := newTestFactory(c.t, runConfig{now: c.now})
	f.CacheDir = func() (string, error) { return c.dir, nil }
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

// countingJWKS serves a JWKS that the test can change, optionally with an
// ETag it honours, and counts requests.
type countingJWKS struct {
	*httptest.Server
	mu          sync.Mutex
	body        string
	etag        string
	cacheCtl    string // Cache-Control, "" for none (as Better Auth)
	requests    int
	conditional int
	notModified int
}

func newCountingJWKS(t *testing.T, body string) *countingJWKS {
	s := &countingJWKS{body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		if r.Header.Get("If-None-Match") != "" {
			s.conditional++
		}
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
			if r.Header.Get("If-None-Match") == s.etag {
				s.notModified++
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if s.cacheCtl != "" {
			w.Header().Set("Cache-Control", s.cacheCtl)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *countingJWKS) counts() (requests, conditional, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.conditional, s.notModified
}

func (s *countingJWKS) setBody(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

// TestJWKSCache proves the cache through the command: a second run within
// the server's max-age makes zero requests, a stale run makes one
// conditional request answered 304, --no-cache bypasses the cache,
// --clear-cache empties it, and a corrupt entry is a warning.
func TestJWKSCache(t *testing.T) {
	body, _ := os.ReadFile("../testdata/real/EdDSA/jwks.json")
	srv := newCountingJWKS(t, string(body))
	srv.etag, srv.cacheCtl = `"v1"`, "max-age=300"
	c := newCacheRuns(t)
	jwksURL := srv.URL + "/api/auth/jwks"

	first := c.run("jwks", "-o", "json", jwksURL)
	out := decodeJWKS(t, first)
	if n, _, _ := srv.counts(); first.code != ExitOK || n != 1 || out.HTTP.FromCache || out.HTTP.ETag != `"v1"` {
		t.Fatalf("first run: exit %d, %d requests\n%s%s", first.code, n, first.stdout, first.stderr)
	}

	c.now = c.now.Add(4 * time.Minute)
	second := c.run("jwks", "-o", "json", jwksURL)
	out = decodeJWKS(t, second)
	if n, _, _ := srv.counts(); n != 1 || !out.HTTP.FromCache || out.HTTP.CacheAgeSeconds != 240 || out.HTTP.LatencyMs != 0 ||
		out.FetchedAt != "2026-11-26T19:50:00Z" || len(out.Keys) != 1 || second.code != ExitOK {
		t.Fatalf("within freshness: %d requests\n%s", n, second.stdout)
	}
	text := c.run("jwks", jwksURL)
	if !strings.Contains(text.stdout, "cache          from the cache, fetched 4m ago, not asked again (fresh for 5m by the server's Cache-Control or Expires)") {
		t.Fatalf("text does not say the JWKS came from the cache:\n%s", text.stdout)
	}

	c.now = c.now.Add(2 * time.Minute) // 6 minutes: stale
	third := c.run("jwks", "-o", "json", jwksURL)
	out = decodeJWKS(t, third)
	if n, cond, nm := srv.counts(); n != 2 || cond != 1 || nm != 1 || !out.HTTP.FromCache || out.HTTP.CacheAgeSeconds != 0 {
		t.Fatalf("stale: %d requests, %d conditional, %d answered 304\n%s", n, cond, nm, third.stdout)
	}
	text = c.run("jwks", jwksURL)
	if n, _, _ := srv.counts(); n != 2 || !strings.Contains(text.stdout, "from the cache, fetched 0s ago") {
		t.Fatalf("after the 304 the entry is fresh again: %d requests\n%s", n, text.stdout)
	}

	noCache := c.run("jwks", "-o", "json", "--no-cache", jwksURL)
	out = decodeJWKS(t, noCache)
	if n, cond, _ := srv.counts(); n != 3 || cond != 1 || out.HTTP.FromCache {
		t.Fatalf("--no-cache: %d requests, %d conditional", n, cond)
	}

	cleared := c.run("jwks", "--clear-cache")
	if cleared.code != ExitOK || cleared.stdout != "" || !strings.Contains(cleared.stderr, "1 entry removed") {
		t.Fatalf("--clear-cache: exit %d\n%s\n%s", cleared.code, cleared.stdout, cleared.stderr)
	}
	after := c.run("jwks", "-o", "json", jwksURL)
	if n, cond, _ := srv.counts(); n != 4 || cond != 1 || decodeJWKS(t, after).HTTP.FromCache {
		t.Fatalf("after --clear-cache: %d requests, %d conditional", n, cond)
	}

	entries, _ := filepath.Glob(filepath.Join(c.dir, "*.json"))
	if len(entries) != 1 {
		t.Fatalf("entries %v", entries)
	}
	os.WriteFile(entries[0], []byte("{torn"), 0o600)
	corrupt := c.run("jwks", "-o", "json", jwksURL)
	if n, _, _ := srv.counts(); corrupt.code != ExitOK || n != 5 || !strings.Contains(corrupt.stderr, "warning: the cached JWKS for "+jwksURL+" is unusable and was ignored") {
		t.Fatalf("corrupt entry: exit %d, %d requests\n%s", corrupt.code, n, corrupt.stderr)
	}
	if decodeJWKS(t, corrupt).HTTP.FromCache {
		t.Fatal("a corrupt entry was used")
	}
}

// TestJWKSCacheDirUnavailable: no cache directory is a warning, never
// fatal.
func TestJWKSCacheDirUnavailable(t *testing.T) {
	body, _ := os.ReadFile("../testdata/real/EdDSA/jwks.json")
	srv := newCountingJWKS(t, string(body))
	f, out, errOut := newTestFactory(t, runConfig{})
	f.CacheDir = func() (string, error) { return "", os.ErrNotExist }
	code := Execute(context.Background(), f, []string{"jwks", srv.URL + "/jwks"})
	if code != ExitOK || !strings.Contains(errOut.String(), "no JWKS cache directory") || !strings.Contains(out.String(), "the cache is off") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// edKey is a generated Ed25519 key published under kid.
type edKey struct {
	kid  string
	priv ed25519.PrivateKey
}

func newEdKey(t *testing.T, kid string) edKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return edKey{kid: kid, priv: priv}
}

func (k edKey) jwk() string {
	return `{"alg":"EdDSA","crv":"Ed25519","x":"` + b64Encode(k.priv.Public().(ed25519.PublicKey)) + `","kty":"OKP","kid":"` + k.kid + `"}`
}

func jwksOf(keys ...edKey) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, k.jwk())
	}
	return `{"keys":[` + strings.Join(parts, ",") + `]}`
}

// sign mints a Better Auth-shaped EdDSA token.
func (k edKey) sign(t *testing.T, iss string, iat time.Time) string {
	h, _ := json.Marshal(map[string]any{"alg": "EdDSA", "kid": k.kid})
	p, _ := json.Marshal(map[string]any{"sub": "u1", "iss": iss, "aud": iss, "iat": iat.Unix(), "exp": iat.Add(15 * time.Minute).Unix()})
	input := b64Encode(h) + "." + b64Encode(p)
	return input + "." + b64Encode(ed25519.Sign(k.priv, []byte(input)))
}

// TestTokenCacheRefetchUnknownKid: the token command goes through the
// cache; a token whose kid is not in the cached JWKS makes exactly one
// refetch and says so; another unknown kid within 30 s makes none; the
// refetched JWKS is cached for the next run.
func TestTokenCacheRefetchUnknownKid(t *testing.T) {
	k1, k2, k3 := newEdKey(t, "key1"), newEdKey(t, "key2"), newEdKey(t, "key3")
	srv := newCountingJWKS(t, jwksOf(k1))
	srv.cacheCtl = "max-age=300"
	c := newCacheRuns(t)
	iss := "https://app.example.com"
	verifyArgs := func(tok string) []string {
		return []string{"token", "-o", "json", "--jwks", srv.URL + "/api/auth/jwks", "--issuer", iss, "--audience", iss, tok}
	}
	first := c.run(verifyArgs(k1.sign(t, iss, c.now))...)
	if res := decodeResult(t, first); first.code != ExitOK || !res.Valid {
		t.Fatalf("key1: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	c.run(verifyArgs(k1.sign(t, iss, c.now))...)
	if n, _, _ := srv.counts(); n != 1 {
		t.Fatalf("a second token within freshness: %d requests, want 1", n)
	}

	srv.setBody(jwksOf(k1, k2)) // the server rotates
	c.now = c.now.Add(time.Minute)
	rotated := c.run(verifyArgs(k2.sign(t, iss, c.now))...)
	res := decodeResult(t, rotated)
	if n, _, _ := srv.counts(); rotated.code != ExitOK || !res.Valid || n != 2 {
		t.Fatalf("key2: exit %d, %d requests (want exactly one refetch)\n%s%s", rotated.code, n, rotated.stdout, rotated.stderr)
	}
	if !slices.ContainsFunc(res.Warnings, func(w struct{ Code, Message, Hint string }) bool { return w.Code == "jwks_refetched" }) {
		t.Fatalf("the output does not say the JWKS was refetched: %+v", res.Warnings)
	}

	c.now = c.now.Add(10 * time.Second)
	again := c.run(verifyArgs(k2.sign(t, iss, c.now))...)
	if n, _, _ := srv.counts(); again.code != ExitOK || n != 2 || len(decodeResult(t, again).Warnings) != 0 {
		t.Fatalf("the refetched JWKS is cached: exit %d, %d requests", again.code, n)
	}

	unknown := c.run(verifyArgs(k3.sign(t, iss, c.now))...)
	res = decodeResult(t, unknown)
	if n, _, _ := srv.counts(); unknown.code != ExitNegative || n != 2 || res.Errors[0].Code != "key_not_found" {
		t.Fatalf("an unknown kid 10 s after a refetch: exit %d, %d requests (want none), %+v", unknown.code, n, res.Errors)
	}
	c.now = c.now.Add(30 * time.Second)
	c.run(verifyArgs(k3.sign(t, iss, c.now))...)
	if n, _, _ := srv.counts(); n != 3 {
		t.Fatalf("30 s later one refetch is allowed again: %d requests", n)
	}

	noCache := c.run(append([]string{"token", "--no-cache"}, verifyArgs(k1.sign(t, iss, c.now))[1:]...)...)
	if n, _, _ := srv.counts(); noCache.code != ExitOK || n != 4 {
		t.Fatalf("token --no-cache: exit %d, %d requests", noCache.code, n)
	}
}

func TestJWKSTextAndColor(t *testing.T) {
	path := filepath.Join(jwksFixtures, "private-key.json")
	plain := run(t, runConfig{}, "jwks", path)
	tty := run(t, runConfig{tty: true}, "jwks", path)
	noColor := run(t, runConfig{tty: true, env: map[string]string{"NO_COLOR": "1"}}, "jwks", path)
	if ansi.MatchString(plain.stdout) || ansi.MatchString(noColor.stdout) {
		t.Fatal("colour without a terminal, or with NO_COLOR")
	}
	if !ansi.MatchString(tty.stdout) || stripANSI(tty.stdout) != plain.stdout {
		t.Fatalf("terminal output is not the plain output in colour:\n%s\n%s", tty.stdout, plain.stdout)
	}
	if !strings.HasPrefix(plain.stdout, "FAIL (1 error, 0 warnings, 0 info)  "+path+": ") {
		t.Errorf("the verdict is not the first line:\n%s", plain.stdout)
	}
	first, _, _ := strings.Cut(plain.stdout, "\n")
	if q := run(t, runConfig{}, "jwks", "-q", path); q.code != ExitNegative || q.stdout != first+"\n" {
		t.Errorf("--quiet: exit %d\n%s", q.code, q.stdout)
	}
	if q := run(t, runConfig{}, "jwks", "-q", "-o", "json", path); q.code != ExitUsage || q.stdout != "" {
		t.Errorf("--quiet -o json: exit %d\n%s", q.code, q.stdout)
	}
	for _, want := range []string{"Keys (1)", "THUMBPRINT (RFC 7638, SHA-256)", "Errors (1)", "private_key_material: key \"", "fix: "} {
		if !strings.Contains(plain.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, plain.stdout)
		}
	}
	if plain.code != ExitNegative {
		t.Fatalf("exit %d", plain.code)
	}
}

// TestJWKSHostileDocument: kids, algs and headers from the document never
// reach the terminal raw.
func TestJWKSHostileDocument(t *testing.T) {
	doc := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ","kid":"\u001b]0;pwned\u0007\u202e","alg":"\u001b[2J","use":"\r\nenc"}]}`
	r := run(t, runConfig{stdin: doc}, "jwks", "-")
	if strings.ContainsAny(r.stdout, "\x1b\x07\r\u202e") {
		t.Fatalf("control characters reached the terminal: %q", r.stdout)
	}
	if !strings.Contains(r.stdout, `\u001b]0;pwned\u0007\u202e`) {
		t.Fatalf("the kid is not shown escaped:\n%s", r.stdout)
	}
}

func TestJWKSHelp(t *testing.T) {
	r := run(t, runConfig{}, "jwks", "--help")
	for _, want := range []string{"baverify jwks https://app.example.com", "--expect-alg", "--clear-cache", "BAVERIFY_CACHE_DIR", "Exit codes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if r.code != ExitOK {
		t.Fatalf("exit %d", r.code)
	}
}

// TestE2EJWKSRealBetterAuth: the JWKS a real Better Auth 1.7.25 serves
// lints clean for every algorithm its jwt plugin supports, as a CI gate
// (--strict, the alg, exactly one key) through a base URL and an explicit
// URL; its one finding is the info that it sends no cache headers.
func TestE2EJWKSRealBetterAuth(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: alg})
			c := newCacheRuns(t)
			c.now = time.Now()
			for _, source := range []string{ba.BaseURL, ba.JWKSURL} {
				r := c.run("jwks", "-o", "json", "--no-cache", "--strict", "--expect-alg", alg, "--min-keys", "1", "--max-keys", "1", source)
				out := decodeJWKS(t, r)
				if r.code != ExitOK || !slices.Equal(out.codes(), []string{"no_cache_headers"}) || out.Source != ba.JWKSURL {
					t.Fatalf("%s: exit %d\n%s\n%s", source, r.code, r.stdout, r.stderr)
				}
				h := out.HTTP
				if h.Status != 200 || h.ContentType != "application/json" || h.CacheControl != "" || h.ETag != "" || h.FromCache {
					t.Fatalf("HTTP facts: %+v", h)
				}
				if k := out.Keys[0]; *k.Alg != alg || len(*k.Kid) != 32 || k.Use != nil || k.Thumbprint == nil {
					t.Fatalf("key: %+v", k)
				}
			}
			text := c.run("jwks", "--strict", ba.BaseURL)
			if text.code != ExitOK || !strings.HasPrefix(text.stdout, "PASS (0 errors, 0 warnings, 1 info)  ") ||
				!strings.Contains(text.stdout, "fetched now and cached") {
				t.Fatalf("text: exit %d\n%s%s", text.code, text.stdout, text.stderr)
			}
		})
	}
}

// TestE2EJWKSRotationRefetch: a real Better Auth rotates its key (lazily,
// on the first signing after rotationInterval); a token signed with the new
// key, checked against the cached JWKS that only has the old one, makes
// baverify refetch exactly once (counted by a proxy in front of the server)
// and say so, and the cache then holds both keys.
func TestE2EJWKSRotationRefetch(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{RotationInterval: 2, GracePeriod: 3600})
	jwksURL, fetches := countingJWKSProxy(t, ba)
	// Better Auth sends no Cache-Control: without --cache-ttl every run
	// would ask again, and no cached JWKS would ever lack the new key.
	pinned := []string{"--jwks", jwksURL, "--issuer", ba.Origin, "--audience", ba.Origin, "--cache-ttl", "1h"}

	sess := ba.SignUp(t, "alice@example.com", "correct-horse-battery", "Alice")
	c := newCacheRuns(t)
	token1 := ba.TokenFromEndpoint(t, sess)

	c.now = time.Now()
	first := decodeJWKS(t, c.run("jwks", "-o", "json", jwksURL))
	if len(first.Keys) != 1 || first.HTTP.FromCache || fetches() != 1 {
		t.Fatalf("before rotation: %d fetches, %+v", fetches(), first)
	}
	kid1 := *first.Keys[0].Kid
	r := c.run(append([]string{"token", "-o", "json", token1}, pinned...)...)
	if res := decodeResult(t, r); r.code != ExitOK || !res.Valid || len(res.Warnings) != 0 || fetches() != 1 {
		t.Fatalf("token 1 from the cache: exit %d, %d fetches\n%s%s", r.code, fetches(), r.stdout, r.stderr)
	}

	time.Sleep(2100 * time.Millisecond) // past the key's expiresAt: the next signing rotates
	token2 := ba.TokenFromEndpoint(t, sess)
	c.now = time.Now()
	r = c.run(append([]string{"token", "-o", "json", token2}, pinned...)...)
	res := decodeResult(t, r)
	if r.code != ExitOK || !res.Valid || res.Header["kid"] == kid1 || fetches() != 2 {
		t.Fatalf("token 2 (new key): exit %d, %d fetches (want exactly one refetch)\n%s%s", r.code, fetches(), r.stdout, r.stderr)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Code != "jwks_refetched" {
		t.Fatalf("warnings %+v, want jwks_refetched", res.Warnings)
	}
	after := decodeJWKS(t, c.run("jwks", "-o", "json", "--cache-ttl", "1h", jwksURL))
	if !after.HTTP.FromCache || len(after.Keys) != 2 || *after.Keys[0].Kid != kid1 || *after.Keys[1].Kid != res.Header["kid"] {
		t.Fatalf("the cache does not hold the rotated set: %+v", after.Keys)
	}
	// Both tokens still verify, from the cache, without a request.
	for _, tok := range []string{token1, token2} {
		r := c.run(append([]string{"token", "-o", "json", tok}, pinned...)...)
		if res := decodeResult(t, r); r.code != ExitOK || len(res.Warnings) != 0 {
			t.Fatalf("after rotation: exit %d, warnings %+v", r.code, res.Warnings)
		}
	}
	if fetches() != 2 {
		t.Fatalf("%d fetches in all, want 2", fetches())
	}
}

// Keys fetched with --insecure are not cached: a later run that checks TLS
// must not trust what an unchecked connection brought.
func TestJWKSInsecureBypassesTheCache(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		io.WriteString(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ"}]}`)
	}))
	t.Cleanup(srv.Close)
	f, _, _ := newTestFactory(t, runConfig{})
	dir, _ := f.CacheDir()
	for i := 0; i < 2; i++ {
		if code := Execute(context.Background(), f, []string{"jwks", "--insecure", srv.URL + "/api/auth/jwks"}); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (no cache)", n)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatalf("cached with --insecure: %v", names)
	}
}

// token says when the JWKS was reached through a redirect to another
// origin: the keys' real source is there.
func TestTokenWarnsOfCrossOriginJWKSRedirect(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	body, _ := os.ReadFile(rt.JWKSPath)
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer keys.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/other", http.StatusFound)
			return
		}
		if r.URL.Path == "/other" {
			_, _ = w.Write(body)
			return
		}
		http.Redirect(w, r, keys.URL+"/keys", http.StatusFound)
	}))
	defer front.Close()
	pin := []string{"--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), "--no-cache", rt.Token}
	r := run(t, runConfig{}, append([]string{"token", "--jwks", front.URL + "/jwks"}, pin...)...)
	if r.code != ExitOK || !strings.Contains(r.stderr, "redirected to another origin") || !strings.Contains(r.stderr, "the keys come from "+keys.URL) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, runConfig{}, append([]string{"token", "--jwks", front.URL + "/same"}, pin...)...)
	if r.code != ExitOK || strings.Contains(r.stderr, "redirected") {
		t.Fatalf("a same-origin redirect: exit %d\n%s", r.code, r.stderr)
	}
}

// call judges the backend only against keys the server sent or confirmed
// in this run: it asks again even while the server's max-age says the
// cached JWKS is fresh (token does not), unless --cache-ttl is set.
func TestCallAsksForTheJWKSEveryRun(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	body, _ := os.ReadFile(rt.JWKSPath)
	srv := newCountingJWKS(t, string(body))
	srv.cacheCtl = "max-age=300"
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer backend.Close()
	c := newCacheRuns(t)
	c.now = rt.During()
	pin := []string{"--jwks", srv.URL + "/api/auth/jwks", "--issuer", rt.Origin, "--audience", rt.Origin}
	if r := c.run(append([]string{"token", rt.Token}, pin...)...); r.code != ExitOK {
		t.Fatalf("token: exit %d\n%s", r.code, r.stderr)
	}
	if r := c.run(append([]string{"token", rt.Token}, pin...)...); r.code != ExitOK || !strings.Contains(r.stdout, "keys from   cache") {
		t.Fatalf("token within max-age: exit %d\n%s", r.code, r.stdout)
	}
	if n, _, _ := srv.counts(); n != 1 {
		t.Fatalf("%d requests after two token runs, want 1", n)
	}
	r := c.run(append([]string{"call", "--token", rt.Token, backend.URL}, pin...)...)
	if n, _, _ := srv.counts(); r.code != ExitOK || n != 2 {
		t.Fatalf("call: exit %d, %d requests, want 2\n%s%s", r.code, n, r.stdout, r.stderr)
	}
	r = c.run(append([]string{"call", "--cache-ttl", "10m", "--token", rt.Token, backend.URL}, pin...)...)
	if n, _, _ := srv.counts(); r.code != ExitOK || n != 2 {
		t.Fatalf("call --cache-ttl: exit %d, %d requests, want 2", r.code, n)
	}
	if r := c.run(append([]string{"token", "--cache-ttl", "-1s", rt.Token}, pin...)...); r.code != ExitUsage || !strings.Contains(r.stderr, "--cache-ttl must not be negative") {
		t.Fatalf("negative --cache-ttl: exit %d\n%s", r.code, r.stderr)
	}
}
