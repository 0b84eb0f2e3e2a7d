package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/httpclient"
)

func TestCallFlagParsing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, o *callOptions)
	}{
		{"request", []string{"https://api.example.com/x", "-X", "PUT", "-H", "A: 1", "-H", "B: 2", "-d", "@body.txt", "--expect-status", "401,403", "-i", "--show-token"},
			func(t *testing.T, o *callOptions) {
				if o.url != "https://api.example.com/x" || o.method != "PUT" || !slices.Equal(o.headers, []string{"A: 1", "B: 2"}) ||
					o.data != "@body.txt" || o.expect != "401,403" || !o.include || !o.showToken {
					t.Fatalf("%+v", o)
				}
			}},
		{"token and keys", []string{"https://api", "--token", "a.b.c", "--base-url", "https://app", "--jwks", "k.json", "--audience", "x", "--leeway", "5s", "--timeout", "2s"},
			func(t *testing.T, o *callOptions) {
				if o.token != "a.b.c" || !o.tokenSet || o.keys.baseURL != "https://app" || o.keys.jwks != "k.json" ||
					!slices.Equal(o.policy.audiences, []string{"x"}) || o.policy.leeway != 5*time.Second || o.net.timeout != 2*time.Second {
					t.Fatalf("%+v", o)
				}
			}},
		{"login", []string{"https://api", "--login", "--email", "a@example.com", "--password-stdin", "--json", `{"a":1}`},
			func(t *testing.T, o *callOptions) {
				if !o.doLogin || o.login.email != "a@example.com" || !o.login.passwordStdin || o.jsonBody != `{"a":1}` || o.tokenSet {
					t.Fatalf("%+v", o)
				}
			}},
		{"no token, token file", []string{"https://api", "--no-token", "--token-file", "t.jwt", "-o", "json"},
			func(t *testing.T, o *callOptions) {
				if !o.noToken || o.tokenFile != "t.jwt" || !o.out.json() {
					t.Fatalf("%+v", o)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newTestFactory(t, runConfig{})
			var got *callOptions
			c := newCallCmdWith(f, func(_ *cobra.Command, o *callOptions) error { got = o; return nil })
			c.SetArgs(append([]string{}, tc.args...))
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// fakeBackend answers by path and records what it received. Its Date
// header is the test clock, so that no clock skew is found.
type fakeBackend struct {
	mu       sync.Mutex
	received []receivedRequest
}

type receivedRequest struct {
	Method, Path, Host, Body string
	Header                   http.Header
}

func (b *fakeBackend) start(t *testing.T, date time.Time) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.received = append(b.received, receivedRequest{r.Method, r.URL.Path, r.Host, string(body), r.Header.Clone()})
		b.mu.Unlock()
		w.Header().Set("Date", date.UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, `{"sub":"u1"}`)
		case "/ok-after-exp": // a backend whose clock is past the tokens' exp
			w.Header().Set("Date", "Thu, 26 Nov 2026 21:00:00 GMT")
			_, _ = io.WriteString(w, `{"sub":"u1"}`)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-login": // refuses by sending the client to a login page
			http.Redirect(w, r, "/login?next=/to-login", http.StatusFound)
		case "/slash": // accepts, at the path with a trailing slash
			http.Redirect(w, r, "/slash/", http.StatusMovedPermanently)
		case "/login", "/slash/": // the backend's clock is past the tokens' exp
			w.Header().Set("Date", "Thu, 26 Nov 2026 21:00:00 GMT")
			_, _ = io.WriteString(w, `{"page":"please sign in"}`)
		case "/cut": // the connection drops in the middle of the body
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"sub":`)
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		case "/aud":
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"detail":"Invalid audience"}`)
		case "/crash":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "Internal Server Error")
		case "/protected":
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `{"detail":"Not authenticated"}`)
				return
			}
			_, _ = io.WriteString(w, `{"sub":"u1"}`)
		default:
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"detail":"Not Found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (b *fakeBackend) last(t *testing.T) receivedRequest {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.received) == 0 {
		t.Fatal("the backend received nothing")
	}
	return b.received[len(b.received)-1]
}

// testNow is newTestFactory's clock; the real RS256 and EdDSA tokens are
// valid then.
var testNow = time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)

func TestCallRun(t *testing.T) {
	rt := loadReal(t, "RS256")
	ed := loadReal(t, "EdDSA")
	var be fakeBackend
	srv := be.start(t, testNow)
	keys := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	edKeys := []string{"--jwks", ed.JWKSPath, "--issuer", ed.Origin, "--audience", ed.Origin}
	down := closedURL(t)
	for _, tty := range []bool{false, true} {
		for _, tc := range []struct {
			name   string
			args   []string
			env    map[string]string
			code   int
			stdout []string
			absent []string
		}{
			{"200 for a valid token", append([]string{srv.URL + "/ok", "--token", rt.Token}, keys...), nil, 0,
				[]string{"Verdict: VALID", "GET " + srv.URL + "/ok", "Authorization: Bearer eyJhbGci…", "HTTP 200 OK", `"sub": "u1"`, "Result: OK (HTTP 200, expected 2xx)"},
				[]string{rt.Token, "Diagnosis"}},
			{"token from BAVERIFY_TOKEN, shown with --show-token", append([]string{srv.URL + "/ok", "--show-token"}, keys...), map[string]string{"BAVERIFY_TOKEN": rt.Token}, 0,
				[]string{"Authorization: Bearer " + rt.Token}, nil},
			{"401 for a valid token", append([]string{srv.URL + "/aud", "--token", rt.Token}, keys...), nil, 1,
				[]string{"backend_rejected_valid_token", "audience_differs", `the backend said: "Invalid audience"`, "Result: FAIL (HTTP 401, expected 2xx)"}, nil},
			{"401 expected", append([]string{srv.URL + "/aud", "--token", rt.Token, "--expect-status", "401"}, keys...), nil, 0,
				[]string{"Result: OK (HTTP 401, expected 401)"}, nil},
			{"500 for a valid EdDSA token", append([]string{srv.URL + "/crash", "--token", ed.Token}, edKeys...), nil, 1,
				[]string{"backend_error_valid_token", "alg_unsupported_by_backend", "likely cause", "EdDSA", "python-jose"}, nil},
			{"an expired token accepted", append([]string{srv.URL + "/ok-after-exp", "--token", rt.Token, "--now", "2026-11-26T21:00:00Z"}, keys...), nil, 1,
				[]string{"Verdict: INVALID (expired)", "backend_accepted_invalid_token", "SECURITY", "expired by the backend's clock (its Date header)",
					"--now moves only baverify's own verdict", "Result: FAIL (HTTP 200 as expected; backend_accepted_invalid_token)"}, nil},
			{"an expired token accepted, even when 200 is expected", append([]string{srv.URL + "/ok-after-exp", "--token", rt.Token, "--now", "2026-11-26T21:00:00Z", "--expect-status", "200"}, keys...), nil, 1,
				[]string{"backend_accepted_invalid_token"}, nil},
			{"--now after exp, the backend's clock inside the lifetime: no security finding", append([]string{srv.URL + "/ok", "--token", rt.Token, "--now", "2026-11-26T21:00:00Z"}, keys...), nil, 0,
				[]string{"Verdict: INVALID (expired)", "Result: OK (HTTP 200, expected 2xx)"}, []string{"backend_accepted_invalid_token", "SECURITY"}},
			{"an expired token redirected to a login page: not proven accepted", append([]string{srv.URL + "/to-login", "--token", rt.Token, "--now", "2026-11-26T21:00:00Z"}, keys...), nil, 0,
				[]string{"backend_redirected_invalid_token", "a login page, not an acceptance?", srv.URL + "/login?next=/to-login"}, []string{"backend_accepted_invalid_token", "SECURITY"}},
			{"an expired token accepted after a trailing-slash redirect", append([]string{srv.URL + "/slash", "--token", rt.Token, "--now", "2026-11-26T21:00:00Z"}, keys...), nil, 1,
				[]string{"backend_accepted_invalid_token", "SECURITY"}, []string{"backend_redirected_invalid_token"}},
			{"a redirect loop is an answer, not an unreachable backend", append([]string{srv.URL + "/loop", "--token", rt.Token}, keys...), nil, 1,
				[]string{"too_many_redirects", "redirect loop", "HTTP 302"}, []string{"backend_unreachable", "COULD NOT CALL"}},
			{"a body cut short: could not check", append([]string{srv.URL + "/cut", "--token", rt.Token}, keys...), nil, 3,
				[]string{"response_incomplete", "could not be read to the end", "Result: COULD NOT CHECK"}, []string{"Result: OK"}},
			{"no key source: not verified, still called", []string{srv.URL + "/ok", "--token", rt.Token, "--no-discover"}, nil, 0,
				[]string{"Verdict: NOT VERIFIED", "Result: OK"}, nil},
			{"anonymous refused as it should", []string{srv.URL + "/protected", "--no-token", "--expect-status", "401,403"}, nil, 0,
				[]string{"none sent (--no-token)", "anonymous_rejected", "Result: OK (HTTP 403, expected 401,403)"}, []string{"Authorization:"}},
			{"anonymous accepted", []string{srv.URL + "/ok", "--no-token", "--expect-status", "401"}, nil, 1,
				[]string{"anonymous_accepted", "status_mismatch", "answers without a token"}, nil},
			{"unreachable", append([]string{down + "/ok", "--token", rt.Token}, keys...), nil, 3,
				[]string{"no answer", "backend_unreachable", "Result: COULD NOT CALL"}, nil},
		} {
			name := tc.name
			if tty {
				name += " (terminal)"
			}
			t.Run(name, func(t *testing.T) {
				r := run(t, runConfig{tty: tty, env: tc.env}, append([]string{"call"}, tc.args...)...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
				}
				out := stripANSI(r.stdout)
				if tty != ansi.MatchString(r.stdout) {
					t.Errorf("colour on a terminal only: tty %v", tty)
				}
				// The outcome comes first ("Result: X" is the first line's
				// start), the token's verdict second.
				lines := strings.SplitN(out, "\n", 3)
				for _, s := range tc.stdout {
					switch {
					case strings.HasPrefix(s, "Result: "):
						if !strings.HasPrefix(lines[0], strings.TrimPrefix(s, "Result: ")) {
							t.Errorf("the first line is not %q:\n%s", s, out)
						}
					case strings.HasPrefix(s, "Verdict: "):
						if len(lines) < 2 || !strings.HasPrefix(lines[1], "Token: "+strings.TrimPrefix(s, "Verdict: ")) {
							t.Errorf("the second line is not the token's %q:\n%s", s, out)
						}
					case !strings.Contains(out, s):
						t.Errorf("stdout does not say %q:\n%s", s, out)
					}
				}
				for _, s := range tc.absent {
					if strings.Contains(out, s) || strings.HasPrefix(s, "Result: ") && strings.HasPrefix(lines[0], strings.TrimPrefix(s, "Result: ")) {
						t.Errorf("stdout says %q:\n%s", s, out)
					}
				}
			})
		}
	}
}

// call -q prints the result line alone; with -o json it is a usage error.
func TestCallQuiet(t *testing.T) {
	rt := loadReal(t, "RS256")
	var be fakeBackend
	srv := be.start(t, testNow)
	args := []string{"call", srv.URL + "/aud", "--token", rt.Token, "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	full := run(t, runConfig{}, args...)
	first, _, _ := strings.Cut(full.stdout, "\n")
	q := run(t, runConfig{}, append(args, "-q")...)
	if q.code != ExitNegative || q.stdout != first+"\n" || !strings.HasPrefix(first, "FAIL (HTTP 401, expected 2xx)  GET "+srv.URL+"/aud: ") {
		t.Fatalf("exit %d\n%s", q.code, q.stdout)
	}
	if u := run(t, runConfig{}, append(args, "-q", "-o", "json")...); u.code != ExitUsage || u.stdout != "" {
		t.Fatalf("-q -o json: exit %d\n%s", u.code, u.stdout)
	}
}

func TestCallSendsWhatItIsTold(t *testing.T) {
	rt := loadReal(t, "RS256")
	var be fakeBackend
	srv := be.start(t, testNow)
	keys := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	bodyFile := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(bodyFile, []byte("a=1&b=2"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := run(t, runConfig{}, append([]string{"call", srv.URL + "/ok", "--token", rt.Token, "--json", `{"title":"x"}`, "-H", "X-Trace: 7", "-H", "Host: api.example.com"}, keys...)...)
	got := be.last(t)
	if r.code != 0 || got.Method != "POST" || got.Body != `{"title":"x"}` || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("Accept") != "application/json" || got.Header.Get("X-Trace") != "7" || got.Host != "api.example.com" ||
		got.Header.Get("Authorization") != "Bearer "+rt.Token || !strings.HasPrefix(got.Header.Get("User-Agent"), "baverify/") {
		t.Fatalf("exit %d, received %+v\n%s", r.code, got, r.stderr)
	}

	r = run(t, runConfig{}, append([]string{"call", "-X", "PATCH", srv.URL + "/ok", "--token", rt.Token, "-d", "@" + bodyFile}, keys...)...)
	got = be.last(t)
	if r.code != 0 || got.Method != "PATCH" || got.Body != "a=1&b=2" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("exit %d, received %+v", r.code, got)
	}

	r = run(t, runConfig{stdin: "from stdin"}, append([]string{"call", srv.URL + "/ok", "--token", rt.Token, "-d", "@-", "-H", "Content-Type: text/plain"}, keys...)...)
	got = be.last(t)
	if r.code != 0 || got.Method != "POST" || got.Body != "from stdin" || got.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("exit %d, received %+v", r.code, got)
	}

	r = run(t, runConfig{stdin: rt.Token + "\n"}, append([]string{"call", srv.URL + "/ok", "--token", "-"}, keys...)...)
	if got = be.last(t); r.code != 0 || got.Header.Get("Authorization") != "Bearer "+rt.Token {
		t.Fatalf("--token -: exit %d, %v", r.code, got.Header)
	}

	r = run(t, runConfig{}, "call", srv.URL+"/protected", "--no-token", "-H", "Authorization: Bearer my-own-credential", "--expect-status", "2xx")
	if got = be.last(t); r.code != 0 || got.Header.Get("Authorization") != "Bearer my-own-credential" ||
		strings.Contains(r.stdout, "my-own-credential") || !strings.Contains(r.stdout, "Authorization: Bearer …") ||
		strings.Contains(r.stdout, "anonymous_accepted") {
		t.Fatalf("own Authorization with --no-token: exit %d, %v\n%s", r.code, got.Header, r.stdout)
	}
}

func TestCallUsageErrors(t *testing.T) {
	rt := loadReal(t, "RS256")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		says string
	}{
		{"no token", []string{"http://127.0.0.1:1/x"}, nil, "no token"},
		{"two token sources", []string{"http://127.0.0.1:1/x", "--token", rt.Token, "--no-token"}, nil, "one way"},
		{"login and token", []string{"http://127.0.0.1:1/x", "--token", rt.Token, "--login"}, nil, "one way"},
		{"email without login", []string{"http://127.0.0.1:1/x", "--no-token", "--email", "a@example.com"}, nil, "go with --login"},
		{"login without base URL", []string{"http://127.0.0.1:1/x", "--login", "--email", "a@example.com"}, map[string]string{"BAVERIFY_PASSWORD": "x"}, "--base-url"},
		{"a password flag", []string{"http://127.0.0.1:1/x", "--login", "--base-url", "http://127.0.0.1:1", "--email", "a@example.com", "--password", "x"}, nil, "never put a password in a flag"},
		{"a password flag without --login", []string{"http://127.0.0.1:1/x", "--token", rt.Token, "--password", "x"}, nil, "never put a password in a flag"},
		{"bad URL", []string{"127.0.0.1/x", "--no-token"}, nil, "scheme must be http or https"},
		{"bad expectation", []string{"http://127.0.0.1:1/x", "--no-token", "--expect-status", "ok"}, nil, "--expect-status"},
		{"bad header", []string{"http://127.0.0.1:1/x", "--no-token", "-H", "nocolon"}, nil, "Name: value"},
		{"token and own Authorization", []string{"http://127.0.0.1:1/x", "--token", rt.Token, "-H", "Authorization: Bearer x"}, nil, "--no-token"},
		{"invalid --json", []string{"http://127.0.0.1:1/x", "--no-token", "--json", "{nope"}, nil, "not valid JSON"},
		{"-d and --json", []string{"http://127.0.0.1:1/x", "--no-token", "--json", "{}", "-d", "x"}, nil, "not both"},
		{"stdin twice", []string{"http://127.0.0.1:1/x", "--token", "-", "-d", "@-"}, nil, "stdin can feed only one"},
		{"bad method", []string{"http://127.0.0.1:1/x", "--no-token", "-X", "GET X"}, nil, "not an HTTP method"},
		{"no URL", []string{"--no-token"}, nil, "missing URL"},
		{"bad token", []string{"http://127.0.0.1:1/x", "--token", ""}, nil, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{env: tc.env}, append([]string{"call"}, tc.args...)...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.says) || r.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want 2 and %q", r.code, r.stderr, r.stdout, tc.says)
			}
		})
	}
}

func TestCallJSON(t *testing.T) {
	rt := loadReal(t, "RS256")
	var be fakeBackend
	srv := be.start(t, testNow)
	keys := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	r := run(t, runConfig{}, append([]string{"call", "-o", "json", srv.URL + "/aud", "--token", rt.Token}, keys...)...)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Request struct {
			Method, URL string
			Headers     map[string][]string
		}
		Response struct {
			Status    int
			Headers   map[string][]string
			Body      map[string]any
			LatencyMs *int64
			Truncated *bool
		}
		Token struct {
			Valid  bool
			Header map[string]any
		}
		ExpectedStatus string
		Diagnosis      []struct{ Code, Severity, Message string }
		OK             *bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Request.Method != "GET" || doc.Request.URL != srv.URL+"/aud" || doc.Request.Headers["Authorization"][0] != "Bearer eyJhbGci…" {
		t.Fatalf("request %+v", doc.Request)
	}
	if doc.Response.Status != 401 || doc.Response.Body["detail"] != "Invalid audience" || doc.Response.LatencyMs == nil ||
		doc.Response.Truncated == nil || *doc.Response.Truncated || doc.Response.Headers["Content-Type"][0] != "application/json" {
		t.Fatalf("response %+v", doc.Response)
	}
	if !doc.Token.Valid || doc.Token.Header["alg"] != "RS256" || doc.OK == nil || *doc.OK || doc.ExpectedStatus != "2xx" {
		t.Fatalf("token %+v ok %v", doc.Token, doc.OK)
	}
	var codes []string
	for _, d := range doc.Diagnosis {
		codes = append(codes, d.Code)
	}
	if !slices.Equal(codes, []string{"backend_rejected_valid_token", "audience_differs", "status_mismatch"}) {
		t.Fatalf("diagnosis %v", codes)
	}
	if strings.Contains(r.stdout, rt.Token) {
		t.Fatal("the JSON output carries the whole token")
	}

	r = run(t, runConfig{}, "call", "-o", "json", srv.URL+"/protected", "--no-token", "--expect-status", "403")
	var anon map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &anon); err != nil || r.code != 0 || string(anon["token"]) != "null" || string(anon["ok"]) != "true" {
		t.Fatalf("exit %d %v: %s", r.code, err, r.stdout)
	}
}

// TestCallRedirectDropsTheToken: a redirect to another port does not carry
// the token; the output says so, and the target received no Authorization.
func TestCallRedirectDropsTheToken(t *testing.T) {
	rt := loadReal(t, "RS256")
	var target fakeBackend
	other := target.start(t, testNow)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/protected", http.StatusTemporaryRedirect)
	}))
	defer first.Close()
	keys := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin}
	r := run(t, runConfig{}, append([]string{"call", first.URL + "/api/redirect", "--token", rt.Token,
		"-H", "X-Api-Key: sk_live_123", "-H", "Cf-Access-Jwt-Assertion: " + rt.Token, "-H", "X-Trace: 7"}, keys...)...)
	got := target.last(t)
	for _, name := range []string{"Authorization", "X-Api-Key", "Cf-Access-Jwt-Assertion"} {
		if got.Header.Get(name) != "" {
			t.Fatalf("%s reached another origin: %v", name, got.Header)
		}
	}
	if got.Header.Get("X-Trace") != "7" {
		t.Fatalf("X-Trace did not follow the redirect: %v", got.Header)
	}
	out := r.stdout
	if r.code != 1 || !strings.Contains(out, "authorization_dropped_on_redirect") ||
		!strings.Contains(out, "(another origin: Authorization, Cf-Access-Jwt-Assertion, X-Api-Key dropped)") ||
		strings.Contains(out, rt.Token) ||
		strings.Contains(out, "backend_rejected_valid_token") {
		t.Fatalf("exit %d:\n%s", r.code, out)
	}
}

func TestCallLogin(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	fake := &fakeBetterAuth{token: rt.Token}
	auth := fake.start(t)
	var be fakeBackend
	srv := be.start(t, testNow)
	r := run(t, runConfig{stdin: "correct horse\n"}, "call", srv.URL+"/ok", "--login", "--base-url", auth.URL, "--email", "alice@example.com",
		"--password-stdin", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin)
	if r.code != 0 || be.last(t).Header.Get("Authorization") != "Bearer "+rt.Token || !strings.Contains(r.stderr, "signed in") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, runConfig{env: map[string]string{"BAVERIFY_PASSWORD": "wrong"}}, "call", srv.URL+"/ok", "--login", "--base-url", auth.URL, "--email", "alice@example.com")
	if r.code != 1 || !strings.Contains(r.stderr, "Invalid email or password") || r.stdout != "" {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCallWarnsAboutPlainHTTP(t *testing.T) {
	rt := loadReal(t, "RS256")
	f, out, errOut := newTestFactory(t, runConfig{})
	var asked []string
	f.HTTPClient = func(opts httpclient.Options) (*http.Client, error) {
		c, err := httpclient.New(opts)
		if err != nil {
			return nil, err
		}
		// Nothing leaves the machine: every request fails as a network error would.
		c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			asked = append(asked, r.URL.String())
			return nil, errors.New("no network in this test")
		})
		return c, nil
	}
	code := Execute(context.Background(), f, []string{"call", "http://api.example.com/x", "--token", rt.Token, "--no-discover"})
	if code != ExitUnavailable || !strings.Contains(errOut.String(), "plain http to api.example.com") ||
		!slices.Equal(asked, []string{"http://api.example.com/x"}) || !strings.Contains(out.String(), "no network in this test") {
		t.Fatalf("exit %d, asked %v\nstdout:\n%s\nstderr:\n%s", code, asked, out, errOut)
	}
	// Loopback is where plain http is normal: no warning.
	errOut.Reset()
	asked = nil
	Execute(context.Background(), f, []string{"call", "http://127.0.0.1:9/x", "--token", rt.Token, "--no-discover"})
	if strings.Contains(errOut.String(), "plain http") {
		t.Fatalf("warned for loopback: %s", errOut)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDiagnosisCodesDocumented: docs/call.md documents every diagnosis code.
func TestDiagnosisCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "call.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range call.Codes() {
		if !strings.Contains(string(doc), "`"+string(d.Code)+"`") {
			t.Errorf("docs/call.md does not document the diagnosis code %s", d.Code)
		}
	}
}
