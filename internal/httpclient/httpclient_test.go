package httpclient

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a server that records the Authorization header it received.
type recorder struct {
	mu   sync.Mutex
	auth []string
}

func (r *recorder) handler(next func(w http.ResponseWriter, req *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization")+"|"+req.Header.Get("Cookie"))
		r.mu.Unlock()
		next(w, req)
	})
}

func TestRedirectNeverCarriesCredentialsToAnotherOrigin(t *testing.T) {
	var target recorder
	other := httptest.NewServer(target.handler(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "other") }))
	defer other.Close()
	var origin recorder
	var srv *httptest.Server
	srv = httptest.NewServer(origin.handler(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/same":
			http.Redirect(w, req, "/final", http.StatusTemporaryRedirect)
		case "/cross":
			http.Redirect(w, req, other.URL+"/final", http.StatusTemporaryRedirect)
		default:
			fmt.Fprint(w, "final")
		}
	}))
	defer srv.Close()

	var events []string
	c, err := New(Options{Timeout: 5 * time.Second, OnRedirect: func(from, to *url.URL, dropped []string) {
		events = append(events, fmt.Sprintf("%s->%s dropped=%v", from.Path, to.Path, dropped))
	}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer secret-token")
		req.Header.Set("Cookie", "better-auth.session_token=s")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get("/same")
	get("/cross")
	if got := strings.Join(origin.auth, ","); strings.Count(got, "Bearer secret-token") != 3 {
		t.Fatalf("the origin should see the token on all three requests: %s", got)
	}
	if len(target.auth) != 1 || target.auth[0] != "|" {
		t.Fatalf("another port received credentials: %q", target.auth)
	}
	want := []string{"/same->/final dropped=[]", "/cross->/final dropped=[Authorization Cookie]"}
	if strings.Join(events, ";") != strings.Join(want, ";") {
		t.Fatalf("events = %v", events)
	}
}

func TestRedirectLimit(t *testing.T) {
	hops := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hops++
		http.Redirect(w, req, fmt.Sprintf("/r%d", hops), http.StatusFound)
	}))
	defer srv.Close()
	c, _ := New(Options{})
	_, err := c.Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Fatalf("err = %v", err)
	}
	if hops != MaxRedirects+1 {
		t.Fatalf("hops = %d", hops)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	verified, _ := New(Options{})
	if _, err := verified.Get(srv.URL); err == nil {
		t.Fatal("an unknown CA was trusted")
	}
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	writePEM(t, pemFile, srv)
	withCA, err := New(Options{CACert: pemFile})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := withCA.Get(srv.URL); err != nil {
		t.Fatalf("--cacert: %v", err)
	} else {
		resp.Body.Close()
	}
	insecure, _ := New(Options{Insecure: true})
	if resp, err := insecure.Get(srv.URL); err != nil {
		t.Fatalf("--insecure: %v", err)
	} else {
		resp.Body.Close()
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := New(Options{CACert: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("err = %v", err)
	}
}

func writePEM(t *testing.T, path string, srv *httptest.Server) {
	t.Helper()
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	enc := base64Std(srv.Certificate().Raw)
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n-----END CERTIFICATE-----\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutBoundsASlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c, _ := New(Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := c.Get(srv.URL)
	if err == nil {
		t.Fatal("no timeout")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("the timeout did not bound the wait: %v", elapsed)
	}
}

func TestReadBody(t *testing.T) {
	b, err := ReadBody(strings.NewReader("12345"), 5)
	if err != nil || string(b) != "12345" {
		t.Fatalf("%q %v", b, err)
	}
	b, err = ReadBody(strings.NewReader("123456"), 5)
	if !errors.Is(err, ErrTooLarge) || string(b) != "12345" {
		t.Fatalf("%q %v", b, err)
	}
	_, err = ReadBody(io.MultiReader(strings.NewReader("x"), errReader{}), 5)
	if err == nil || errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestSameOriginAndLoopback(t *testing.T) {
	u := func(s string) *url.URL { p, _ := url.Parse(s); return p }
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://a.example/x", "https://a.example:443/y", true},
		{"https://a.example", "http://a.example", false},
		{"http://127.0.0.1:1", "http://127.0.0.1:2", false},
		{"http://A.example", "http://a.EXAMPLE", true},
		{"https://a.example", "https://b.a.example", false},
	} {
		if got := SameOrigin(u(tc.a), u(tc.b)); got != tc.same {
			t.Errorf("SameOrigin(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	for s, want := range map[string]bool{"http://localhost:3000": true, "http://127.0.0.2": true, "http://[::1]:80": true,
		"http://app.localhost": true, "http://LOCALHOST": true, "http://localhost.": true,
		"http://example.com": false, "http://10.0.0.1": false, "http://localhost.example.com": false, "http://": false} {
		if IsLoopback(u(s)) != want {
			t.Errorf("IsLoopback(%s) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"http://example.com": true, "HTTP://example.com": true, "https://example.com": false, "http://127.0.0.1:3000": false} {
		if PlainHTTP(u(s)) != want {
			t.Errorf("PlainHTTP(%s) != %v", s, want)
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// A 307 or 308 would make net/http send the body again; to another origin
// it must not (a password, a -d payload): the redirect is the answer.
func TestRedirectNeverCarriesABodyToAnotherOrigin(t *testing.T) {
	var mu sync.Mutex
	var otherGot []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		otherGot = append(otherGot, req.Method+" "+string(b))
		mu.Unlock()
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/same":
			http.Redirect(w, req, "/echo", http.StatusTemporaryRedirect)
		case "/echo":
			b, _ := io.ReadAll(req.Body)
			w.Write(b)
		case "/307":
			http.Redirect(w, req, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/308":
			http.Redirect(w, req, other.URL+"/x", http.StatusPermanentRedirect)
		case "/303":
			http.Redirect(w, req, other.URL+"/x", http.StatusSeeOther)
		}
	}))
	defer srv.Close()
	c, err := New(Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string) (int, string) {
		resp, err := c.Post(srv.URL+path, "application/json", strings.NewReader(`{"password":"hunter2"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post("/same"); status != 200 || body != `{"password":"hunter2"}` {
		t.Errorf("same origin: %d %q: the body should follow", status, body)
	}
	for _, path := range []string{"/307", "/308"} {
		if status, _ := post(path); status/100 != 3 {
			t.Errorf("%s to another origin: got %d, want the redirect itself", path, status)
		}
	}
	if status, _ := post("/303"); status != 200 {
		t.Errorf("303 to another origin: %d (a GET without the body is fine)", status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(otherGot) != 1 || otherGot[0] != "GET " {
		t.Fatalf("the other origin received %q", otherGot)
	}
}

// Leaving the origin is reported once, on the hop that leaves it.
func TestRedirectReportsTheDropOnce(t *testing.T) {
	var other *httptest.Server
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/b" {
			http.Redirect(w, req, "/c", http.StatusFound)
		}
	}))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(other.URL+"/b", http.StatusFound))
	defer srv.Close()
	var events []string
	c, _ := New(Options{Timeout: 5 * time.Second, OnRedirect: func(from, to *url.URL, dropped []string) {
		events = append(events, fmt.Sprintf("%s dropped=%v", to.Path, dropped))
	}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/a", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := strings.Join(events, ";"); got != "/b dropped=[Authorization];/c dropped=[]" {
		t.Fatalf("events: %s", got)
	}
}

// Keys, tokens and passwords are never downgraded from https to http.
func TestRedirectNeverDowngradesToPlainHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the plain http server was reached")
	}))
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/jwks", http.StatusFound))
	defer tlsSrv.Close()
	c, err := New(Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Transport.(*protocolTransport).base.(*http.Transport).TLSClientConfig.RootCAs = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	_, err = c.Get(tlsSrv.URL + "/api/auth/jwks")
	if err == nil || !strings.Contains(err.Error(), "from https to plain http") {
		t.Fatalf("err = %v", err)
	}
}

// Issue 16.4: no request baverify makes carries a Referer; net/http adds
// one on every redirect, with the whole previous URL, query included.
func TestRedirectNeverSendsReferer(t *testing.T) {
	var referers []string
	var mu sync.Mutex
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		referers = append(referers, r.Header.Get("Referer"))
		mu.Unlock()
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/end", http.StatusFound)
		}
	}))
	t.Cleanup(target.Close)
	start := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/hop?code=secret", http.StatusFound)
	}))
	t.Cleanup(start.Close)
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(start.URL + "/start?token=secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(referers) != 2 || referers[0] != "" || referers[1] != "" {
		t.Fatalf("Referer sent: %q", referers)
	}
}
