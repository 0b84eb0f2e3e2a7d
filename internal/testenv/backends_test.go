package testenv

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// jwksIssuer holds keys like the ones Better Auth's jwt plugin makes, serves
// them as a JWKS (alg and kid on every key, no use) and signs tokens whose
// header holds only alg and kid.
type jwksIssuer struct {
	srv     *httptest.Server
	origin  string // iss and aud, like Better Auth's baseURL origin
	jwksURL string
	keys    map[string]jwksKey // by alg name
}

type jwksKey struct {
	alg  jwa.SignatureAlgorithm
	kid  string
	priv crypto.Signer
}

func newJWKSIssuer(t *testing.T) *jwksIssuer {
	t.Helper()
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaRS, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPS, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &jwksIssuer{keys: map[string]jwksKey{
		"EdDSA": {jwa.EdDSA(), "kid-eddsa", edPriv},
		"ES256": {jwa.ES256(), "kid-es256", p256},
		"ES512": {jwa.ES512(), "kid-es512", p521},
		"RS256": {jwa.RS256(), "kid-rs256", rsaRS},
		"PS256": {jwa.PS256(), "kid-ps256", rsaPS},
	}}
	set := jwk.NewSet()
	for _, k := range iss.keys {
		pub, err := jwk.Import(k.priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Set(jwk.AlgorithmKey, k.alg); err != nil {
			t.Fatal(err)
		}
		if err := pub.Set(jwk.KeyIDKey, k.kid); err != nil {
			t.Fatal(err)
		}
		if err := set.AddKey(pub); err != nil {
			t.Fatal(err)
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	iss.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/auth/jwks" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(iss.srv.Close)
	iss.origin = iss.srv.URL
	iss.jwksURL = iss.srv.URL + "/api/auth/jwks"
	return iss
}

// token signs Better Auth's claims with the key of alg; edit changes them.
func (iss *jwksIssuer) token(t *testing.T, alg, kid string, edit func(map[string]any)) string {
	t.Helper()
	k, ok := iss.keys[alg]
	if !ok {
		t.Fatalf("no key for %s", alg)
	}
	if kid == "" {
		kid = k.kid
	}
	now := time.Now().Unix()
	claims := map[string]any{
		"iat":           now,
		"name":          "Alice",
		"email":         "alice@example.com",
		"emailVerified": false,
		"id":            "user-1",
		"sub":           "user-1",
		"exp":           now + 900,
		"iss":           iss.origin,
		"aud":           iss.origin,
	}
	if edit != nil {
		edit(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	tok, err := jws.Sign(payload, jws.WithKey(k.alg, k.priv, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func backendGet(t *testing.T, client *http.Client, url, token string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Probe", "probe-1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func TestBackendVerification(t *testing.T) {
	iss := newJWKSIssuer(t)
	opts := BackendOptions{JWKSURL: iss.jwksURL, Issuer: iss.origin, Audience: iss.origin}
	start := func(kind string, widen bool) *Backend {
		o := opts
		o.Kind, o.Widen = kind, widen
		began := time.Now()
		b := StartBackend(t, o)
		t.Logf("backend %s (widen=%v) ready in %s", kind, widen, time.Since(began).Round(time.Millisecond))
		return b
	}
	backends := map[string]*Backend{
		"jose":       start("jose", false),
		"jose-widen": start("jose", true),
		"pyjwt":      start("pyjwt", false),
	}

	const ok = `{"sub":"user-1","email":"alice@example.com"}`
	wrongAud := func(c map[string]any) { c["aud"] = "https://other.example" }
	wrongIss := func(c map[string]any) { c["iss"] = "https://other.example" }
	expired := func(c map[string]any) { c["iat"], c["exp"] = int64(1), int64(901) }

	tests := []struct {
		backend string
		name    string
		alg     string // "" sends no Authorization header
		kid     string // "" uses the key's own kid
		edit    func(map[string]any)
		status  int
		body    string   // exact body, unless contains is set
		has     []string // substrings of the body, instead of body
	}{
		{"pyjwt", "EdDSA", "EdDSA", "", nil, 200, ok, nil},
		{"pyjwt", "ES256", "ES256", "", nil, 200, ok, nil},
		{"pyjwt", "ES512", "ES512", "", nil, 200, ok, nil},
		{"pyjwt", "RS256", "RS256", "", nil, 200, ok, nil},
		{"pyjwt", "PS256", "PS256", "", nil, 200, ok, nil},

		// python-jose cannot construct OKP or PS256 keys; its JWKError is
		// not a JWTError, so the dependency lets it escape: plain 500.
		{"jose", "EdDSA", "EdDSA", "", nil, 500, "Internal Server Error", nil},
		{"jose", "ES256", "ES256", "", nil, 200, ok, nil},
		{"jose", "ES512", "ES512", "", nil, 200, ok, nil},
		{"jose", "RS256", "RS256", "", nil, 200, ok, nil},
		{"jose", "PS256", "PS256", "", nil, 500, "Internal Server Error", nil},

		// Widened, the same JWKError becomes a 401 whose detail quotes the
		// JWK as a Python dict, in the JWKS's own key order.
		{"jose-widen", "EdDSA", "EdDSA", "", nil, 401, "", []string{`{"detail":"Unable to find an algorithm for key: {`, `'alg': 'EdDSA'`, `'kty': 'OKP'`, `'crv': 'Ed25519'`, `'kid': 'kid-eddsa'`}},
		{"jose-widen", "PS256", "PS256", "", nil, 401, "", []string{`{"detail":"Unable to find an algorithm for key: {`, `'alg': 'PS256'`, `'kty': 'RSA'`, `'kid': 'kid-ps256'`}},
		{"jose-widen", "ES256", "ES256", "", nil, 200, ok, nil},

		{"jose", "wrong audience", "ES256", "", wrongAud, 401, `{"detail":"Invalid audience"}`, nil},
		{"jose-widen", "wrong audience", "ES256", "", wrongAud, 401, `{"detail":"Invalid audience"}`, nil},
		{"pyjwt", "wrong audience ES256", "ES256", "", wrongAud, 401, `{"detail":"Invalid audience"}`, nil},
		{"pyjwt", "wrong audience EdDSA", "EdDSA", "", wrongAud, 401, `{"detail":"Invalid audience"}`, nil},
		// With EdDSA python-jose fails on the key before it looks at claims.
		{"jose", "wrong audience EdDSA", "EdDSA", "", wrongAud, 500, "Internal Server Error", nil},

		{"jose", "wrong issuer", "ES256", "", wrongIss, 401, `{"detail":"Invalid issuer"}`, nil},
		{"pyjwt", "wrong issuer", "ES256", "", wrongIss, 401, `{"detail":"Invalid issuer"}`, nil},
		{"jose", "expired", "ES256", "", expired, 401, `{"detail":"Signature has expired."}`, nil},
		{"pyjwt", "expired", "ES256", "", expired, 401, `{"detail":"Signature has expired"}`, nil},
		{"jose", "unknown kid", "ES256", "kid-unknown", nil, 401, `{"detail":"Unknown signing key"}`, nil},
		{"pyjwt", "unknown kid", "ES256", "kid-unknown", nil, 401, `{"detail":"Unable to find a signing key that matches: \"kid-unknown\""}`, nil},

		// FastAPI 0.92's HTTPBearer answers a missing header with 403.
		{"jose", "no token", "", "", nil, 403, `{"detail":"Not authenticated"}`, nil},
		{"jose-widen", "no token", "", "", nil, 403, `{"detail":"Not authenticated"}`, nil},
		{"pyjwt", "no token", "", "", nil, 403, `{"detail":"Not authenticated"}`, nil},
	}
	// The genuine tokens get what the measured table says of the setup each
	// backend is written with.
	setupOf := map[string]string{"jose": "python-jose/jwk-dict", "pyjwt": "PyJWT/PyJWKClient"}
	for _, tc := range tests {
		if id := setupOf[tc.backend]; id != "" && tc.name == tc.alg && tc.edit == nil {
			if want := matrixStatus(t, id, tc.alg); tc.status != want {
				t.Errorf("backend %s with %s expects %d, but matrix.json says %s answers %d", tc.backend, tc.alg, tc.status, id, want)
			}
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range tests {
		t.Run(tc.backend+"/"+tc.name, func(t *testing.T) {
			token := ""
			if tc.alg != "" {
				token = iss.token(t, tc.alg, tc.kid, tc.edit)
			}
			status, body, _ := backendGet(t, client, backends[tc.backend].URL+"/api/me", token)
			matched := body == tc.body
			if tc.has != nil {
				matched = true
				for _, sub := range tc.has {
					matched = matched && strings.Contains(body, sub)
				}
			}
			if status != tc.status || !matched {
				t.Errorf("GET /api/me = %d %s\nwant %d %s%q", status, body, tc.status, tc.body, tc.has)
			}
		})
	}
}

// matrixStatus is what a backend built on setup answers to a genuine alg
// token, by internal/compat/matrix.json (measured by the conformance
// suite): 200 when the library verifies it, 401 when it raises its
// documented error, 500 when another error escapes.
func matrixStatus(t *testing.T, setup, alg string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(RepoRoot(t), "internal", "compat", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Setups []struct {
			ID      string `json:"id"`
			Results map[string]struct {
				Outcome string `json:"outcome"`
			} `json:"results"`
		} `json:"setups"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Setups {
		if s.ID != setup {
			continue
		}
		switch s.Results[alg].Outcome {
		case "ok":
			return http.StatusOK
		case "rejected":
			return http.StatusUnauthorized
		case "crash":
			return http.StatusInternalServerError
		}
		t.Fatalf("matrix.json: %s has no outcome for %s", setup, alg)
	}
	t.Fatalf("matrix.json has no setup %s", setup)
	return 0
}

// The jsonwebtoken backend answers as internal/compat/matrix.json says
// jsonwebtoken 9 with jwks-rsa behaves (EdDSA raises a plain Error, which
// escapes to a 500; the other four verify), and jsonwebtoken's documented
// errors are 401s.
func TestJSONWebTokenBackend(t *testing.T) {
	iss := newJWKSIssuer(t)
	began := time.Now()
	b := StartBackend(t, BackendOptions{Kind: "jsonwebtoken", JWKSURL: iss.jwksURL, Issuer: iss.origin, Audience: iss.origin})
	t.Logf("backend jsonwebtoken ready in %s", time.Since(began).Round(time.Millisecond))

	const ok = `{"sub":"user-1","email":"alice@example.com"}`
	tampered := func(token string) string {
		parts := strings.Split(token, ".")
		parts[1] = strings.TrimRight(parts[1], "=") + "A"
		return strings.Join(parts, ".")
	}
	tests := []struct {
		name   string
		token  func(t *testing.T) string
		status int // 0: what matrix.json says for a genuine token of alg name
		body   string
	}{
		{"EdDSA", func(t *testing.T) string { return iss.token(t, "EdDSA", "", nil) }, 0, ""},
		{"ES256", func(t *testing.T) string { return iss.token(t, "ES256", "", nil) }, 0, ""},
		{"ES512", func(t *testing.T) string { return iss.token(t, "ES512", "", nil) }, 0, ""},
		{"RS256", func(t *testing.T) string { return iss.token(t, "RS256", "", nil) }, 0, ""},
		{"PS256", func(t *testing.T) string { return iss.token(t, "PS256", "", nil) }, 0, ""},
		{"tampered", func(t *testing.T) string { return tampered(iss.token(t, "ES256", "", nil)) }, 401, `{"error":"invalid signature"}`},
		{"wrong audience", func(t *testing.T) string {
			return iss.token(t, "ES256", "", func(c map[string]any) { c["aud"] = "https://other.example" })
		}, 401, `{"error":"jwt audience invalid. expected: ` + iss.origin + `"}`},
		{"wrong issuer", func(t *testing.T) string {
			return iss.token(t, "ES256", "", func(c map[string]any) { c["iss"] = "https://other.example" })
		}, 401, `{"error":"jwt issuer invalid. expected: ` + iss.origin + `"}`},
		{"expired", func(t *testing.T) string {
			return iss.token(t, "ES256", "", func(c map[string]any) { c["iat"], c["exp"] = int64(1), int64(901) })
		}, 401, `{"error":"jwt expired"}`},
		{"unknown kid", func(t *testing.T) string { return iss.token(t, "ES256", "kid-unknown", nil) }, 401,
			`{"error":"error in secret or public key callback: Unable to find a signing key that matches 'kid-unknown'"}`},
		{"no token", func(*testing.T) string { return "" }, 401, `{"error":"missing bearer token"}`},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status == 0 { // a genuine token: the table says
				tc.status, tc.body = matrixStatus(t, "jsonwebtoken/jwks-rsa", tc.name), ok
				if tc.status == http.StatusInternalServerError {
					tc.body = "Internal Server Error"
				}
			}
			status, body, _ := backendGet(t, client, b.URL+"/api/me", tc.token(t))
			if status != tc.status || body != tc.body {
				t.Errorf("GET /api/me = %d %s\nwant %d %s", status, body, tc.status, tc.body)
			}
		})
	}
}

// redirectRecorder is a server that records the requests a redirect leads to.
type redirectRecorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *redirectRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r.Clone(r.Context()))
	rec.mu.Unlock()
	_, _ = io.WriteString(w, "landed")
}

func (rec *redirectRecorder) take() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := rec.reqs
	rec.reqs = nil
	return r
}

func TestBackendRedirect(t *testing.T) {
	iss := newJWKSIssuer(t)
	rec := &redirectRecorder{}
	target := httptest.NewServer(rec)
	t.Cleanup(target.Close)
	// Same host as the backend, another port.
	sameHost := target.URL + "/landing?from=backend"
	// Another host name for the same server.
	otherHost := strings.Replace(target.URL, "127.0.0.1", "localhost", 1) + "/landing?from=backend"

	for _, kind := range []string{"pyjwt", "jose"} {
		t.Run(kind, func(t *testing.T) {
			for _, redirectTo := range []string{sameHost, otherHost} {
				b := StartBackend(t, BackendOptions{
					Kind: kind, JWKSURL: iss.jwksURL, Issuer: iss.origin, Audience: iss.origin,
					RedirectTo: redirectTo,
				})
				token := iss.token(t, "ES256", "", nil)
				noFollow := &http.Client{
					Timeout:       10 * time.Second,
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				}

				status, _, hdr := backendGet(t, noFollow, b.URL+"/api/redirect", token)
				if status != http.StatusTemporaryRedirect || hdr.Get("Location") != redirectTo {
					t.Fatalf("GET /api/redirect = %d Location %q, want 307 %q", status, hdr.Get("Location"), redirectTo)
				}
				// The route is protected: no redirect without a valid token.
				if status, body, _ := backendGet(t, noFollow, b.URL+"/api/redirect", ""); status != http.StatusForbidden {
					t.Errorf("GET /api/redirect without a token = %d %s, want 403", status, body)
				}
				wrong := iss.token(t, "ES256", "", func(c map[string]any) { c["aud"] = "https://other.example" })
				if status, body, _ := backendGet(t, noFollow, b.URL+"/api/redirect", wrong); status != http.StatusUnauthorized {
					t.Errorf("GET /api/redirect with a wrong audience = %d %s, want 401", status, body)
				}
				if n := len(rec.take()); n != 0 {
					t.Fatalf("the target got %d requests from a client that does not follow redirects", n)
				}

				// Go's own client follows the 307. It keeps Authorization
				// when only the port changes (net/http compares host names,
				// not origins) and drops it for another host name.
				status, body, _ := backendGet(t, &http.Client{Timeout: 10 * time.Second}, b.URL+"/api/redirect", token)
				if status != http.StatusOK || body != "landed" {
					t.Fatalf("following the redirect = %d %s, want 200 landed", status, body)
				}
				reqs := rec.take()
				if len(reqs) != 1 {
					t.Fatalf("the target got %d requests, want 1", len(reqs))
				}
				got := reqs[0]
				if got.URL.RequestURI() != "/landing?from=backend" || got.Header.Get("X-Probe") != "probe-1" {
					t.Errorf("the target got %s with X-Probe %q", got.URL.RequestURI(), got.Header.Get("X-Probe"))
				}
				wantAuth := ""
				if redirectTo == sameHost {
					wantAuth = "Bearer " + token
				}
				if a := got.Header.Get("Authorization"); a != wantAuth {
					t.Errorf("redirect to %s: the target got Authorization %q, want %q", redirectTo, a, wantAuth)
				}
			}
		})
	}
}

// A backend that loses the race for its port exits; StartBackend must see
// that as a bind failure (and retry) rather than fail the test.
func TestBackendBindFailureIsDetected(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if err := checkBackendPython(); err != nil {
		t.Fatal(err)
	}
	p, failure := tryStartProcess(t, ProcessSpec{
		Name: "backend pyjwt",
		Dir:  filepath.Join(RepoRoot(t), "testdata", "backends"),
		Path: backendPython,
		Args: []string{"pyjwt_backend.py"},
		Env: []string{"PORT=" + port, "JWKS_URL=http://127.0.0.1:9/api/auth/jwks",
			"ISSUER=http://127.0.0.1:9", "AUDIENCE=http://127.0.0.1:9"},
		Ready: func(line string) bool { return strings.Contains(line, "Uvicorn running on") },
	})
	if p != nil || !isBindFailure(failure) {
		t.Fatalf("start on a taken port: process %v, failure %q; want a bind failure", p, failure)
	}
}
