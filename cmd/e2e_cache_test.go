package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// switchProxy stands for one deployment at one URL; switching its target
// to another Better Auth server is a restart with new keys.
type switchProxy struct {
	*httptest.Server
	mu     sync.Mutex
	target *httputil.ReverseProxy
}

func newSwitchProxy(t *testing.T, origin string) *switchProxy {
	p := &switchProxy{}
	p.to(t, origin)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		rp := p.target
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *switchProxy) to(t *testing.T, origin string) {
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = httputil.NewSingleHostReverseProxy(u)
}

// liveCached runs baverify with the real clock and a cache directory
// shared between runs.
func liveCached(t *testing.T, dir string, args ...string) testRun {
	t.Helper()
	f, out, errOut := newTestFactory(t, runConfig{})
	f.Now = time.Now
	f.CacheDir = func() (string, error) { return dir, nil }
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestE2ECacheRestartWithNewKeys: a token verified against a real Better
// Auth (the JWKS is cached), then the deployment restarts with new keys.
// Better Auth sends no cache headers, so the next run asks again: the token
// is key_not_found with the keys from the network, never VALID from the
// cache; and call does not blame a backend that refuses it.
func TestE2ECacheRestartWithNewKeys(t *testing.T) {
	t.Parallel()
	before := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	after := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	proxy := newSwitchProxy(t, before.Origin)
	jwksURL := proxy.URL + strings.TrimPrefix(before.JWKSURL, before.Origin)
	pinned := []string{"--jwks", jwksURL, "--issuer", before.Origin, "--audience", before.Origin}
	dir := filepath.Join(t.TempDir(), "cache")

	tok := before.TokenFromEndpoint(t, before.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	first := liveCached(t, dir, append([]string{"token", "-o", "json", tok}, pinned...)...)
	if res := decodeResult(t, first); first.code != ExitOK || !res.Valid || res.JWKS == nil || res.JWKS.From != "network" {
		t.Fatalf("before the restart: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(entries) != 1 {
		t.Fatalf("the JWKS was not cached: %v", entries)
	}

	proxy.to(t, after.Origin) // the restart: same URL, new keys
	again := liveCached(t, dir, append([]string{"token", "-o", "json", tok}, pinned...)...)
	res := decodeResult(t, again)
	if again.code != ExitNegative || res.Valid || len(res.Errors) == 0 || res.Errors[0].Code != "key_not_found" {
		t.Fatalf("after the restart: exit %d, errors %+v\n%s", again.code, res.Errors, again.stderr)
	}
	if res.JWKS == nil || (res.JWKS.From != "network" && res.JWKS.From != "revalidated") {
		t.Fatalf("after the restart the keys must come from the server: %+v", res.JWKS)
	}
	text := liveCached(t, dir, append([]string{"token", tok}, pinned...)...)
	if !strings.Contains(text.stdout, "keys from   network") {
		t.Fatalf("the text does not say where the keys came from:\n%s", text.stdout)
	}

	// A backend that trusts the restarted deployment refuses the token:
	// it is right, and call must not say it rejected a valid token.
	backend := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: jwksURL, Issuer: before.Origin, Audience: before.Origin})
	r := liveCached(t, dir, append([]string{"call", "-o", "json", "--token", tok, backend.URL + "/api/me"}, pinned...)...)
	var out callOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("call: %v\n%s%s", err, r.stdout, r.stderr)
	}
	if slices.Contains(out.codes(), "backend_rejected_valid_token") || !slices.Contains(out.codes(), "backend_rejected_invalid_token") {
		t.Fatalf("call blames the backend: %v\n%s", out.codes(), r.stdout)
	}

	// The deployment goes away: the cached copy stands in, loudly.
	proxy.Close()
	stale := liveCached(t, dir, append([]string{"token", "-o", "json", tok}, pinned...)...)
	res = decodeResult(t, stale)
	if res.JWKS == nil || res.JWKS.From != "stale_cache" || res.JWKS.StaleReason == "" || !strings.Contains(stale.stderr, "STALE") {
		t.Fatalf("server down: jwks %+v\n%s", res.JWKS, stale.stderr)
	}
	if !slices.ContainsFunc(res.Warnings, func(w struct{ Code, Message, Hint string }) bool { return w.Code == "jwks_stale" }) {
		t.Fatalf("no jwks_stale warning: %+v", res.Warnings)
	}
}

// TestE2ECallNowIsNotTheBackendsClock: --now after the token's exp moves
// baverify's own verdict (expired), not the real PyJWT backend's, which
// accepts the token, rightly at its own time: no security finding.
func TestE2ECallNowIsNotTheBackendsClock(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	backend := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	later := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	out, r := callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, "--now", later, backend.URL+"/api/me")
	if out.Token == nil || out.Token.Valid || out.Response == nil || out.Response.Status != 200 {
		t.Fatalf("want an expired local verdict and a 200: exit %d\n%s", r.code, r.stdout)
	}
	if slices.Contains(out.codes(), "backend_accepted_invalid_token") || r.code != ExitOK || !out.OK {
		t.Fatalf("--now raised a finding against the backend: exit %d, %v\n%s", r.code, out.codes(), r.stdout)
	}
}

// TestE2ESayWhatWouldWork: a 404 where a JWKS should be looks at the places
// the user most likely meant, and the hint names the flag and value that
// work against the real Better Auth server.
func TestE2ESayWhatWouldWork(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"--base-url given the JWKS URL", []string{"--base-url", ba.JWKSURL}, "use --base-url " + ba.Origin + " (or --jwks " + ba.JWKSURL + ")"},
		{"--jwks given the origin", []string{"--jwks", ba.Origin}, "use --base-url " + ba.Origin},
	} {
		r := runLive(t, "", nil, append([]string{"token", "-o", "json", "--no-cache", tok}, tc.args...)...)
		res := decodeResult(t, r)
		if r.code != ExitUnavailable || len(res.Errors) == 0 {
			t.Fatalf("%s: exit %d\n%s", tc.name, r.code, r.stdout)
		}
		found := false
		for _, e := range res.Errors {
			found = found || (e.Code == "unverified" && strings.Contains(e.Hint, tc.hint))
		}
		if !found {
			t.Fatalf("%s: no hint %q in %+v", tc.name, tc.hint, res.Errors)
		}
	}
	r := runLive(t, "", nil, "jwks", "--no-cache", ba.AuthURL)
	if r.code != ExitNegative || !strings.Contains(r.stdout, "run baverify jwks --base-url "+ba.Origin) {
		t.Fatalf("jwks %s: exit %d\n%s%s", ba.AuthURL, r.code, r.stdout, r.stderr)
	}
	// login given the JWKS URL names it, rather than blaming email and
	// password sign-in.
	r = runLive(t, e2ePassword+"\n", nil, "login", "--base-url", ba.JWKSURL, "--email", e2eEmail, "--password-stdin")
	if r.code != ExitNegative || !strings.Contains(r.stderr, "it is the JWKS URL, not Better Auth's baseURL; use --base-url "+ba.Origin+"\n") ||
		strings.Contains(r.stderr, "emailAndPassword") {
		t.Fatalf("login --base-url %s: exit %d\n%s", ba.JWKSURL, r.code, r.stderr)
	}
}

// Issue 16.3: trust given by SSL_CERT_FILE or SSL_CERT_DIR is part of the
// cache key, as --cacert is: keys fetched under an environment CA are not
// used as fresh by a run without it (nor the reverse), and a run with the
// same environment uses them.
func TestE2ECacheKeyedByEnvironmentTrust(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	dir := filepath.Join(t.TempDir(), "cache")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from := func(env map[string]string) string {
		t.Helper()
		f, out, errOut := newTestFactory(t, runConfig{env: env})
		f.Now = time.Now
		f.CacheDir = func() (string, error) { return dir, nil }
		code := Execute(context.Background(), f, []string{"token", "-o", "json", tok, "--jwks", ba.JWKSURL, "--cache-ttl", "1h"})
		res := decodeResult(t, testRun{code: code, stdout: out.String(), stderr: errOut.String()})
		if code != ExitOK || res.JWKS == nil {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		return res.JWKS.From
	}
	withFile := map[string]string{"SSL_CERT_FILE": ca}
	withDir := map[string]string{"SSL_CERT_DIR": filepath.Dir(ca)}
	for i, step := range []struct {
		env  map[string]string
		want string
	}{
		{withFile, "network"}, {withFile, "cache"}, {nil, "network"}, {withFile, "cache"},
		{withDir, "network"}, {withDir, "cache"}, {nil, "cache"},
	} {
		if got := from(step.env); got != step.want {
			t.Fatalf("step %d (env %v): keys from %s, want %s", i, step.env, got, step.want)
		}
	}
}

// Issue 16.15: a token VALID against a stale cached JWKS (the server is
// down) exits 0 as documented, and the verdict line itself says STALE, in
// token's text and in call's token section; --no-cache refuses stale keys
// (exit 3).
func TestE2EStaleVerdictSaysSo(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	proxy := newSwitchProxy(t, ba.Origin)
	jwksURL := proxy.URL + strings.TrimPrefix(ba.JWKSURL, ba.Origin)
	pinned := []string{"--jwks", jwksURL, "--issuer", ba.Origin, "--audience", ba.Origin}
	dir := filepath.Join(t.TempDir(), "cache")
	tok := ba.TokenFromEndpoint(t, ba.SignUp(t, e2eEmail, e2ePassword, "Alice"))
	if r := liveCached(t, dir, append([]string{"token", tok}, pinned...)...); r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	proxy.Close()
	// token's verdict is its first line; call's is its "Token:" line.
	verdictLine := func(out string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "VALID") || strings.HasPrefix(l, "Token: ") {
				return strings.TrimPrefix(strings.TrimSpace(l), "Token: ")
			}
		}
		return ""
	}
	r := liveCached(t, dir, append([]string{"token", tok}, pinned...)...)
	if first, _, _ := strings.Cut(r.stdout, "\n"); r.code != ExitOK || !strings.HasPrefix(first, "VALID (keys from a STALE cache") {
		t.Fatalf("exit %d, first line %q\n%s", r.code, first, r.stdout)
	}
	backend := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
	c := liveCached(t, dir, append([]string{"call", "--token", tok, backend.URL + "/api/me"}, pinned...)...)
	if l := verdictLine(c.stdout); !strings.HasPrefix(l, "VALID (keys from a STALE cache") {
		t.Fatalf("call: verdict line %q\n%s", l, c.stdout)
	}
	if n := liveCached(t, dir, append([]string{"token", tok, "--no-cache"}, pinned...)...); n.code != ExitUnavailable {
		t.Fatalf("--no-cache: exit %d\n%s", n.code, n.stdout)
	}
}
