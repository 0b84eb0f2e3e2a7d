package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/iostreams"
	"github.com/baverify/baverify/internal/testenv"
)

// testRun is one in-process run of baverify.
type testRun struct {
	code           int
	stdout, stderr string
}

type runConfig struct {
	env   map[string]string
	stdin string
	tty   bool // stdin, stdout and stderr are terminals
	now   time.Time
	// typed is what the terminal's password prompt reads (with tty).
	typed func(ctx context.Context) (string, error)
}

func newTestFactory(t testing.TB, cfg runConfig) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(cfg.stdin)
	ios.InIsTTY, ios.OutIsTTY, ios.ErrIsTTY = cfg.tty, cfg.tty, cfg.tty
	ios.ReadPassword = cfg.typed
	now := cfg.now
	if now.IsZero() {
		now = time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)
	}
	cacheDir := t.TempDir()
	f := &Factory{
		IO:         ios,
		Getenv:     func(k string) string { return cfg.env[k] },
		Now:        func() time.Time { return now },
		HTTPClient: httpclient.New,
		CacheDir:   func() (string, error) { return cacheDir, nil },
		Version:    BuildInfo{Version: "test"},
	}
	return f, out, errOut
}

func run(t testing.TB, cfg runConfig, args ...string) testRun {
	t.Helper()
	f, out, errOut := newTestFactory(t, cfg)
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

// realToken is a token captured from a real Better Auth 1.7.25 server.
type realToken = testenv.Real

func loadReal(t testing.TB, alg string) realToken { return testenv.LoadReal(t, alg) }

// during returns a --now value inside the token's lifetime.
func during(rt realToken) string { return rt.During().Format(time.RFC3339) }

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// golden compares got with testdata/NAME, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -update to create it)", err)
	}
	if ansi.MatchString(string(want)) {
		t.Fatalf("golden %s contains ANSI escapes", name)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func b64Encode(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }

// countingJWKSProxy puts a reverse proxy in front of a Better Auth test
// server and returns its JWKS URL through the proxy and the number of
// requests that reached the server that way so far.
func countingJWKSProxy(t *testing.T, ba *testenv.BetterAuth) (jwksURL string, fetches func() int) {
	t.Helper()
	target, err := url.Parse(ba.Origin)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	requests := 0
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL + strings.TrimPrefix(ba.JWKSURL, ba.Origin), func() int { mu.Lock(); defer mu.Unlock(); return requests }
}
