package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BetterAuthOptions configures a Better Auth test server (see
// testdata/betterauth/README.md). The zero value is Better Auth's defaults.
type BetterAuthOptions struct {
	Alg              string   // "" = EdDSA (Better Auth default)
	Issuer           string   // jwt.issuer; "" = default (baseURL origin)
	Audience         []string // jwt.audience; nil = default
	ExpirationTime   string   // jwt.expirationTime, e.g. "15m"; "" = default
	RotationInterval int      // seconds; 0 = off
	GracePeriod      int      // seconds; 0 = default
	// RotationIntervalMs is jwks.rotationInterval in milliseconds, and
	// replaces RotationInterval when set: 1 makes a new key on nearly
	// every signing (key churn, as Better Auth 1.4.x without it).
	RotationIntervalMs int
	// CORS puts a CORS layer in front of Better Auth, as an app's
	// framework middleware does; nil: none (Better Auth alone).
	CORS     *CORSOptions
	JWKSPath string // jwks.jwksPath; "" = default "/jwks"
	BasePath string // path part of baseURL, e.g. "/custom/auth"; "" = none
	Secret   string // "" = fixed test secret
	// Patience multiplies the harness's time limits (30 s to start, 10 s a
	// request) for a test that loads the machine itself, such as one that
	// starts several servers at once; 0 or 1 = as given.
	Patience int
}

// CORSOptions configure the test server's CORS layer (CORS=1).
type CORSOptions struct {
	// Origins are allowed with credentials (and trusted by Better Auth).
	Origins []string
	// ExposeHeaders replace the Access-Control-Expose-Headers Better Auth
	// sets (set-auth-jwt), as cors({ exposeHeaders }) does; nil exposes none.
	ExposeHeaders []string
}

// BetterAuth is a running Better Auth server (better-auth 1.7.25, the jwt
// plugin, the in-memory adapter) that lives until the test ends.
type BetterAuth struct {
	BaseURL string // e.g. http://127.0.0.1:41234 (plus BasePath if set)
	Origin  string // http://127.0.0.1:41234
	JWKSURL string // where this server serves its JWKS
	AuthURL string // prefix of the auth routes, e.g. Origin + "/api/auth"

	transport *http.Transport
	timeout   time.Duration // of each request
}

// Session holds a cookie jar after sign-up or sign-in.
type Session struct {
	Email, Password, UserID string
	Client                  *http.Client
}

// httpTimeout bounds every request the harness makes (times Patience).
const httpTimeout = 10 * time.Second

// StartBetterAuth starts testdata/betterauth/server.mjs with opts on a free
// port of 127.0.0.1 and returns once it serves. It fails the test when Node
// or the server's node_modules are missing.
func StartBetterAuth(t testing.TB, opts BetterAuthOptions) *BetterAuth {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "testdata", "betterauth")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "better-auth", "package.json")); err != nil {
		t.Fatalf("testenv: better-auth is not installed for the test server: run `npm ci` in %s (%v)", dir, err)
	}
	for _, a := range opts.Audience {
		if a == "" || strings.Contains(a, ",") {
			t.Fatalf("testenv: audience %q: must be non-empty and contain no comma", a)
		}
	}
	if opts.BasePath != "" && !strings.HasPrefix(opts.BasePath, "/") {
		t.Fatalf("testenv: BasePath %q must start with /", opts.BasePath)
	}

	rotation := strconv.Itoa(opts.RotationInterval)
	if opts.RotationIntervalMs > 0 {
		rotation = strconv.FormatFloat(float64(opts.RotationIntervalMs)/1000, 'f', -1, 64)
	}
	cors, corsOrigins, corsExpose := "", "", ""
	if opts.CORS != nil {
		cors, corsOrigins, corsExpose = "1", strings.Join(opts.CORS.Origins, ","), strings.Join(opts.CORS.ExposeHeaders, ",")
	}
	// Every variable is set, even when empty, so that nothing leaks in from
	// the environment the tests run in.
	env := []string{
		"PORT=0",
		"ALG=" + opts.Alg,
		"ISSUER=" + opts.Issuer,
		"AUDIENCE=" + strings.Join(opts.Audience, ","),
		"EXPIRATION_TIME=" + opts.ExpirationTime,
		"ROTATION_INTERVAL=" + rotation,
		"GRACE_PERIOD=" + strconv.Itoa(opts.GracePeriod),
		"JWKS_PATH=" + opts.JWKSPath,
		"BASE_PATH=" + opts.BasePath,
		"SECRET=" + opts.Secret,
		"DISABLE_JWT_HEADER=",
		"CORS=" + cors,
		"CORS_ORIGINS=" + corsOrigins,
		"CORS_EXPOSE_HEADERS=" + corsExpose,
	}

	patience := time.Duration(max(opts.Patience, 1))
	readyc := make(readyLines, 1)
	StartProcess(t, ProcessSpec{
		Name:  "better-auth server",
		Dir:   dir,
		Path:  "node",
		Args:  []string{"server.mjs"},
		Env:   env,
		Wait:  patience * 30 * time.Second,
		Ready: readyc.see,
	})
	r := <-readyc

	s := &BetterAuth{
		Origin:  "http://127.0.0.1:" + strconv.Itoa(r.Port),
		BaseURL: r.BaseURL,
	}
	if want := s.Origin + opts.BasePath; r.BaseURL != want {
		t.Fatalf("testenv: better-auth server reports baseURL %q, want %q", r.BaseURL, want)
	}
	// Better Auth serves its routes under the path of baseURL, or under
	// /api/auth when baseURL has no path.
	s.AuthURL = strings.TrimRight(s.BaseURL, "/")
	if s.AuthURL == s.Origin {
		s.AuthURL += "/api/auth"
	}
	jwksPath := opts.JWKSPath
	if jwksPath == "" {
		jwksPath = "/jwks"
	}
	s.JWKSURL = s.AuthURL + jwksPath

	s.timeout = patience * httpTimeout
	s.transport = newLoopbackTransport(s.timeout)
	t.Cleanup(s.transport.CloseIdleConnections)
	return s
}

// newLoopbackTransport returns a transport that dials 127.0.0.1 only and
// uses no proxy, waiting at most timeout for response headers.
func newLoopbackTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
				return nil, fmt.Errorf("testenv: refusing to dial %s: the harness talks to 127.0.0.1 only", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
	}
}

// client returns an HTTP client for this server with the given cookie jar
// (nil for none). It follows no redirects.
func (s *BetterAuth) client(jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: s.transport,
		Jar:       jar,
		Timeout:   s.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// do sends one request and fails the test unless the status is want. It
// returns the response headers and body.
func (s *BetterAuth) do(t testing.TB, c *http.Client, method, rawURL string, body any, want int) (http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead {
		// Better Auth's CSRF check wants a trusted Origin on POSTs.
		req.Header.Set("Origin", s.Origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("testenv: %s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		t.Fatalf("testenv: %s %s: reading the body: %v", method, rawURL, err)
	}
	if resp.StatusCode != want {
		t.Fatalf("testenv: %s %s: status %d, want %d; body:\n%s", method, rawURL, resp.StatusCode, want, clip(got))
	}
	return resp.Header, got
}

func clip(b []byte) string {
	const max = 4096
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// authResponse is the body of sign-up/email and sign-in/email.
type authResponse struct {
	Token string `json:"token"`
	User  struct {
		ID string `json:"id"`
	} `json:"user"`
}

func (s *BetterAuth) authenticate(t testing.TB, route, email, password string, body map[string]string) *Session {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	c := s.client(jar)
	u := s.AuthURL + route
	_, b := s.do(t, c, http.MethodPost, u, body, http.StatusOK)
	var ar authResponse
	if err := json.Unmarshal(b, &ar); err != nil || ar.User.ID == "" {
		t.Fatalf("testenv: POST %s: unexpected body (%v):\n%s", u, err, clip(b))
	}
	pu, err := url.Parse(s.AuthURL)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if len(jar.Cookies(pu)) == 0 {
		t.Fatalf("testenv: POST %s: no session cookie was set", u)
	}
	return &Session{Email: email, Password: password, UserID: ar.User.ID, Client: c}
}

// SignUp creates a user with email and password and returns its session.
func (s *BetterAuth) SignUp(t testing.TB, email, password, name string) *Session {
	t.Helper()
	return s.authenticate(t, "/sign-up/email", email, password,
		map[string]string{"email": email, "password": password, "name": name})
}

// SignIn signs an existing user in and returns a new session.
func (s *BetterAuth) SignIn(t testing.TB, email, password string) *Session {
	t.Helper()
	return s.authenticate(t, "/sign-in/email", email, password,
		map[string]string{"email": email, "password": password})
}

// TokenFromEndpoint returns the JWT from GET {AuthURL}/token.
func (s *BetterAuth) TokenFromEndpoint(t testing.TB, sess *Session) string {
	t.Helper()
	u := s.AuthURL + "/token"
	_, b := s.do(t, sess.Client, http.MethodGet, u, nil, http.StatusOK)
	var body struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &body); err != nil || strings.Count(body.Token, ".") != 2 {
		t.Fatalf("testenv: GET %s: no JWT in the body (%v):\n%s", u, err, clip(b))
	}
	return body.Token
}

// TokenFromGetSession returns the JWT that GET {AuthURL}/get-session puts
// in its set-auth-jwt header.
func (s *BetterAuth) TokenFromGetSession(t testing.TB, sess *Session) string {
	t.Helper()
	u := s.AuthURL + "/get-session"
	h, b := s.do(t, sess.Client, http.MethodGet, u, nil, http.StatusOK)
	tok := h.Get("Set-Auth-Jwt")
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("testenv: GET %s: no JWT in the set-auth-jwt header (got %q); body:\n%s", u, tok, clip(b))
	}
	return tok
}

// JWKS returns the exact body of GET JWKSURL.
func (s *BetterAuth) JWKS(t testing.TB) []byte {
	t.Helper()
	_, b := s.do(t, s.client(nil), http.MethodGet, s.JWKSURL, nil, http.StatusOK)
	return b
}

// SignJWT has the server sign payload with its current key through
// auth.api.signJWT (the test-only route POST /test/sign-jwt): how tests
// mint the expired and other-audience tokens a user would make in their
// own project. Claims not in payload get Better Auth's defaults.
func (s *BetterAuth) SignJWT(t testing.TB, payload map[string]any) string {
	t.Helper()
	_, b := s.do(t, s.client(nil), http.MethodPost, s.Origin+"/test/sign-jwt", map[string]any{"payload": payload}, http.StatusOK)
	var body struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &body); err != nil || strings.Count(body.Token, ".") != 2 {
		t.Fatalf("testenv: POST /test/sign-jwt: no JWT in the body (%v):\n%s", err, clip(b))
	}
	return body.Token
}

// readyLine is the line the Node servers print once they serve:
// {"ready":true,"port":N[,"baseURL":"..."]}.
type readyLine struct {
	Ready   bool   `json:"ready"`
	Port    int    `json:"port"`
	BaseURL string `json:"baseURL"`
}

// readyLines receives the first ready line a server prints.
type readyLines chan readyLine

// see is a ProcessSpec.Ready: it reports whether line is the ready line,
// and hands the first one over.
func (c readyLines) see(line string) bool {
	var r readyLine
	if !strings.HasPrefix(line, `{"ready":`) || json.Unmarshal([]byte(line), &r) != nil || !r.Ready || r.Port == 0 {
		return false
	}
	select {
	case c <- r:
	default:
	}
	return true
}
